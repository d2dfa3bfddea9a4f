"""Layer freezing: frozen weights do not move, batch norm stays in inference mode, rates hold."""

from __future__ import annotations

import numpy as np
import pytest
from kerasplug_housing.freezing import apply, blocks, frozen_layers

from kerasplug import ConfigError


def mlp():
    import keras

    model = keras.Sequential(name="mlp")
    model.add(keras.Input((4,)))
    model.add(keras.layers.Dense(8, name="dense_1"))
    model.add(keras.layers.BatchNormalization(name="norm_1"))
    model.add(keras.layers.Activation("relu", name="act_1"))
    model.add(keras.layers.Dense(4, name="dense_2"))
    model.add(keras.layers.Dense(1, name="output"))
    return model


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_blocks_group_a_weighted_layer_with_the_layers_after_it():
    assert [[layer.name for layer in b] for b in blocks(mlp())] == [
        ["dense_1", "norm_1", "act_1"],
        ["dense_2"],
        ["output"],
    ]


@pytest.mark.parametrize(
    ("rule", "frozen"),
    [
        ({"layers": ["dense_1"]}, ["dense_1", "norm_1"]),
        ({"regex": "^dense_"}, ["dense_1", "norm_1", "dense_2"]),
        ({"range": [0, 3]}, ["dense_1", "norm_1", "act_1"]),
        ({"train_last": 1}, ["dense_1", "norm_1", "act_1", "dense_2"]),
        ({"train_last": 3}, []),
        ({"layers": [], "regex": "", "range": [], "train_last": None}, []),
    ],
)
def test_each_rule_freezes_its_layers_and_the_batch_norm_of_their_blocks(rule, frozen):
    model = mlp()
    assert frozen_layers(model, rule, "stage 'x'") == frozen
    apply(model, frozen)
    assert [layer.name for layer in model.layers if not layer.trainable] == frozen


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"layers": ["dense_9"]}, r"names layers \['dense_9'\] the model does not have"),
        ({"regex": "^conv"}, r"freeze_regex = '\^conv' matches no layer"),
        ({"range": [2, 9]}, r"freeze_range = \[2, 9\] must be \[start, stop\)"),
        ({"train_last": 4}, r"train_last = 4 but the model has 3 blocks"),
        ({"layers": ["output"], "train_last": 1}, r"sets layers and train_last; choose one"),
    ],
)
def test_a_bad_rule_is_a_one_line_config_error(rule, message):
    with pytest.raises(ConfigError, match=message):
        frozen_layers(mlp(), rule, "stage 'x'")


def test_keras_ignores_a_change_of_trainable_until_compile_is_called_again():
    """Why the core compiles after `freeze_layers`: without it a frozen layer keeps training."""
    import keras

    keras.utils.set_random_seed(0)
    model = mlp()
    x, y = np.random.default_rng(0).normal(size=(64, 4)), np.zeros(64)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.get_layer("dense_1").trainable = False
    before = model.get_layer("dense_1").get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert not same(before, model.get_layer("dense_1").get_weights())
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = model.get_layer("dense_1").get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert same(before, model.get_layer("dense_1").get_weights())


@pytest.mark.hook("freeze_layers")
def test_frozen_weights_stay_bit_identical_through_a_stage_and_change_after_unfreezing(
    staged_run,
):
    _, rec = staged_run
    frozen = [name for name, trains in rec.trainable["head"].items() if not trains]
    assert frozen == [
        "dense_1",
        "batch_norm_1",
        "activation_1",
        "dense_2",
        "batch_norm_2",
        "activation_2",
    ]
    for name in frozen:
        assert same(rec.before["head"][name], rec.after["head"][name]), name
    assert not same(rec.before["head"]["output"], rec.after["head"]["output"])
    # gradual.1 trains the last two blocks, gradual.2 all three: dense_1 first moves there.
    assert same(rec.before["gradual.1"]["dense_1"], rec.after["gradual.1"]["dense_1"])
    assert not same(rec.before["gradual.1"]["dense_2"], rec.after["gradual.1"]["dense_2"])
    assert not same(rec.before["gradual.2"]["dense_1"], rec.after["gradual.2"]["dense_1"])
    assert all(rec.trainable["all"].values())


def test_batch_norm_statistics_in_a_frozen_part_do_not_move(staged_run):
    _, rec = staged_run
    # BatchNormalization weights: gamma, beta, moving mean, moving variance.
    for name in ("batch_norm_1", "batch_norm_2"):
        for before, after in zip(rec.before["head"][name], rec.after["head"][name], strict=True):
            assert np.array_equal(before, after), name
    moving_mean = 2
    assert not np.array_equal(
        rec.before["all"]["batch_norm_1"][moving_mean],
        rec.after["all"]["batch_norm_1"][moving_mean],
    )


@pytest.mark.hook("compile_options")
def test_each_stage_trains_at_its_configured_learning_rate(staged_run):
    _, rec = staged_run
    assert rec.rates == {
        "head": [pytest.approx(0.01)] * 2,
        "gradual.1": [pytest.approx(0.005)],
        "gradual.2": [pytest.approx(0.005)],
        "all": [pytest.approx(0.002)] * 2,
    }


def test_the_layer_table_of_the_first_stage_is_in_the_run_directory(staged_run):
    result, _ = staged_run
    text = (result.run_dir / "layers.txt").read_text(encoding="utf-8")
    assert "dense_1" in text and "frozen" in text
    assert text.splitlines()[-1].endswith("params: 9 trainable, 408 frozen, 48 non-trainable state")
