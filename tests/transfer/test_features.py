"""Features of intermediate layers: the CLI matches a sub-model built on the loaded network."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kerasplug_housing.data import load_boston_frame
from kerasplug_housing.features import activations

from kerasplug import UsageError
from kerasplug.artifacts import load_model, load_preprocessing
from kerasplug.cli import main


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "rows.csv"
    load_boston_frame().sample(25, random_state=0).to_csv(path, index=False)
    return path


def direct(run_dir, rows, layer):
    """The layer's outputs from a sub-model built by hand on the loaded network."""
    import keras

    model = load_model(run_dir / "model.keras")
    state = load_preprocessing(run_dir / "preprocessing.skops")
    x = state["pipeline"].transform(pd.read_csv(rows)[state["columns"]])
    sub = keras.Model(model.inputs, model.get_layer(layer).output)
    return np.asarray(sub(x.to_numpy(dtype="float32"), training=False))


@pytest.mark.hook("extract_features")
def test_cli_features_equal_a_sub_model_on_the_loaded_network(staged_run, rows, tmp_path):
    out = tmp_path / "features.csv"
    args = ["features", str(staged_run[0].run_dir), str(rows), "--layer", "dense_1"]
    assert main([*args, "--layer", "output", "-o", str(out)]) == 0
    features = pd.read_csv(out)
    hidden = direct(staged_run[0].run_dir, rows, "dense_1")
    assert list(features.columns) == [
        *(f"dense_1_{u}" for u in range(hidden.shape[1])),
        "output_0",
    ]
    np.testing.assert_array_equal(features.filter(like="dense_1_").to_numpy("float32"), hidden)
    np.testing.assert_array_equal(
        features[["output_0"]].to_numpy("float32"), direct(staged_run[0].run_dir, rows, "output")
    )


def test_without_layers_every_layer_gives_a_block_of_columns(staged_run, rows, tmp_path):
    out = tmp_path / "all.csv"
    assert main(["features", str(staged_run[0].run_dir), str(rows), "-o", str(out)]) == 0
    model = load_model(staged_run[0].run_dir / "model.keras")
    prefixes = list(dict.fromkeys(c.rsplit("_", 1)[0] for c in pd.read_csv(out).columns))
    import keras

    names = [layer.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert prefixes == names


def test_an_unknown_layer_is_a_one_line_error_listing_the_layers(staged_run, rows, capsys):
    code = main(["features", str(staged_run[0].run_dir), str(rows), "--layer", "x", "-o", "o.csv"])
    assert code == 2
    assert "the model has no layer 'x'; its layers: dense_1" in capsys.readouterr().err


def test_functional_models_give_the_same_blocks():
    import keras

    inputs = keras.Input((3,), name="x")
    left = keras.layers.Dense(2, name="left")(inputs)
    right = keras.layers.Dense(4, name="right")(inputs)
    joined = keras.layers.Concatenate(name="joined")([left, right])
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(joined))
    x = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 3)), index=list("abcde"))
    frame = activations(model, x, ["right", "joined"])
    assert list(frame.index) == list("abcde")
    assert list(frame.columns) == [f"right_{u}" for u in range(4)] + [
        f"joined_{u}" for u in range(6)
    ]
    expected = np.asarray(model.get_layer("right")(x.to_numpy("float32")))
    np.testing.assert_allclose(frame.filter(like="right_").to_numpy(), expected, rtol=1e-6)
    with pytest.raises(UsageError, match="no layer 'nope'"):
        activations(model, x, ["nope"])
