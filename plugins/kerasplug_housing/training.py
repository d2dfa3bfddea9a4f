"""Training options: learning-rate schedules as Keras callbacks, class weights for `fit`.

Schedules are plain Keras callbacks (`ReduceLROnPlateau`, a cosine `LearningRateScheduler`)
returned by `training_callbacks`; each stage gets fresh ones that start from its own rate.
Class weights reach `model.fit` through `run.fit_options`.
"""

from __future__ import annotations

import math
from typing import Any

from kerasplug import Option, hookimpl
from kerasplug_housing.stopping import direction

SCHEDULES = ("none", "plateau", "cosine")


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "train": {
            "schedule": Option("none", str, "learning-rate schedule", choices=SCHEDULES),
            "plateau_monitor": Option(
                "val_loss",
                str,
                "log that 'plateau' watches (falls back to 'loss' without valid), lower or higher "
                "as early_stopping.mode 'auto' judges it",
            ),
            "plateau_factor": Option(
                0.5, float, "'plateau' multiplies the rate by this", min=0.0, max=1.0
            ),
            "plateau_patience": Option(
                10, int, "'plateau' epochs without improvement before lowering", min=0
            ),
            "min_learning_rate": Option(
                1e-6, float, "floor of 'plateau' and end of 'cosine'", min=0.0
            ),
            "class_weight": Option(
                "none",
                str,
                "classification: weigh classes ('balanced': inversely to their frequency)",
                choices=("none", "balanced"),
            ),
        }
    }


def cosine_rate(epoch: int, epochs: int, start: float, end: float) -> float:
    """The rate at 0-based `epoch` of a cosine decay from `start` to `end` over `epochs`."""
    progress = min(epoch / max(epochs - 1, 1), 1.0)
    return end + 0.5 * (start - end) * (1.0 + math.cos(math.pi * progress))


def balanced_weights(y: Any) -> dict[int, float]:
    """`{class: n / (k * count)}` for the encoded classes present in `y`."""
    import numpy as np

    classes, counts = np.unique(y, return_counts=True)
    return {
        int(c): float(len(y) / (len(classes) * n)) for c, n in zip(classes, counts, strict=True)
    }


@hookimpl
def training_callbacks(run: Any, stage: Any) -> list[Any]:
    import keras

    cfg = run.config["train"]
    rate = stage.learning_rate if stage.learning_rate is not None else cfg["learning_rate"]
    if cfg["schedule"] == "plateau":
        monitor = cfg["plateau_monitor"]
        if "valid" not in run.parts:
            monitor = monitor.removeprefix("val_")
        return [
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                mode=direction(monitor),
                factor=cfg["plateau_factor"],
                patience=cfg["plateau_patience"],
                min_lr=cfg["min_learning_rate"],
            )
        ]
    if cfg["schedule"] == "cosine":
        start = run.epoch
        return [
            keras.callbacks.LearningRateScheduler(
                lambda epoch: cosine_rate(
                    epoch - start, stage.epochs, rate, cfg["min_learning_rate"]
                )
            )
        ]
    return []


@hookimpl
def before_fit(run: Any) -> None:
    if run.task != "regression" and run.config["train"]["class_weight"] == "balanced":
        run.fit_options["class_weight"] = balanced_weights(run.parts["train"].y_fit)
