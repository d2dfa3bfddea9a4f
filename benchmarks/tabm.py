"""A local plugin for benchmarks: TabM, an ensemble of MLPs that share their weights.

Gorishniy, Kotelnikov and Babenko (2025), "TabM: Advancing Tabular Deep Learning with
Parameter-Efficient Ensembling": k members share every hidden layer's kernel, and each member
scales that layer's inputs and outputs by vectors of its own (BatchEnsemble: member i's layer
is ((x * r_i) W) * s_i + b_i). The first layer's r_i start as random signs, the rest as ones;
each member has its own linear head; the loss averages the members' losses, as the housing
plugin's ensembles do, and the prediction averages the members. `tabm.kind = "mini"` keeps only
the first layer's r_i (their TabM-mini).

Its `build_model` (tryfirst) replaces the housing plugin's network and leaves every other stage
alone. The members are joined by the housing plugin's `members` layer, so training (a loss
per member) and prediction (their average) run through its code unchanged:

    python benchmarks/quality.py --dataset boston --repeats 1 --no-record \\
        --set 'plugins=["benchmarks/tabm.py"]' --set tabm.k=32

Built from stock Keras layers only, so its run directories load with `safe_mode=True`.
`model.l1` and `model.l2` apply to the shared kernels once (they are every member's);
`model.ensemble`, `batch_norm`, `input_noise` and `linear` are not used.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from kerasplug_housing import model as housing

from kerasplug import Option, hookimpl


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "tabm": {
            "k": Option(32, int, "members", min=2),
            "kind": Option(
                "full",
                str,
                "'full': adapters on every layer; 'mini': the first r_i only",
                choices=("full", "mini"),
            ),
        }
    }


def build_tabm(n_features: int, cfg: dict[str, Any], k: int, kind: str) -> Any:
    regularizer = housing.kernel_penalty(keras, cfg)
    inputs = keras.Input(shape=(n_features,), name="features")
    x = keras.layers.RepeatVector(k, name="members_in")(inputs)  # (batch, k, features)
    r_layers, s_layers, width = [], [], n_features
    for i, units in enumerate(cfg["hidden"], start=1):
        if i == 1 or kind == "full":
            r = keras.layers.EinsumDense("bkd,kd->bkd", output_shape=(k, width), name=f"r_{i}")
            x = r(x)
            r_layers.append(r)
        x = keras.layers.Dense(
            units,
            use_bias=kind == "mini",
            kernel_initializer=cfg["initializer"],
            kernel_regularizer=regularizer,
            name=f"dense_{i}",
        )(x)
        if kind == "full":
            s = keras.layers.EinsumDense(
                "bku,ku->bku", output_shape=(k, units), bias_axes="ku", name=f"s_{i}"
            )
            x = s(x)
            s_layers.append(s)
        x = keras.layers.Activation(cfg["activation"], name=f"activation_{i}")(x)
        width = units
        if cfg["dropout"]:
            x = keras.layers.Dropout(cfg["dropout"], name=f"dropout_{i}")(x)
    # One linear head per member: its slice of (batch, k, units), then its own Dense.
    heads = []
    for m in range(k):
        xm = keras.layers.Cropping1D((m, k - 1 - m), name=f"m{m + 1}_slice")(x)
        xm = keras.layers.Flatten(name=f"m{m + 1}_flat")(xm)
        heads.append(keras.layers.Dense(1, name=f"m{m + 1}_output")(xm))
    model = keras.Model(
        inputs, keras.layers.Concatenate(name=housing.MEMBERS)(heads), name=f"tabm_{kind}_{k}"
    )
    # r of the first layer: random signs (the members' diversity); the others and s: ones.
    # numpy's generator draws from the run's seed (the trainer seeds it before building).
    first, *rest = r_layers
    first.kernel.assign(np.sign(np.random.uniform(-1, 1, size=(k, n_features))))
    for r in rest:
        r.kernel.assign(np.ones(tuple(r.kernel.shape)))
    for s in s_layers:
        s.kernel.assign(np.ones(tuple(s.kernel.shape)))
        s.bias.assign(np.zeros(tuple(s.bias.shape)))
    return model


@hookimpl(tryfirst=True)
def build_model(run: Any, n_features: int, task: str) -> Any:
    if task != "regression":
        return None  # the housing plugin's network
    cfg = run.config["tabm"]
    return build_tabm(n_features, run.config["model"], cfg["k"], cfg["kind"])
