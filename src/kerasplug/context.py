"""The run context passed to every hook, and the result a run returns."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kerasplug.rundir import RunDir
from kerasplug.types import Explanation, Split, Stage


@dataclass
class SplitData:
    """The rows of one part (train, valid or test) of a split: raw and preprocessed."""

    rows: Any  # the row labels of the loaded table (a pandas Index)
    raw: Any  # raw features, a DataFrame
    x: Any  # preprocessed features, a float32 DataFrame
    y: Any  # true targets in original units, a numpy array
    y_fit: Any  # targets as the network sees them (transformed or encoded)


@dataclass
class RunContext:
    """Everything a run knows, handed to every hook as `run`.

    Attributes are filled in as the run goes: `config` after configuration, `dir` once the
    run directory exists, `frame`/`target`/`task` after loading, `split`, `parts`, `pipeline`
    and `model` inside each split, `history`, `metrics` and `predictions` as they are made.
    """

    config: dict[str, Any]
    pm: Any
    out: TextIO | None = None
    dir: RunDir | None = None
    frame: Any = None
    target: str | None = None
    task: str | None = None
    classes: list[Any] | None = None
    splits: list[Split] = field(default_factory=list)
    split: Split | None = None
    fold: int = 0
    parts: dict[str, SplitData] = field(default_factory=dict)
    pipeline: Any = None
    target_transform: Any = None
    model: Any = None
    strategy: Any = None  # the tf.distribute strategy, if a plugin chose one
    stage: Stage | None = None
    epoch: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    stop_epoch: int | None = None
    # The epoch (1-based) whose weights the trained network kept, when a plugin records it
    # (early stopping that restores the best weights); None: the last epoch.
    best_epoch: int | None = None
    # True while the core refits a fresh network on the training and validation rows.
    refit: bool = False
    # True when the run continues an interrupted one (`--resume`) from its last checkpoint.
    resumed: bool = False
    # Extra `model.fit` keyword arguments (e.g. `class_weight`) that `before_fit`
    # implementations may set; the core empties it before each stage.
    fit_options: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    predictions: Any = None
    explanations: list[Explanation] = field(default_factory=list)
    images: dict[str, Path] = field(default_factory=dict)
    _log: list[str] = field(default_factory=list, repr=False)

    @property
    def hook(self) -> Any:
        """The plugin manager's hook relay (`run.hook.<name>(...)`)."""
        return self.pm.hook

    def section(self, name: str) -> dict[str, Any]:
        """The resolved config section `name`."""
        return self.config[name]

    def echo(self, message: str = "") -> None:
        """Print a progress line (and keep it for the run's log file)."""
        self._log.append(message)
        stream = self.out if self.out is not None else sys.stdout
        print(message, file=stream, flush=True)

    def warn(self, message: str) -> None:
        """Print a warning line."""
        self.echo(f"warning: {message}")

    def add_image(self, tag: str, path: str | Path) -> None:
        """Register an image a reporting plugin made, for later reporters (TensorBoard, HTML)."""
        self.images[tag] = Path(path)

    @property
    def log_lines(self) -> list[str]:
        return list(self._log)


@dataclass
class RunResult:
    """What `Trainer.run()` returns."""

    run_dir: Path
    metrics: dict[str, Any]
    history: Any  # pandas DataFrame, one row per epoch
    predictions: Any  # pandas DataFrame
    stop_reason: str | None
    explanations: list[Explanation]
    config: dict[str, Any]
