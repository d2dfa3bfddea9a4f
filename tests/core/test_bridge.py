"""The bridge: epoch events become hook calls; batch methods only when a plugin listens."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerasplug import RunContext, Stage, create_manager, hookimpl
from kerasplug.bridge import BatchBridge, EpochBridge, make_bridge
from tests.helpers import builtin_plugin_names


def overrides(cls, method):
    return getattr(cls, method) is not getattr(keras.callbacks.Callback, method)


def test_epoch_bridge_overrides_no_batch_method():
    batch_methods = [
        m for m in dir(keras.callbacks.Callback) if "batch" in m and m.startswith("on_")
    ]
    assert batch_methods
    assert not any(overrides(EpochBridge, m) for m in batch_methods)
    assert overrides(BatchBridge, "on_train_batch_end")


def _context(*plugins):
    pm = create_manager(third_party=False, plugins=plugins, disable=builtin_plugin_names())
    run = RunContext(config={"train": {"verbose": 0}}, pm=pm)
    run.stage = Stage("train", 3)
    return run


def _fit(run, epochs=3):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    run.model = model
    x, y = np.ones((32, 2), "float32"), np.ones((32,), "float32")
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[make_bridge(run)])


@pytest.mark.hook("on_train_batch_end")
def test_a_batch_hook_switches_to_the_batch_bridge_and_is_called_per_batch():
    batches = []

    class Batches:
        @hookimpl
        def on_train_batch_end(self, batch, logs):
            batches.append((batch, logs["loss"]))

    run = _context(Batches())
    assert isinstance(make_bridge(run), BatchBridge)
    _fit(run, epochs=2)
    assert [b for b, _ in batches] == [0, 1, 2, 3] * 2
    assert type(make_bridge(_context())) is EpochBridge


@pytest.mark.hook("on_epoch_end")
@pytest.mark.hook("should_stop")
def test_epoch_hooks_see_every_epoch_and_a_stop_reason_ends_training():
    seen = []

    class Stopper:
        @hookimpl
        def on_epoch_end(self, epoch, logs, stage):
            seen.append((epoch, stage.name, sorted(logs)))

        @hookimpl
        def should_stop(self, epoch):
            return "two epochs are enough" if epoch == 1 else None

    run = _context(Stopper())
    history = _fit(run, epochs=5)
    assert len(history.epoch) == 2
    assert seen == [(0, "train", ["loss"]), (1, "train", ["loss"])]
    assert run.stop_reason == "two epochs are enough" and run.stop_epoch == 2
    assert [row["epoch"] for row in run.history] == [1, 2]
