"""Layer-wise relevance propagation, epsilon rule, for networks of Dense and ReLU layers.

The network is rewritten as a chain of affine maps (Dense; inference-mode BatchNormalization as
a per-unit scale and shift) and ReLUs; Dropout, GaussianNoise and InputLayer are the identity
at inference.
Relevance starts as the network's output and flows back through each affine map z = a W + b:

    R_i = a_i * sum_j W_ij * R_j / (z_j + eps * sign(z_j))      (sign(0) taken as +1)

ReLUs pass relevance unchanged. Conservation, per affine map: sum_i R_i equals
sum_j R_j * (z_j - b_j) / (z_j + eps * sign(z_j)); the rest is absorbed by the biases and by
epsilon. So with zero biases and eps -> 0 the input relevances sum to the output exactly.

An ensemble whose last layer averages K such networks (`model.ensemble`) is the affine map
out = sum_k out_k / K with no bias, so the epsilon rule hands member k the relevance
out_k / K (up to epsilon) and the input relevances are the mean of the members' own.

A wide & deep network (`model.linear`) ends in an `Add` of branches, each a chain (the deep
tower and the linear map of the inputs). The `Add` is an affine map with unit weights and no
bias: the epsilon rule hands branch k the relevance out_k * out / (out + eps * sign(out)), and
the input relevances are the branches' own, each scaled by that factor, summed. On the linear
branch they are exactly x_i * w_i (times the factor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Affine:
    weight: np.ndarray  # (inputs, outputs) for Dense, (units,) for an elementwise scale
    bias: np.ndarray

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return a @ self.weight + self.bias if self.weight.ndim == 2 else a * self.weight + self.bias


RELU = "relu"


class UnsupportedModel(ValueError):
    """The network has a layer the epsilon rule here does not cover."""


def _activation(name: str, layer: str) -> list[Any]:
    if name == "linear":
        return []
    if name == "relu":
        return [RELU]
    raise UnsupportedModel(f"layer {layer!r} has activation {name!r}; LRP here needs ReLU/linear")


def chain(model: Any, *, logit: bool = False) -> list[Any]:
    """The model as a list of `Affine` maps and `RELU` markers, or `UnsupportedModel`.

    `logit=True` ignores the last layer's activation (a classifier's sigmoid), so the logit is
    explained.
    """
    import keras

    steps: list[Any] = []
    last = model.layers[-1]
    for layer in model.layers:
        kind = type(layer).__name__
        if isinstance(
            layer, (keras.layers.InputLayer, keras.layers.Dropout, keras.layers.GaussianNoise)
        ):
            continue
        if isinstance(layer, keras.Model):  # a nested network: its own chain, in place
            steps += chain(layer, logit=logit and layer is last)
            continue
        if isinstance(layer, keras.layers.Dense):
            kernel, *rest = (np.asarray(w, dtype="float64") for w in layer.get_weights())
            bias = rest[0] if rest else np.zeros(kernel.shape[1])
            steps.append(Affine(kernel, bias))
            if not (logit and layer is last):
                steps += _activation(keras.activations.serialize(layer.activation), layer.name)
        elif isinstance(layer, keras.layers.Activation):
            steps += _activation(keras.activations.serialize(layer.activation), layer.name)
        elif isinstance(layer, keras.layers.ReLU) and layer.get_config().get("max_value") is None:
            steps.append(RELU)
        elif isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = (np.asarray(w, dtype="float64") for w in _bn(layer))
            scale = gamma / np.sqrt(var + layer.epsilon)
            steps.append(Affine(scale, beta - mean * scale))
        elif isinstance(layer, keras.layers.Add):
            raise UnsupportedModel(
                f"layer {layer.name!r} adds branches inside the network; LRP here follows a "
                "chain of Dense layers, or branches added at the output (model.linear)"
            )
        else:
            raise UnsupportedModel(f"layer {layer.name!r} ({kind}) is not Dense/ReLU/BN/Dropout")
    return steps


def _bn(layer: Any) -> list[np.ndarray]:
    units = layer.moving_mean.shape[0]
    gamma = layer.gamma.numpy() if layer.scale else np.ones(units)
    beta = layer.beta.numpy() if layer.center else np.zeros(units)
    return [gamma, beta, layer.moving_mean.numpy(), layer.moving_variance.numpy()]


def _stabilise(z: np.ndarray, epsilon: float) -> np.ndarray:
    return z + epsilon * np.where(z >= 0, 1.0, -1.0)


def relevance(steps: list[Any], x: np.ndarray, epsilon: float = 1e-6) -> tuple[np.ndarray, ...]:
    """Input relevances (n, d), the network output (n,) and the relevance the biases absorbed.

    Explains the first output unit; relevance starts as that unit's value.
    """
    activations = [np.asarray(x, dtype="float64")]
    for step in steps:
        a = activations[-1]
        activations.append(np.maximum(a, 0.0) if step is RELU else step(a))
    output = activations[-1][:, 0]
    r = np.zeros_like(activations[-1])
    r[:, 0] = output
    for step, a in zip(reversed(steps), reversed(activations[:-1]), strict=True):
        if step is RELU:
            continue
        if step.weight.ndim == 2:
            r = a * ((r / _stabilise(step(a), epsilon)) @ step.weight.T)
        else:
            r = a * step.weight * r / _stabilise(step(a), epsilon)
    return r, output, output - r.sum(axis=1)


def _branched_relevance(
    model: Any, x: np.ndarray, epsilon: float, logit: bool
) -> tuple[np.ndarray, ...]:
    """`relevance` for a chain, or for chains added at the output (a wide & deep network)."""
    import keras

    last = model.layers[-1]
    if logit and isinstance(last, keras.layers.Activation):
        before = next((layer for layer in model.layers if layer.output is last.input), None)
        if isinstance(before, keras.layers.Add):  # sigmoid(deep + linear): explain the sum
            model, last = keras.Model(model.inputs, last.input), before
    if not isinstance(last, keras.layers.Add):
        return relevance(chain(model, logit=logit), x, epsilon)
    parts = [
        relevance(chain(keras.Model(model.inputs, tensor), logit=logit), x, epsilon)
        for tensor in last.input
    ]
    output = np.sum([part[1] for part in parts], axis=0)
    share = (output / _stabilise(output, epsilon))[:, None]
    r = share * np.sum([part[0] for part in parts], axis=0)
    return r, output, output - r.sum(axis=1)


def model_relevance(
    model: Any, x: np.ndarray, epsilon: float = 1e-6, *, logit: bool = False
) -> tuple[np.ndarray, ...]:
    """`relevance` for a chain network, a wide & deep one, or an `Average` of either kind (an
    ensemble).

    For a binary ensemble with `logit=True` the explained quantity is the mean of the members'
    logits.
    """
    import keras

    last = model.layers[-1]
    if not isinstance(last, keras.layers.Average):
        return _branched_relevance(model, x, epsilon, logit)
    members = [keras.Model(model.inputs, tensor) for tensor in last.input]
    parts = [_branched_relevance(member, x, epsilon, logit) for member in members]
    return tuple(np.mean([part[i] for part in parts], axis=0) for i in range(3))
