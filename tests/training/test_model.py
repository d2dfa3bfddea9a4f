"""The model plugin and training options: output layers and losses, optimizers, schedules,
ensembles, class weights, and classification end to end."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from kerasplug_housing.model import (
    averaging_view,
    build_mlp,
    make_loss,
    make_optimizer,
    per_member,
)
from kerasplug_housing.training import balanced_weights, cosine_rate, training_callbacks

from kerasplug.artifacts import load_model

CFG = {
    "hidden": [8, 4],
    "activation": "tanh",
    "initializer": "glorot_uniform",
    "batch_norm": True,
    "dropout": 0.2,
    "l1": 0.0,
    "l2": 1e-4,
    "loss": "huber",
    "huber_delta": 2.0,
    "optimizer": "adamw",
    "weight_decay": 0.01,
    "momentum": 0.0,
    "ensemble": 1,
}


@pytest.mark.hook("build_model")
@pytest.mark.parametrize(
    ("task", "units", "activation", "loss"),
    [
        ("regression", 1, "linear", "huber_loss"),
        ("binary", 1, "sigmoid", "binary_crossentropy"),
        ("multiclass", 3, "softmax", "sparse_categorical_crossentropy"),
    ],
)
def test_the_output_layer_and_loss_follow_the_task(task, units, activation, loss):
    model = build_mlp(5, task, 3, CFG)
    out = model.get_layer("output")
    assert out.units == units and out.activation.__name__ == activation
    assert make_loss(CFG, task).name == loss
    assert model.input_shape == (None, 5)
    names = [layer.name for layer in model.layers]
    assert names[1:6] == ["dense_1", "batch_norm_1", "activation_1", "dropout_1", "dense_2"]
    assert model.get_layer("dense_1").kernel_regularizer.l2 == pytest.approx(1e-4)


@pytest.mark.parametrize(
    ("name", "cls", "attribute", "value"),
    [
        ("adamw", "AdamW", "weight_decay", 0.01),
        ("sgd", "SGD", "momentum", 0.0),
        ("rmsprop", "RMSprop", "rho", 0.9),
        ("adam", "Adam", "beta_1", 0.9),
    ],
)
def test_optimizers_by_name(name, cls, attribute, value):
    optimizer = make_optimizer({**CFG, "optimizer": name}, 0.003)
    assert type(optimizer).__name__ == cls
    assert float(optimizer.learning_rate) == pytest.approx(0.003)
    assert getattr(optimizer, attribute) == pytest.approx(value)


def test_input_noise_perturbs_each_member_while_training_only():
    import keras

    keras.utils.set_random_seed(0)
    model = build_mlp(3, "regression", 0, {**CFG, "ensemble": 2, "input_noise": 0.5})
    assert [model.get_layer(f"m{m}_input_noise").stddev for m in (1, 2)] == [0.5, 0.5]
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    inference = [np.asarray(model(x, training=False)) for _ in range(2)]
    np.testing.assert_array_equal(*inference)
    training = np.asarray(model(x, training=True))
    assert not np.allclose(training, inference[0], atol=1e-3)
    assert "input_noise" not in {layer.name for layer in build_mlp(3, "regression", 0, CFG).layers}


@pytest.mark.parametrize("members", [1, 2])
def test_a_stem_feeds_each_members_hidden_layers_while_the_linear_path_reads_the_inputs(members):
    import keras

    def stem(inputs, prefix):
        return keras.layers.Dense(7, name=f"{prefix}stem")(inputs)

    cfg = {**CFG, "ensemble": members, "linear": True}
    model = build_mlp(3, "regression", 0, cfg, stem=stem)
    prefixes = [""] if members == 1 else [f"m{m}_" for m in range(1, members + 1)]
    for prefix in prefixes:
        assert model.get_layer(f"{prefix}stem").input is model.input
        assert model.get_layer(f"{prefix}dense_1").input.shape[-1] == 7
        assert model.get_layer(f"{prefix}output_linear").input is model.input
    assert model(np.zeros((2, 3), "float32")).shape == (2, members)


def fit_stopped_early(callback, stop_after):
    """A tiny network fitted with weight averaging for up to 6 epochs, stopped after epoch
    `stop_after` (1-based); returns its final weights and those of each epoch's end."""
    import keras

    keras.utils.set_random_seed(0)
    model = build_mlp(3, "regression", 0, {**CFG, "batch_norm": False, "dropout": 0.0})
    model.compile(make_optimizer({**CFG, "ema": True, "ema_momentum": 0.9}, 0.01), "mse")
    seen = []

    class Watch(keras.callbacks.Callback):  # after the averaging callback, as the bridge is
        def on_epoch_end(self, epoch, logs=None):
            seen.append([w.copy() for w in self.model.get_weights()])
            self.model.stop_training = epoch + 1 == stop_after

    x = np.random.default_rng(1).normal(size=(64, 3)).astype("float32")
    model.fit(x, x.sum(axis=1), batch_size=8, epochs=6, verbose=0, callbacks=[callback, Watch()])
    return model.get_weights(), seen


