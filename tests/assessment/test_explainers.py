"""SHAP, LIME and LRP on small Keras networks whose right answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kerasplug_housing.explainers import lrp
from kerasplug_housing.explainers.api import explain_rows

SETTINGS = {
    "exact_max_features": 15,
    "permutations": 2,
    "kmeans": 10,
    "lime_samples": 500,
    "lime_discretize": False,
    "lrp_epsilon": 1e-9,
    "seed": 0,
}


def frame(n, d, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, d)), columns=[f"x{i}" for i in range(d)])


def mlp(d, seed, biases=True, hidden=(16, 8)):
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input((d,))]
    layers += [keras.layers.Dense(u, activation="relu", use_bias=biases) for u in hidden]
    layers += [keras.layers.Dense(1, use_bias=biases)]
    return keras.Sequential(layers)


def explain(method, model, background, rows, target_transform=None, **extra):
    return explain_rows(
        method,
        model=model,
        target_transform=target_transform,
        task="regression",
        pipeline=None,
        sources=list(rows.columns),
        background=background,
        rows=rows,
        settings={**SETTINGS, **extra},
    )


def test_shap_of_a_linear_network_is_w_times_x_minus_the_background_mean():
    import keras
    from sklearn.preprocessing import StandardScaler

    background, rows = frame(40, 6, 1), frame(15, 6, 2)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
    weights = np.array([[0.5], [-1.0], [2.0], [0.0], [0.3], [-0.7]], dtype="float32")
    model.layers[-1].set_weights([weights, np.array([0.25], dtype="float32")])
    # The target transform is inverted, so attributions are in original units: scale x w.
    target = StandardScaler().fit(np.array([[10.0], [14.0], [30.0]]))
    result = explain("shap", model, background, rows, target_transform=target)
    expected = (rows - background.mean()) * weights.ravel() * target.scale_[0]
    assert result.extras["algorithm"] == "permutation"
    np.testing.assert_allclose(result.values.to_numpy(), expected.to_numpy(), atol=1e-5)


def test_shap_on_an_mlp_is_additive_within_1e4_relative():
    background, rows = frame(30, 8, 3), frame(20, 8, 4)
    result = explain("shap", mlp(8, 0), background, rows)
    total = result.base_value + result.values.sum(axis=1)
    prediction = result.extras["prediction"]
    assert ((total - prediction).abs() / prediction.abs().clip(lower=1e-9)).max() < 1e-4


def exact_shapley(f, x, background):
    """Shapley values by shap's exact explainer over the same independent background."""
    import shap

    masker = shap.maskers.Independent(background, max_samples=len(background))
    return np.asarray(shap.explainers.Exact(f, masker)(x, silent=True).values)


def test_one_antithetic_pair_is_exact_for_two_features():
    # With two features a permutation and its reverse are all the orders there are.
    from kerasplug_housing.explainers.common import model_output
    from kerasplug_housing.explainers.shapley import permutation_shapley

    background, rows = frame(25, 2, 8).to_numpy(), frame(6, 2, 9).to_numpy()
    f = model_output(mlp(2, 3), None, "regression")
    values, base = permutation_shapley(f, rows, background, pairs=1, seed=4)
    np.testing.assert_allclose(values, exact_shapley(f, rows, background), atol=1e-5)
    assert base == pytest.approx(float(np.mean(f(background))))


def test_permutation_sampling_converges_to_shaps_exact_explainer():
    from kerasplug_housing.explainers.common import model_output
    from kerasplug_housing.explainers.shapley import permutation_shapley

    background, rows = frame(20, 5, 10).to_numpy(), frame(4, 5, 11).to_numpy()
    f = model_output(mlp(5, 4), None, "regression")
    exact = exact_shapley(f, rows, background)
    few, _ = permutation_shapley(f, rows, background, pairs=1, seed=0)
    many, _ = permutation_shapley(f, rows, background, pairs=200, seed=0)
    scale = np.abs(exact).max()
    assert np.abs(many - exact).max() < 0.02 * scale
    assert np.abs(many - exact).max() < np.abs(few - exact).max()
    # Every walk telescopes from the base value to f(x): additive for any number of pairs.
    for values in (few, many):
        np.testing.assert_allclose(
            values.sum(axis=1) + np.mean(f(background)), f(rows), rtol=1e-9, atol=1e-9
        )


