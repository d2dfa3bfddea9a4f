"""Trained runs shared by the TensorBoard tests: made once per session, read by many tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kerasplug import Split, Stage, hookimpl
from tests.helpers import EXAMPLES, FAST

#: Every epoch runs (no early stop), so the epoch count is known: 3 + 3 across two stages.
TB_FAST = [*FAST, "early_stopping.enabled=false", "train.verbose=0"]
STAGES = [Stage("head", 3, 0.01), Stage("finetune", 3, 0.001)]
IMAGE_TAG = "test/residual_bars"
#: Explanations take most of a run's time and log nothing TensorBoard needs beyond images,
#: which these tests register themselves.
NO_EXPLAIN = ("housing.explain", "housing.shap", "housing.lime", "housing.lrp")


class TwoStages:
    """Trains in two stages with different learning rates."""

    @hookimpl
    def training_stages(self) -> list[Stage]:
        return STAGES


class ReportsAnImage:
    """A reporting plugin: draws a real PNG and registers it, as the plotting plugins do."""

    @hookimpl
    def report(self, run: Any) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        test = run.predictions[run.predictions["split"] == "test"]
        figure, axes = plt.subplots(figsize=(3, 2))
        axes.bar(range(len(test)), test["y_true"] - test["y_pred"])
        run.add_image(IMAGE_TAG, run.dir.save_figure("plots/test_residual_bars.png", figure))
        # The diagnosis plugin writes this when it is installed; stand in for it otherwise.
        run.metrics.setdefault("diagnosis", {"verdict": "fit", "gap": 0.1})


class TwoFolds:
    """Two folds: each half of the rows is the validation part of one fold."""

    @hookimpl(tryfirst=True)
    def make_splits(self, frame: Any) -> list[Split]:
        n = len(frame)
        first, second = range(0, n // 2), range(n // 2, n)
        return [Split("fold-1", second, first, []), Split("fold-2", first, second, [])]


def train(run_dir: Path, overrides: list[str], plugins: list[Any]) -> Any:
    from kerasplug import Trainer

    return Trainer(
        EXAMPLES / "housing" / "boston.toml",
        overrides=[*TB_FAST, *overrides],
        plugins=[(type(p).__name__, p) for p in plugins],
        run_dir=run_dir,
        disable=NO_EXPLAIN,
        third_party=False,
    ).run()


@pytest.fixture(scope="session")
def logs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a finished run (`boston/`) and a two-trial tuning run (`tuning/`)."""
    return tmp_path_factory.mktemp("tensorboard")


@pytest.fixture(scope="session")
def staged_run(logs_root: Path) -> Any:
    """A holdout run in two stages that registers one image, with weight histograms every
    epoch (the default is every 10th)."""
    return train(
        logs_root / "boston", ["tensorboard.histogram_freq=1"], [TwoStages(), ReportsAnImage()]
    )


@pytest.fixture(scope="session")
def tuning_dir(logs_root: Path) -> Path:
    """Two trials laid out as tuning lays them out: one normal run directory per trial."""
    tuning = logs_root / "tuning"
    train(tuning / "trial-1", ["train.epochs=3", "model.hidden=[8]"], [])
    train(tuning / "trial-2", ["train.epochs=3", "model.hidden=[24]"], [])
    return tuning


@pytest.fixture(scope="session")
def kfold_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return train(tmp_path_factory.mktemp("kfold") / "run", ["train.epochs=2"], [TwoFolds()])
