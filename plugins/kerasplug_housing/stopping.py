"""Stopping on the `should_stop` hook: early stopping, non-finite loss, time budget, target.

`EarlyStopping` follows `keras.callbacks.EarlyStopping` exactly for the options they share
(monitor, mode, patience, min_delta, baseline, start_from_epoch, restore_best_weights): on the
same monitored values it stops at the same epoch and restores the same weights. The other
rules stop training independently of it: a non-finite loss, a time budget per split, and a
target such as `stop_when = "val_mae < 2.0"`.

State lives in the plugin instance and is reset when a split starts training, so it carries
across the stages of one split (transfer learning) but never across splits or runs.
"""

from __future__ import annotations

import math
import operator
import re
import time
from collections.abc import Callable
from typing import Any

from kerasplug import ConfigError, Option, hookimpl

#: Metrics (without `val_`) for which higher is better when `mode = "auto"`.
HIGHER_IS_BETTER = ("accuracy", "acc", "auc", "r2", "f1", "precision", "recall")


def direction(monitor: str) -> str:
    """`"max"` for a log where higher is better (accuracy, AUC, ...), `"min"` otherwise."""
    return "max" if monitor.removeprefix("val_") in HIGHER_IS_BETTER else "min"


COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
TARGET = re.compile(r"^\s*(\w+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


class EarlyStopping:
    """Decides when the monitored value has stopped improving; mirrors Keras's callback."""

    def __init__(
        self,
        monitor: str,
        mode: str = "auto",
        patience: int = 0,
        min_delta: float = 0.0,
        baseline: float | None = None,
        start_from_epoch: int = 0,
        restore_best_weights: bool = False,
    ) -> None:
        if mode not in ("auto", "min", "max"):
            raise ConfigError(
                f"early_stopping.mode = {mode!r} is not allowed; choose 'auto', 'min' or 'max'"
            )
        if mode == "auto":
            mode = direction(monitor)
        self.monitor = monitor
        self.sign = 1.0 if mode == "min" else -1.0
        self.patience = patience
        self.min_delta = abs(min_delta)
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.restore_best_weights = restore_best_weights
        self.reset()

    def reset(self) -> None:
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: Any = None
        self.wait = 0

    def _improves(self, current: float, reference: float | None) -> bool:
        return reference is None or self.sign * (current - reference) < -self.min_delta

    def update(self, epoch: int, logs: dict[str, float], model: Any) -> str | None:
        """Record one epoch; return the reason to stop, or None."""
        current = logs.get(self.monitor)
        if current is None:
            raise ConfigError(
                f"early_stopping.monitor = {self.monitor!r} is not in the epoch logs; "
                f"available: {', '.join(sorted(logs))}"
            )
        if epoch < self.start_from_epoch:
            return None
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = model.get_weights()
            # Like Keras: an improvement that does not beat the baseline does not reset patience.
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
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


def parse_target(text: str) -> tuple[str, str, float] | None:
    """`"val_mae < 2.0"` as `("val_mae", "<", 2.0)`; `""` as None."""
    if not text.strip():
        return None
    match = TARGET.match(text)
    try:
        value = float(match.group(3)) if match else None
    except ValueError:
        value = None
    if match is None or value is None:
        raise ConfigError(
            f"early_stopping.stop_when = {text!r} is not understood; write it as "
            "'METRIC OP NUMBER' with OP one of <, <=, >, >=, e.g. 'val_mae < 2.0'"
        )
    return match.group(1), match.group(2), value


class StoppingPlugin:
    """The hook implementations; one instance is registered as the module's plugin."""

    def __init__(self) -> None:
        self.stopper: EarlyStopping | None = None
        self.started = 0.0

    @hookimpl
    def config_sections(self) -> dict[str, Any]:
        return {
            "early_stopping": {
                "enabled": Option(True, bool, "stop when the monitored value stops improving"),
                "monitor": Option(
                    "val_loss",
                    str,
                    "the epoch log to watch ('val_loss' includes the L2 penalty; a regression "
                    "also logs 'val_mse', the validation error alone)",
                ),
                "mode": Option(
                    "auto", str, "whether lower or higher is better", choices=("auto", "min", "max")
                ),
                "patience": Option(20, int, "epochs without improvement before stopping", min=0),
                "min_delta": Option(
                    0.0, float, "smallest change that counts as improvement", min=0.0
                ),
                "baseline": Option(
                    None,
                    float,
                    "patience only resets on a value better than this (unset: no baseline)",
                ),
                "start_from_epoch": Option(
                    0, int, "epochs to wait before watching the monitored value", min=0
                ),
                "restore_best_weights": Option(True, bool, "end with the best epoch's weights"),
                "refit": Option(
                    False,
                    bool,
                    "then train a fresh network on the training and validation rows for the "
                    "best epoch count scaled by the added rows",
                ),
                "stop_on_nan": Option(True, bool, "stop when the training loss is NaN or inf"),
                "max_seconds": Option(
                    0.0, float, "time budget of each split's training (0: none)", min=0.0
                ),
                "stop_when": Option(
                    "", str, "stop once a log reaches a value, e.g. 'val_mae < 2.0' ('': never)"
                ),
            }
        }

    @hookimpl
    def configure(self, config: dict[str, Any]) -> None:
        parse_target(config["early_stopping"]["stop_when"])
        cfg = config["early_stopping"]
        if cfg["refit"] and not cfg["enabled"]:
            raise ConfigError(
                "early_stopping.refit needs early stopping to find the epoch count; set "
                "early_stopping.enabled = true or early_stopping.refit = false"
            )
        if cfg["refit"] and config.get("stages"):
            raise ConfigError(
                "early_stopping.refit does not combine with [[stages]] (a refit is one fresh "
                "stage); remove one of them"
            )

    @hookimpl
    def refit_epochs(self, run: Any) -> int | None:
        """The best epoch count, scaled by how many rows the validation part adds: the same
        number of passes over more rows (more steps), as in the refit that chose it."""
        cfg = run.config["early_stopping"]
        if not (cfg["refit"] and cfg["enabled"]):
            return None
        best = run.best_epoch or run.epoch
        n_train, n_valid = len(run.split.train), len(run.split.valid)
        return max(1, math.ceil(best * (n_train + n_valid) / n_train))

    @hookimpl
    def before_fit(self, run: Any) -> None:
        if run.epoch == 0:
            self.start(run)

    def start(self, run: Any) -> None:
        """Fresh state for the training of a split."""
        cfg = run.config["early_stopping"]
        self.started = time.monotonic()
        self.stopper = (
            EarlyStopping(
                cfg["monitor"],
                cfg["mode"],
                cfg["patience"],
                cfg["min_delta"],
                cfg["baseline"],
                cfg["start_from_epoch"],
                cfg["restore_best_weights"],
            )
            # A refit trains for a fixed number of epochs, with no validation rows to watch.
            if cfg["enabled"] and not run.refit
            else None
        )

    @hookimpl
    def should_stop(self, run: Any, epoch: int, logs: dict[str, float]) -> str | None:
        cfg = run.config["early_stopping"]
        # The stopper sees every epoch, even one another rule stops at, so that the weights
        # it restores are the best of all epochs that ran.
        early = self.stopper.update(epoch, logs, run.model) if self.stopper else None
        loss = logs.get("loss")
        if cfg["stop_on_nan"] and loss is not None and not math.isfinite(loss):
            return f"the training loss is {loss} at epoch {epoch + 1}"
        target = None if run.refit else parse_target(cfg["stop_when"])
        if target is not None:
            name, op, value = target
            if name not in logs:
                raise ConfigError(
                    f"early_stopping.stop_when names {name!r}, which is not in the epoch logs; "
                    f"available: {', '.join(sorted(logs))}"
                )
            if COMPARISONS[op](logs[name], value):
                return f"{name} = {logs[name]:.4g} reached the target {name} {op} {value:g}"
        if early is not None:
            return early
        elapsed = time.monotonic() - self.started
        if cfg["max_seconds"] and elapsed >= cfg["max_seconds"]:
            return f"the time budget of {cfg['max_seconds']:g} s ran out after {elapsed:.1f} s"
        return None

    @hookimpl
    def after_fit(self, run: Any, model: Any) -> None:
        if self.stopper is not None:
            self.stopper.restore(model)
            if self.stopper.restore_best_weights and self.stopper.best_weights is not None:
                run.best_epoch = self.stopper.best_epoch + 1

    @hookimpl
    def checkpoint_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"elapsed": time.monotonic() - self.started}
        if self.stopper is not None:
            keys = ("best", "best_epoch", "best_weights", "wait")
            state["stopper"] = {key: getattr(self.stopper, key) for key in keys}
        return state

    @hookimpl
    def restore_state(self, run: Any, state: dict[str, Any]) -> None:
        self.start(run)
        self.started -= state["elapsed"]  # the time budget counts the epochs before the crash
        if self.stopper is not None and "stopper" in state:
            vars(self.stopper).update(state["stopper"])


plugin = StoppingPlugin()