def test_kernel_shap_serves_wide_inputs_and_stays_additive():
    background, rows = frame(30, 8, 5), frame(4, 8, 6)
    result = explain("shap", mlp(8, 1), background, rows, exact_max_features=4)
    assert result.extras["algorithm"] == "kernel"
    total = result.base_value + result.values.sum(axis=1)
    np.testing.assert_allclose(total, result.extras["prediction"], rtol=1e-4, atol=1e-6)


def assert_conserves(keras_output, r, output, absorbed):
    """LRP's output is the network's (as Keras computes it), and the relevances of a bias-free
    network sum to it."""
    # Keras runs the model in float32, whose rounding (which depends on the CPU's kernels)
    # is relative to the size of the sums, not to an output that happens to be near zero.
    keras_output = np.asarray(keras_output).ravel()
    np.testing.assert_allclose(output, keras_output, rtol=1e-5, atol=1e-5 * np.abs(output).max())
    np.testing.assert_allclose(r.sum(axis=1), output, rtol=1e-6, atol=1e-9)
    assert np.abs(absorbed).max() < 1e-6 * np.abs(output).max()


def test_lrp_without_biases_conserves_the_output_exactly():
    x = frame(25, 5, 7).to_numpy()
    model = mlp(5, 2, biases=False)
    assert_conserves(model(x), *lrp.relevance(lrp.chain(model), x, epsilon=1e-12))


def test_lrp_layer_rule_conserves_all_but_the_bias_share():
    # One affine map: the input relevances sum to R * (z - b) / (z + eps sign z).
    weight = np.array([[1.0], [-2.0], [0.5]])
    step = lrp.Affine(weight, np.array([0.3]))
    x = np.array([[1.0, 0.2, -2.0]])
    r, output, _ = lrp.relevance([step], x, epsilon=0.01)
    z = float((x @ weight)[0, 0] + 0.3)
    assert output[0] == pytest.approx(z)
    assert r.sum() == pytest.approx(z * (z - 0.3) / (z + 0.01 * np.sign(z)))
    np.testing.assert_allclose(r[0], x[0] * weight.ravel() * z / (z + 0.01 * np.sign(z)))


def test_lrp_of_an_averaging_ensemble_is_the_mean_of_its_members_and_conserves():
    import keras

    rows = frame(20, 4, 3)
    inputs = keras.Input((4,))
    members = [mlp(4, seed, biases=False) for seed in (5, 6, 7)]
    model = keras.Model(inputs, keras.layers.Average()([m(inputs) for m in members]))
    x = rows.to_numpy()
    r, output, absorbed = lrp.model_relevance(model, x, epsilon=1e-12)
    expected = np.mean([lrp.relevance(lrp.chain(m), x, 1e-12)[0] for m in members], axis=0)
    np.testing.assert_allclose(r, expected, rtol=1e-9)
    assert_conserves(model(x), r, output, absorbed)


def zero_bias_wide_and_deep(n_features, task, hidden, ensemble, seed, input_noise=0.0):
    """A wide & deep network (`model.linear`) with every bias zero: LRP then conserves exactly."""
    import keras
    from kerasplug_housing.model import build_mlp

    cfg = {"hidden": hidden, "activation": "relu", "initializer": "he_normal"}
    cfg |= {"batch_norm": False, "dropout": 0.0, "l1": 0.0, "l2": 0.0, "input_noise": input_noise}
    keras.utils.set_random_seed(seed)
    model = build_mlp(n_features, task, 0, {**cfg, "linear": True, "ensemble": ensemble})
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, np.zeros_like(bias)])
    return model


