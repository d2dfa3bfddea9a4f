"""The bridge: a Keras callback that turns Keras events into hook calls.

Keras dispatches batches asynchronously unless some callback overrides a batch-level method
(`CallbackList` checks for overrides). The bridge therefore comes in two classes, and the
batch-listening one is used only when a plugin implements a batch hook.
"""

from __future__ import annotations

from typing import Any

import keras

from kerasplug.context import RunContext


def _floats(logs: dict[str, Any] | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


class EpochBridge(keras.callbacks.Callback):
    """Calls `on_epoch_end` and `should_stop` after every epoch; records the history row."""

    def __init__(self, run: RunContext) -> None:
        super().__init__()
        self.run = run

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        run = self.run
        logs = _floats(logs)
        run.epoch = epoch + 1
        run.history.append({"fold": run.fold, "stage": run.stage.name, "epoch": epoch + 1, **logs})
        hook = run.pm.hook
        hook.on_epoch_end(run=run, epoch=epoch, logs=logs, stage=run.stage)
        reason = hook.should_stop(run=run, epoch=epoch, logs=logs, stage=run.stage)
        if reason is not None:
            run.stop_reason = str(reason)
            run.stop_epoch = epoch + 1
            self.model.stop_training = True


class BatchBridge(EpochBridge):
    """The epoch bridge plus `on_train_batch_end`; only used when a plugin listens to batches."""

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.run.pm.hook.on_train_batch_end(run=self.run, batch=batch, logs=_floats(logs))


def make_bridge(run: RunContext) -> EpochBridge:
    """The cheapest bridge that serves the registered plugins."""
    return BatchBridge(run) if run.pm.implements("on_train_batch_end") else EpochBridge(run)