def test_averaged_weights_stay_in_the_model_when_training_stops_early():
    import keras
    from kerasplug_housing.model import averaged_weights

    final, seen = fit_stopped_early(averaged_weights(), stop_after=3)
    assert len(seen) == 3
    for got, averaged in zip(final, seen[-1], strict=True):
        np.testing.assert_array_equal(got, averaged)
    # Keras's own callback alone ends with the raw weights instead (why the subclass exists):
    # when this starts to fail, upstream fixed it and AveragedWeights can shrink.
    final, seen = fit_stopped_early(keras.callbacks.SwapEMAWeights(swap_on_epoch=True), 3)
    assert not all(np.array_equal(a, b) for a, b in zip(final, seen[-1], strict=True))


def test_an_ensemble_trains_each_member_on_its_own_loss_and_predicts_their_mean():
    import keras

    keras.utils.set_random_seed(0)
    # A large L2 penalty, so that it weighs in the gradients compared below.
    cfg = {**CFG, "dropout": 0.0, "l2": 0.1}
    model = build_mlp(3, "regression", 0, {**cfg, "ensemble": 3})
    assert model.output_shape == (None, 3)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1)
    # The same network as member 1, built alone with the same config and given its weights.
    alone = build_mlp(3, "regression", 0, {**cfg, "ensemble": 1})
    for layer in alone.layers[1:]:
        layer.set_weights(model.get_layer(f"m1_{layer.name}").get_weights())
    # Training on the ensemble's loss (penalties included) gives member 1 exactly the gradient
    # of its own loss, divided by the 3 members the ensemble's loss averages.
    for name in ("dense_1", "dense_2", "output"):
        with_all = _gradient(model, x, y, model.get_layer(f"m1_{name}"))
        alone_grad = _gradient(alone, x, y, alone.get_layer(name)) / 3
        np.testing.assert_allclose(with_all, alone_grad, rtol=1e-4, atol=1e-6)
    mean = averaging_view(model)
    members = np.asarray(model(x, training=False))
    np.testing.assert_allclose(np.asarray(mean(x)).ravel(), members.mean(axis=1), rtol=1e-5)


def _gradient(model, x, y, layer):
    import tensorflow as tf
    from kerasplug_housing.model import is_ensemble, per_member

    loss = make_loss(CFG | {"loss": "mse"}, "regression")
    fn = per_member(loss.call) if is_ensemble(model) else loss.call
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(fn(tf.constant(y.reshape(-1, 1)), model(x, training=True)))
        value += tf.add_n(model.losses)  # the L1/L2 penalties, as Keras adds them to the loss
    return tape.gradient(value, layer.kernel).numpy()


@pytest.mark.hook("after_fit")
def test_a_trained_ensemble_is_saved_as_its_average_and_loads_safely(kfold_ensemble_run):
    model = load_model(kfold_ensemble_run.run_dir / "model.keras")
    assert model.output_shape == (None, 1) and model.get_layer("output").name == "output"
    assert {"m1_dense_1", "m2_dense_1"} <= {layer.name for layer in model.layers}


@pytest.mark.hook("before_fit")
def test_the_model_summary_is_written_to_the_run_directory(kfold_ensemble_run):
    summary = (kfold_ensemble_run.run_dir / "model_summary.txt").read_text()
    assert "m1_dense_1" in summary and "Total params" in summary


def test_cosine_decays_from_the_stage_rate_to_the_floor():
    rates = [cosine_rate(e, 5, 0.1, 0.001) for e in range(5)]
    assert rates[0] == pytest.approx(0.1) and rates[-1] == pytest.approx(0.001)
    assert rates[2] == pytest.approx((0.1 + 0.001) / 2) and rates == sorted(rates, reverse=True)