# Input noise (`model.input_noise`) is the identity at inference, as LRP treats it.
@pytest.mark.parametrize(("ensemble", "input_noise"), [(1, 0.0), (3, 0.1)])
def test_lrp_of_a_wide_and_deep_network_splits_the_sum_and_conserves(ensemble, input_noise):
    import keras
    from kerasplug_housing.model import averaging_view

    model = zero_bias_wide_and_deep(4, "regression", [6, 4], ensemble, 3, input_noise)
    if ensemble > 1:
        model = averaging_view(model)
    x = frame(15, 4, 9).to_numpy()
    r, output, absorbed = lrp.model_relevance(model, x, epsilon=1e-12)
    assert_conserves(model(x), r, output, absorbed)
    # The linear branch's share is exactly x_i * w_i on every input.
    prefixes = [""] if ensemble == 1 else [f"m{m}_" for m in range(1, ensemble + 1)]
    linear = np.mean(
        [x * model.get_layer(f"{p}output_linear").get_weights()[0].ravel() for p in prefixes],
        axis=0,
    )
    deep = []
    for p in prefixes:
        tower = keras.Model(model.inputs, model.get_layer(f"{p}output_deep").output)
        deep.append(lrp.relevance(lrp.chain(tower), x, 1e-12)[0])
    np.testing.assert_allclose(r, linear + np.mean(deep, axis=0), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("ensemble", [1, 2])
def test_lrp_explains_the_logit_of_a_binary_wide_and_deep_network(ensemble):
    import keras
    from kerasplug_housing.model import averaging_view

    model = zero_bias_wide_and_deep(3, "binary", [5], ensemble, seed=4)
    prefixes = [""] if ensemble == 1 else ["m1_", "m2_"]
    logits = [
        keras.Model(model.input, model.get_layer(f"{prefix}output_logit").output)
        for prefix in prefixes
    ]
    if ensemble > 1:
        model = averaging_view(model)
    x = frame(10, 3, 4).to_numpy()
    r, output, absorbed = lrp.model_relevance(model, x, epsilon=1e-12, logit=True)
    # The explained quantity is the (mean) logit, not the probability, and it is conserved.
    expected = np.mean([np.asarray(f(x)).ravel() for f in logits], axis=0)
    assert_conserves(expected, r, output, absorbed)


def test_lrp_refuses_layers_it_does_not_cover():
    import keras

    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
    )
    with pytest.raises(lrp.UnsupportedModel, match="tanh"):
        lrp.chain(model)


def linear_network(weights):
    import keras

    model = keras.Sequential([keras.Input((len(weights),)), keras.layers.Dense(1)])
    model.layers[-1].set_weights(
        [np.asarray(weights, dtype="float32").reshape(-1, 1), np.zeros(1, dtype="float32")]
    )
    return model


def test_lime_slopes_of_a_linear_network_are_its_weights_times_the_spread():
    background, rows = frame(200, 4, 8), frame(6, 4, 9)
    weights = np.array([0.1, 3.0, -0.2, 0.05])
    result = explain("lime", linear_network(weights), background, rows)
    assert result.extras["importance"].index[0] == "x1"
    # LIME standardises with the background's (population) standard deviation; its ridge
    # regression (alpha 1 on 500 samples) shrinks the slopes by under 2%.
    expected = weights * background.std(ddof=0).to_numpy()
    np.testing.assert_allclose(
        result.values.to_numpy(), np.tile(expected, (6, 1)), rtol=2e-2, atol=2e-3
    )
    fit = result.extras["fit"]
    assert (fit["score"] > 0.999).all()
    np.testing.assert_allclose(fit["prediction"], rows.to_numpy() @ weights, rtol=1e-4)


def test_lime_with_quartile_bins_finds_the_driving_feature():
    background, rows = frame(200, 4, 8), frame(6, 4, 9)
    weights = np.array([0.1, 3.0, -0.2, 0.05])
    result = explain("lime", linear_network(weights), background, rows, lime_discretize=True)
    assert result.extras["importance"].index[0] == "x1"
    fit = result.extras["fit"]
    # Quartile-discretised local fits of a linear function are poor for some rows (LIME's own
    # R²), good for others: the score is reported, not assumed.
    assert (fit["score"] <= 1).all() and fit["score"].max() > 0.5


def test_limes_local_ridge_in_numpy_equals_scikit_learns():
    from kerasplug_housing.explainers.lime_local import WeightedRidge
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(12)
    x = rng.normal(size=(300, 7))
    y = x @ rng.normal(size=7) + rng.normal(scale=0.5, size=300) + 3.0
    w = rng.uniform(0.01, 1.0, size=300)
    ours = WeightedRidge(alpha=1.0).fit(x, y, sample_weight=w)
    theirs = Ridge(alpha=1.0).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8, atol=1e-10)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-8)
    np.testing.assert_allclose(ours.predict(x[:5]), theirs.predict(x[:5]), rtol=1e-8)
    assert ours.score(x, y, sample_weight=w) == pytest.approx(
        theirs.score(x, y, sample_weight=w), rel=1e-8
    )
