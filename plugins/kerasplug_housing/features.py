"""Feature extraction: the activations of named layers for preprocessed rows.

A sub-model from the network's inputs to the outputs of the chosen layers (every layer when
none is named) is called in inference mode; each layer gives one block of columns named
`<layer>_<unit>`, its output flattened. Works for Sequential and functional models alike.
"""

from __future__ import annotations

from typing import Any

from kerasplug import UsageError, hookimpl

BATCH = 8192


def feature_model(model: Any, layers: list[str]) -> tuple[Any, list[str]]:
    """A Keras model giving the outputs of `layers` (all but input layers when empty)."""
    import keras

    names = [layer.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    unknown = [n for n in layers if n not in names]
    if unknown:
        raise UsageError(
            f"the model has no layer {', '.join(map(repr, unknown))}; its layers: "
            f"{', '.join(names)}"
        )
    chosen = list(dict.fromkeys(layers)) or names
    outputs = [model.get_layer(n).output for n in chosen]
    return keras.Model(model.inputs, outputs), chosen


def activations(model: Any, x: Any, layers: list[str]) -> Any:
    """The activations of `layers` for the rows of the DataFrame `x`, one column block each."""
    import numpy as np
    import pandas as pd

    sub, chosen = feature_model(model, layers)
    values = x.to_numpy(dtype="float32")
    per_layer: list[list[Any]] = [[] for _ in chosen]
    for i in range(0, max(len(values), 1), BATCH):
        out = sub(values[i : i + BATCH], training=False)
        for k, tensor in enumerate(out if isinstance(out, (list, tuple)) else [out]):
            array = np.asarray(tensor)
            per_layer[k].append(array.reshape(len(array), -1))
    blocks = []
    for name, parts in zip(chosen, per_layer, strict=True):
        block = np.concatenate(parts)
        columns = [f"{name}_{u}" for u in range(block.shape[1])]
        blocks.append(pd.DataFrame(block, index=x.index, columns=columns))
    return pd.concat(blocks, axis=1)


@hookimpl(trylast=True)
def extract_features(model: Any, x: Any, layers: list[str]) -> Any:
    return activations(model, x, layers)
