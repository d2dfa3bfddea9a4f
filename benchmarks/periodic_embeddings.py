"""A local plugin for benchmarks: periodic embeddings of the inputs in front of the MLP.

Gorishniy, Rubachev and Babenko (2022), "On Embeddings for Numerical Features in Tabular Deep
Learning": each scaled input x_f enters the network as ReLU(W_f [sin(2 pi c_f x_f), cos(2 pi
c_f x_f)] + b_f), with k trainable frequencies c_f drawn from N(0, sigma^2) and a linear map
W_f of its own to `dim` units (their "PLR" embedding); the embeddings of all inputs, flattened,
feed the example's MLP. Every member of an ensemble has its own embedding.

Its `build_model` (tryfirst) builds the housing plugin's network with the embedding as
`build_mlp`'s `stem` and leaves every other stage alone, the way an engineer would try a model
change without forking the workflow:

    python benchmarks/quality.py --dataset boston --repeats 1 --no-record \\
        --set 'plugins=["benchmarks/periodic_embeddings.py"]' --set periodic.sigma=0.1

Benchmarks only: its layer is registered with Keras when this module is imported, so a run
directory made with it loads only where the module was imported first.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from kerasplug_housing import model as housing

from kerasplug import Option, hookimpl


@keras.saving.register_keras_serializable(package="kerasplug_benchmarks")
class Periodic(keras.layers.Layer):
    """(batch, features) -> (batch, features, 2k): sin and cos of 2 pi c_f x_f."""

    def __init__(self, frequencies: int, sigma: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.frequencies, self.sigma = frequencies, sigma

    def build(self, input_shape: tuple[int, ...]) -> None:
        self.c = self.add_weight(
            shape=(input_shape[-1], self.frequencies),
            initializer=keras.initializers.RandomNormal(stddev=self.sigma),
            name="frequencies",
        )

    def call(self, x: Any) -> Any:
        z = 2 * math.pi * keras.ops.expand_dims(x, -1) * self.c
        return keras.ops.concatenate([keras.ops.sin(z), keras.ops.cos(z)], axis=-1)

    def get_config(self) -> dict[str, Any]:
        return super().get_config() | {"frequencies": self.frequencies, "sigma": self.sigma}


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "periodic": {
            "sigma": Option(0.1, float, "std of the initial frequencies", min=0.0),
            "frequencies": Option(48, int, "frequencies per input", min=1),
            "dim": Option(24, int, "units of each input's embedding", min=1),
        }
    }


def embed(inputs: Any, n_features: int, cfg: dict[str, Any], prefix: str) -> Any:
    z = Periodic(cfg["frequencies"], cfg["sigma"], name=f"{prefix}periodic")(inputs)
    z = keras.layers.EinsumDense(
        "bfk,fkd->bfd",
        output_shape=(n_features, cfg["dim"]),
        bias_axes="fd",
        name=f"{prefix}periodic_linear",
    )(z)
    z = keras.layers.ReLU(name=f"{prefix}periodic_relu")(z)
    return keras.layers.Flatten(name=f"{prefix}periodic_flat")(z)


@hookimpl(tryfirst=True)
def build_model(run: Any, n_features: int, task: str) -> Any:
    if task == "multiclass":
        return None  # the housing plugin's network, or its error
    cfg = run.config["periodic"]
    return housing.build_mlp(
        n_features,
        task,
        0,
        run.config["model"],
        stem=lambda inputs, prefix: embed(inputs, n_features, cfg, prefix),
    )
