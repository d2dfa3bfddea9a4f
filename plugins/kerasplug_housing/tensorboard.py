"""TensorBoard logs under the run directory's `tensorboard/`: everything a run knows.

Layout (each folder is one TensorBoard run):

    tensorboard/               text (config, model summary, stages, stop reason, diagnosis),
                               images, learning rate and stage index per epoch, the run's
                               HParams session and its final metrics
    tensorboard/train          Keras: epoch scalars, weight histograms, the model graph
    tensorboard/validation     Keras: validation epoch scalars

With K-fold, each fold gets its own `tensorboard/<fold>/` holding that fold's `train/`,
`validation/`, learning rate, stage and HParams session, while `tensorboard/` keeps the
run-level text, images and the HParams session with the mean metrics. Every stage of a split
logs into the same folders with the epoch counted across stages, so curves stay continuous;
a refit (`early_stopping.refit`) logs into the split folder's `refit/`.

No experiment summary (`hparams_config`) is written: the HParams dashboard infers the
experiment from the sessions, which keeps a folder of several runs (tuning trials) comparable,
where several experiment summaries would make TensorBoard pick one arbitrarily.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kerasplug import Option, hookimpl

#: HParams values must be bool, number or string; other config values are shown as text.
_SCALAR_TYPES = (bool, int, float, str)


def flat_hparams(config: dict[str, Any]) -> dict[str, bool | int | float | str]:
    """The resolved config as `section.key` hyperparameters (lists shown as their TOML text)."""
    flat: dict[str, bool | int | float | str] = {}
    for section, values in config.items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if isinstance(value, _SCALAR_TYPES):
                flat[f"{section}.{key}"] = value
            elif isinstance(value, list):
                flat[f"{section}.{key}"] = json.dumps(value)
    return flat


def final_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """`{part: {name: value}}` as `final/<part>_<name>` scalars for the HParams dashboard."""
    return {
        f"final/{part}_{name}": float(value)
        for part in ("train", "valid", "test")
        for name, value in (metrics.get(part) or {}).items()
    }


def as_markdown(value: Any) -> str:
    """Render a value for TensorBoard's text dashboard (Markdown)."""
    if isinstance(value, str):
        return value
    text = json.dumps(value, indent=2, default=str)
    return "\n".join("    " + line for line in text.splitlines())