@pytest.mark.hook("training_callbacks")
def test_schedules_are_keras_callbacks_that_set_the_rate(kfold_ensemble_run, binary_run):
    rates = binary_run.history["learning_rate"].tolist()
    assert rates == sorted(rates, reverse=True) and rates[0] > rates[-1]  # cosine
    assert "learning_rate" in kfold_ensemble_run.history  # reduce on plateau


@pytest.mark.hook("training_callbacks")
@pytest.mark.parametrize(
    "monitor, parts, watched, mode",
    [
        ("val_mse", ("train", "valid"), "val_mse", "min"),
        ("val_mae", ("train",), "mae", "min"),
        ("val_accuracy", ("train", "valid"), "val_accuracy", "max"),
    ],
)
def test_the_plateau_schedule_watches_any_log_the_right_way_up(monitor, parts, watched, mode):
    # Keras's ReduceLROnPlateau cannot tell by itself which way a custom metric improves.
    train = {"schedule": "plateau", "plateau_monitor": monitor, "learning_rate": 0.01}
    train |= {"plateau_factor": 0.5, "plateau_patience": 3, "min_learning_rate": 1e-6}
    run = SimpleNamespace(config={"train": train}, parts=dict.fromkeys(parts))
    (callback,) = training_callbacks(run, SimpleNamespace(learning_rate=None))
    assert callback.monitor == watched and callback.mode == mode


def test_a_regression_logs_its_mean_squared_error_beside_the_loss(kfold_ensemble_run):
    # val_loss includes the L2 penalty; val_mse is the members' mean squared error alone.
    history = kfold_ensemble_run.history
    assert {"mse", "val_mse"} <= set(history.columns)
    assert (history["val_mse"] >= 0).all()


def test_balanced_class_weights_are_inverse_to_frequency():
    assert balanced_weights(np.array([0, 0, 0, 1])) == {0: pytest.approx(2 / 3), 1: 2.0}


@pytest.mark.hook("compute_metrics")
def test_classification_end_to_end_reports_accuracy_f1_and_roc_auc(binary_run):
    test = binary_run.metrics["test"]
    assert set(test) >= {"accuracy", "f1", "roc_auc"}
    # A price above the median is easy to tell from the other features.
    assert test["accuracy"] > 0.75 and test["roc_auc"] > 0.85 and test["f1"] > 0.7
    predictions = binary_run.predictions
    assert set(predictions["y_pred"]) <= {"no", "yes"} and "p_yes" in predictions
    config = (binary_run.run_dir / "config.toml").read_text()
    assert 'class_weight = "balanced"' in config and "steps_per_execution = 2" in config


def test_an_ensemble_loss_gives_every_member_the_target():
    import keras

    y_true = np.array([0.0, 1.0], dtype="float32")
    y_pred = np.array([[0.2, 0.3, 0.4], [0.9, 0.6, 0.7]], dtype="float32")
    for loss in (keras.losses.BinaryCrossentropy(), keras.losses.MeanSquaredError()):
        got = np.asarray(per_member(loss.call)(y_true, y_pred))
        expected = [
            np.mean([float(loss(y_true[i : i + 1], y_pred[i : i + 1, m])) for m in range(3)])
            for i in range(2)
        ]
        np.testing.assert_allclose(got, expected, rtol=1e-5)


@pytest.mark.parametrize("task", ["regression", "binary"])
def test_linear_adds_a_linear_map_of_the_inputs_before_the_output_activation(task):
    import keras

    cfg = {**CFG, "linear": True, "batch_norm": False, "activation": "relu"}
    model = build_mlp(5, task, 0, cfg)
    x = np.random.default_rng(0).normal(size=(7, 5)).astype("float32")
    deep = keras.Model(model.input, model.get_layer("output_deep").output)
    kernel, bias = model.get_layer("output_linear").get_weights()
    logit = np.asarray(deep(x, training=False)) + x @ kernel + bias
    expected = logit if task == "regression" else 1 / (1 + np.exp(-logit))
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, rtol=1e-5)
    assert model.get_layer("output_linear").kernel_regularizer.l2 == pytest.approx(1e-4)
    members = build_mlp(5, task, 0, {**CFG, "linear": True, "ensemble": 2})
    assert {"m1_output_linear", "m2_output_linear"} <= {layer.name for layer in members.layers}
