"""Stopping: our early stopping against Keras's on the same values, and the other rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from kerasplug_housing.stopping import EarlyStopping, StoppingPlugin, parse_target

from kerasplug import ConfigError

RNG = np.random.default_rng(7)
SEQUENCES = {
    "noisy_decline": list(1.0 / np.arange(1, 41) + RNG.normal(0, 0.03, 40)),
    "plateau": [1.0, 0.8, 0.7, 0.69, 0.695, 0.7, 0.71, 0.689, 0.72, 0.73, 0.74, 0.75] * 2,
    "rises": [0.5 + 0.01 * i for i in range(15)],
}
OPTIONS = [
    {"patience": 0},
    {"patience": 3},
    {"patience": 3, "min_delta": 0.02},
    {"patience": 2, "baseline": 0.6},
    {"patience": 2, "start_from_epoch": 5},
    {"patience": 4, "restore_best_weights": True},
    {"patience": 2, "min_delta": 0.005, "restore_best_weights": True, "start_from_epoch": 3},
    {"patience": 3, "mode": "max", "restore_best_weights": True},
    {"patience": 1, "mode": "max", "baseline": 0.9},
]


def tiny_model():
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    return model


def drive_keras(values, options):
    """Keras's EarlyStopping on a real model whose weights are set to the epoch number."""
    import keras

    model = tiny_model()
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", **options)
    callback.set_model(model)
    model.stop_training = False  # as `fit` sets it before the first epoch
    callback.on_train_begin()
    stopped = None
    for epoch, value in enumerate(values):
        model.set_weights([np.full((1, 1), epoch, "float32"), np.zeros(1, "float32")])
        callback.on_epoch_end(epoch, {"loss": value, "val_loss": value})
        if model.stop_training:
            stopped = epoch
            break
    callback.on_train_end()
    return stopped, float(model.get_weights()[0][0, 0])


def drive_ours(values, options):
    model = tiny_model()
    stopper = EarlyStopping("val_loss", **options)
    stopped = None
    for epoch, value in enumerate(values):
        model.set_weights([np.full((1, 1), epoch, "float32"), np.zeros(1, "float32")])
        if stopper.update(epoch, {"loss": value, "val_loss": value}, model) is not None:
            stopped = epoch
            break
    stopper.restore(model)
    return stopped, float(model.get_weights()[0][0, 0])


@pytest.mark.hook("should_stop")
@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: ",".join(map("{0[0]}={0[1]}".format, o.items()))
)
@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
def test_stops_at_the_same_epoch_and_restores_the_same_weights_as_keras(sequence, options):
    values = SEQUENCES[sequence]
    if options.get("mode") == "max":
        values = [1.0 - v for v in values]
    assert drive_ours(values, options) == drive_keras(values, options)


def test_some_combinations_stop_and_some_do_not():
    """The equivalence cases above cover both outcomes, so they can tell a difference."""
    outcomes = {drive_keras(SEQUENCES[s], o)[0] is None for s in SEQUENCES for o in OPTIONS}
    assert outcomes == {True, False}


def test_a_missing_monitored_value_names_the_available_logs():
    with pytest.raises(ConfigError, match="available: loss, val_mae"):
        EarlyStopping("val_loss").update(0, {"loss": 1.0, "val_mae": 1.0}, tiny_model())


class FakeRun:
    """Just what the stopping plugin reads: the config, the model, the epoch counter and
    whether this is a refit."""

    def __init__(self, **stopping):
        options = StoppingPlugin().config_sections()["early_stopping"]
        self.config = {"early_stopping": {k: o.default for k, o in options.items()}}
        self.config["early_stopping"].update(stopping)
        self.model = tiny_model()
        self.epoch = 0
        self.refit = False


def stop_reasons(logs_per_epoch, **stopping):
    plugin, run = StoppingPlugin(), FakeRun(**stopping)
    plugin.before_fit(run)
    for epoch, logs in enumerate(logs_per_epoch):
        reason = plugin.should_stop(run, epoch, logs)
        if reason is not None:
            return epoch, reason
    return None, None


@pytest.mark.hook("should_stop")
def test_a_non_finite_training_loss_stops_at_once():
    logs = [{"loss": 1.0, "val_loss": 1.0}, {"loss": math.nan, "val_loss": 0.5}]
    assert stop_reasons(logs) == (1, "the training loss is nan at epoch 2")
    assert stop_reasons(logs, stop_on_nan=False) == (None, None)


@pytest.mark.hook("should_stop")
def test_a_target_value_stops_when_reached():
    logs = [{"loss": 1.0, "val_loss": 1.0, "val_mae": m} for m in (3.0, 2.5, 1.9, 1.5)]
    epoch, reason = stop_reasons(logs, stop_when="val_mae < 2.0")
    assert epoch == 2 and reason == "val_mae = 1.9 reached the target val_mae < 2"


@pytest.mark.hook("should_stop")
def test_the_time_budget_stops_once_spent():
    logs = [{"loss": 1.0 - i / 100, "val_loss": 1.0 - i / 100} for i in range(5)]
    epoch, reason = stop_reasons(logs, max_seconds=1e-9)
    assert epoch == 0 and reason.startswith("the time budget of 1e-09 s ran out")
    assert stop_reasons(logs, max_seconds=0.0) == (None, None)


@pytest.mark.parametrize("text", ["val_mae 2.0", "val_mae == 2", "< 2", "val_mae < two"])
def test_a_malformed_target_is_a_one_line_config_error(text):
    with pytest.raises(ConfigError, match=r"early_stopping\.stop_when") as info:
        parse_target(text)
    assert "\n" not in str(info.value)


def test_the_stop_reason_is_printed_and_recorded_for_every_fold(kfold_ensemble_run):
    metrics = kfold_ensemble_run.metrics
    reasons = [fold["stop_reason"] for fold in metrics["folds"]]
    assert all(r.startswith("val_loss = ") and r.endswith("val_loss < 1000") for r in reasons)
    assert [fold["stop_epoch"] for fold in metrics["folds"]] == [1, 1, 1]
    log = (kfold_ensemble_run.run_dir / "run.log").read_text()
    assert f"stopped after epoch 1: {reasons[0]}" in log