class TensorBoardPlugin:
    """The hook implementations; one instance is registered as the module's plugin.

    It keeps one summary writer per folder for the length of a run, so that every write of a
    folder goes to one event file, and closes them when the run ends or fails.
    """

    def __init__(self) -> None:
        self.writers: dict[Path, Any] = {}
        self.stage_index = 0

    @hookimpl
    def config_sections(self) -> dict[str, Any]:
        return {
            "tensorboard": {
                "enabled": Option(True, bool, "write TensorBoard logs under <run dir>/tensorboard"),
                # Histograms cost far more than a small network's epoch (on Boston's ensemble
                # of five, every epoch made training about four times slower).
                "histogram_freq": Option(
                    10, int, "epochs between weight histograms (0: none)", min=0
                ),
                "write_graph": Option(True, bool, "log the model graph"),
                "images": Option(True, bool, "log the images reporting plugins registered"),
                "hparams": Option(
                    True, bool, "log hyperparameters and final metrics for the HParams dashboard"
                ),
            }
        }

    # --- folders and writers ---

    @staticmethod
    def _enabled(run: Any) -> bool:
        return bool(run.config["tensorboard"]["enabled"])

    @staticmethod
    def _root(run: Any) -> Path:
        return run.dir / "tensorboard"

    def _split_dir(self, run: Any) -> Path:
        """The current split's folder: the root for a holdout, `<root>/<fold>` for K-fold;
        its `refit/` while a fresh network is refitted (`early_stopping.refit`), whose epochs count
        from 1 again."""
        folder = self._root(run) / run.split.name if len(run.splits) > 1 else self._root(run)
        return folder / "refit" if run.refit else folder

    def _writer(self, path: Path) -> Any:
        import tensorflow as tf

        if path not in self.writers:
            self.writers[path] = tf.summary.create_file_writer(str(path))
        return self.writers[path]

    def _close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}

    def _text(self, path: Path, tag: str, text: str, step: int) -> None:
        import tensorflow as tf

        writer = self._writer(path)
        with writer.as_default():
            tf.summary.text(tag, text, step=step)
        writer.flush()

    def _hparams(self, path: Path, hparams: dict[str, Any], trial: str) -> None:
        from tensorboard.plugins.hparams import api as hp

        writer = self._writer(path)
        with writer.as_default():
            hp.hparams(hparams, trial_id=trial)
        writer.flush()

    def _scalars(self, path: Path, values: dict[str, float], step: int) -> None:
        import tensorflow as tf

        writer = self._writer(path)
        with writer.as_default():
            for tag, value in values.items():
                tf.summary.scalar(tag, value, step=step)
        writer.flush()

    # --- hooks ---

    @hookimpl
    def before_run(self, run: Any) -> None:
        self._close()
        if not self._enabled(run):
            return
        from kerasplug import config as configmod

        self._text(self._root(run), "config", as_markdown_code(configmod.dumps(run.config)), 0)

    @hookimpl
    def training_callbacks(self, run: Any) -> list[Any]:
        if not self._enabled(run):
            return []
        import keras

        cfg = run.config["tensorboard"]
        return [
            keras.callbacks.TensorBoard(
                log_dir=str(self._split_dir(run)),
                histogram_freq=cfg["histogram_freq"],
                # Once per split: later stages train the same model.
                write_graph=cfg["write_graph"] and run.epoch == 0,
                update_freq="epoch",
                profile_batch=0,
            )
        ]

    @hookimpl
    def before_fit(self, run: Any, model: Any, stage: Any) -> None:
        if not self._enabled(run):
            return
        # Stages of a split follow each other; a split starts at epoch 0.
        self.stage_index = 0 if run.epoch == 0 else self.stage_index + 1
        self._text(
            self._split_dir(run),
            "stages",
            f"stage {self.stage_index} = {stage.name!r} from epoch {run.epoch + 1}: up to "
            f"{stage.epochs} epochs, learning rate {stage.learning_rate}",
            run.epoch,
        )
        if run.epoch != 0 or run.refit:
            return
        if run.fold == 0:
            lines: list[str] = []
            model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
            self._text(self._root(run), "model_summary", as_markdown_code("\n".join(lines)), 0)
        if run.config["tensorboard"]["hparams"]:
            hparams = flat_hparams(run.config)
            if run.fold == 0:
                self._hparams(self._root(run), hparams, trial=str(run.dir.path.name))
            if len(run.splits) > 1:
                self._hparams(
                    self._split_dir(run),
                    {**hparams, "fold": run.split.name},
                    trial=f"{run.dir.path.name}/{run.split.name}",
                )

    @hookimpl
    def on_epoch_end(self, run: Any, epoch: int) -> None:
        if not self._enabled(run):
            return
        import keras

        rate = float(keras.ops.convert_to_numpy(run.model.optimizer.learning_rate))
        values = {"learning_rate": rate, "stage": float(self.stage_index)}
        self._scalars(self._split_dir(run), values, epoch)

    @hookimpl(trylast=True)
    def report(self, run: Any) -> None:
        if not self._enabled(run):
            return
        root = self._root(run)
        metrics = run.metrics
        step = int(metrics.get("epochs") or run.epoch)
        self._text(root, "stop_reason", stop_text(metrics), step)
        if "diagnosis" in metrics:
            self._text(root, "diagnosis", as_markdown(metrics["diagnosis"]), step)
        if run.config["tensorboard"]["images"]:
            self._images(root, run.images, step)
        if run.config["tensorboard"]["hparams"]:
            self._scalars(root, final_metrics(metrics), step)
            for split, fold in zip(run.splits, metrics.get("folds", []), strict=False):
                fold_dir = root / split.name
                fold_step = int(fold["epochs"])
                self._scalars(fold_dir, final_metrics(fold["metrics"]), fold_step)
                self._text(fold_dir, "stop_reason", stop_text(fold), fold_step)

    @hookimpl
    def after_run(self) -> None:
        self._close()

    @hookimpl
    def on_run_error(self) -> None:
        self._close()

    def _images(self, root: Path, images: dict[str, Path], step: int) -> None:
        import tensorflow as tf

        writer = self._writer(root)
        with writer.as_default():
            for tag, path in images.items():
                pixels = tf.io.decode_png(Path(path).read_bytes(), channels=4)
                tf.summary.image(tag, pixels[tf.newaxis], step=step)
        writer.flush()


def as_markdown_code(text: str) -> str:
    """Indent text as a Markdown code block, so TensorBoard shows it verbatim."""
    return "\n".join("    " + line for line in text.splitlines())


def stop_text(summary: dict[str, Any]) -> str:
    """Why training ended, from a run's (or a fold's) metrics."""
    reason = summary.get("stop_reason")
    if reason:
        return f"stopped after epoch {summary.get('stop_epoch')}: {reason}"
    return f"trained every planned epoch ({summary.get('epochs')})"


plugin = TensorBoardPlugin()
