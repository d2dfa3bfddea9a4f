"""Early stopping on the `should_stop` hook, with the semantics of Keras's EarlyStopping.

State lives in one `EarlyStopping` object per run and is reset when a split starts training,
so it carries across the stages of one split (transfer learning) but never across runs.
"""

from __future__ import annotations

import math
from typing import Any

from kerasplug import ConfigError, Option, hookimpl


class EarlyStopping:
    """Decides when to stop; mirrors `keras.callbacks.EarlyStopping` for the shared options."""

    def __init__(
        self, monitor: str, mode: str, patience: int, min_delta: float, restore_best_weights: bool
    ) -> None:
        if mode == "auto":
            name = monitor.removeprefix("val_")
            mode = "max" if name in ("accuracy", "acc", "auc", "r2") else "min"
        self.monitor = monitor
        self.sign = 1.0 if mode == "min" else -1.0
        self.patience = patience
        self.min_delta = abs(min_delta)
        self.restore_best_weights = restore_best_weights
        self.reset()

    def reset(self) -> None:
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: Any = None
        self.wait = 0

    def update(self, epoch: int, logs: dict[str, float], model: Any) -> str | None:
        """Record one epoch; return the reason to stop, or None."""
        current = logs.get(self.monitor)
        if current is None:
            raise ConfigError(
                f"early_stopping.monitor = {self.monitor!r} is not in the epoch logs; "
                f"available: {', '.join(sorted(logs))}"
            )
        if not math.isfinite(current):
            return f"{self.monitor} is {current} at epoch {epoch + 1}"
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self.best is None or self.sign * (current - self.best) < -self.min_delta:
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = model.get_weights()
            return None
        if self.wait >= self.patience and epoch > 0:
            return (
                f"{self.monitor} did not improve for {self.wait} epochs "
                f"(best {self.best:.4g} at epoch {self.best_epoch + 1})"
            )
        return None

    def restore(self, model: Any) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            model.set_weights(self.best_weights)


class EarlyStoppingPlugin:
    """The hook implementations; one instance is registered as the module's plugin."""

    def __init__(self) -> None:
        self.stopper: EarlyStopping | None = None

    @hookimpl
    def config_sections(self) -> dict[str, Any]:
        return {
            "early_stopping": {
                "enabled": Option(True, bool, "stop when the monitored value stops improving"),
                "monitor": Option("val_loss", str, "the epoch log to watch"),
                "mode": Option(
                    "auto", str, "whether lower or higher is better", choices=("auto", "min", "max")
                ),
                "patience": Option(20, int, "epochs without improvement before stopping", min=0),
                "min_delta": Option(
                    0.0, float, "smallest change that counts as improvement", min=0.0
                ),
                "restore_best_weights": Option(True, bool, "end with the best epoch's weights"),
            }
        }

    @hookimpl
    def before_fit(self, run: Any) -> None:
        cfg = run.config["early_stopping"]
        if run.epoch == 0:
            self.stopper = (
                EarlyStopping(
                    cfg["monitor"],
                    cfg["mode"],
                    cfg["patience"],
                    cfg["min_delta"],
                    cfg["restore_best_weights"],
                )
                if cfg["enabled"]
                else None
            )

    @hookimpl
    def should_stop(self, run: Any, epoch: int, logs: dict[str, float]) -> str | None:
        if self.stopper is None:
            return None
        return self.stopper.update(epoch, logs, run.model)

    @hookimpl
    def after_fit(self, run: Any, model: Any) -> None:
        if self.stopper is not None:
            self.stopper.restore(model)


plugin = EarlyStoppingPlugin()
