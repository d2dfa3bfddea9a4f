"""What every explanation method needs: the model's output function and feature grouping."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Rows per call of the network: large batches make attribution methods fast.
BATCH = 65536

#: A transformer may name the source column of each output feature in this attribute
#: (`{output_name: source_column}`); it takes precedence over the name-based guess.
SOURCES_ATTRIBUTE = "feature_sources_"


def model_output(model: Any, target_transform: Any, task: str) -> Callable[[Any], np.ndarray]:
    """The function the explanations explain, as a 1-D array per row of preprocessed features.

    Regression: the prediction in the target's original units (the target transform is
    inverted). Binary: the probability of the second class. The network runs as one traced
    TensorFlow graph in large batches (`forward`), which is far faster than `model.predict`
    or eager calls for the many small calls attribution methods make.
    """
    forward_pass = forward(model)

    def f(x: Any) -> np.ndarray:
        values = np.asarray(x, dtype="float32")
        if values.ndim == 1:
            values = values.reshape(1, -1)
        out = np.concatenate(
            [
                np.asarray(forward_pass(values[i : i + BATCH]))
                for i in range(0, max(len(values), 1), BATCH)
            ]
        ).reshape(len(values), -1)
        if task != "regression":
            return out[:, -1].astype("float64")
        out = out[:, :1].astype("float64")
        if target_transform is not None:
            out = target_transform.inverse_transform(out)
        return np.asarray(out).ravel()

    return f


_FORWARD: weakref.WeakKeyDictionary[Any, Callable[[np.ndarray], Any]] = weakref.WeakKeyDictionary()


def forward(model: Any) -> Callable[[np.ndarray], Any]:
    """`model(x, training=False)` traced once per model into a TensorFlow graph.

    An eager call of a Keras model dispatches every layer from Python (about 40 ms for the
    Boston example's five-network ensemble, whatever the batch); the traced graph costs about
    2 ms plus the arithmetic. Any batch size reuses the one trace.
    """
    cached = _FORWARD.get(model)
    if cached is None:
        from kerasplug.tfruntime import import_tensorflow

        tf = import_tensorflow()
        width = model.inputs[0].shape[-1] if getattr(model, "inputs", None) else None
        cached = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, width], tf.float32)],
            reduce_retracing=True,
        )
        _FORWARD[model] = cached
    return cached


def output_slope(target_transform: Any, raw_output: np.ndarray) -> np.ndarray:
    """d(original units)/d(network output) at each output: the target transform's local scale."""
    raw = np.asarray(raw_output, dtype="float64").reshape(-1, 1)
    if target_transform is None:
        return np.ones(len(raw))
    step = 1e-3 * np.maximum(1.0, np.abs(raw))
    up = np.asarray(target_transform.inverse_transform(raw + step)).ravel()
    down = np.asarray(target_transform.inverse_transform(raw - step)).ravel()
    return (up - down) / (2 * step.ravel())


def _strip_prefix(name: str) -> str:
    """ColumnTransformer names outputs `transformer__feature`; the feature part is what counts."""
    return name.split("__", 1)[1] if "__" in name else name


def source_columns(
    features: Sequence[str], sources: Iterable[str], declared: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map each preprocessed feature to the input column it comes from.

    `declared` (a transformer's `feature_sources_`) wins. Otherwise a feature named like an
    input column is that column; a one-hot column `COL_value` or `COL=value` belongs to the
    longest input column `COL` it starts with; an indicator `missingindicator_COL` (or any
    `prefix_COL`) to the input column it ends with. Anything else is its own source.
    """
    sources = [str(s) for s in sources]
    known = set(sources)
    mapping: dict[str, str] = {}
    for feature in map(str, features):
        if declared and feature in declared:
            mapping[feature] = str(declared[feature])
            continue
        name = _strip_prefix(feature)
        if name in known:
            mapping[feature] = name
            continue
        starts = [s for s in sources if name.startswith((f"{s}_", f"{s}="))]
        ends = [s for s in sources if name.endswith(f"_{s}")]
        found = max(starts or ends, key=len, default=None)
        mapping[feature] = found if found is not None else feature
    return mapping


def declared_sources(pipeline: Any) -> dict[str, str]:
    """The `feature_sources_` of the pipeline's steps, chained from the input to the output."""
    steps = getattr(pipeline, "steps", None) or []
    chained: dict[str, str] = {}
    for _, step in steps:
        declared = getattr(step, SOURCES_ATTRIBUTE, None)
        if declared:
            chained = {out: chained.get(src, src) for out, src in declared.items()} | {
                k: v for k, v in chained.items() if k not in declared
            }
    return chained


def group(values: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    """Sum attribution columns that share a source column (one-hot, indicators)."""
    order = list(dict.fromkeys(mapping.get(c, c) for c in values.columns))
    grouped = values.T.groupby([mapping.get(c, c) for c in values.columns], sort=False).sum().T
    return grouped[order]


def worst_rows(errors: pd.Series, count: int) -> list[Any]:
    """The labels of the `count` rows with the largest absolute error, worst first."""
    return list(errors.abs().sort_values(ascending=False, kind="stable").index[:count])


def choose_rows(
    labels: pd.Index, errors: pd.Series | None, count: int, worst: int, seed: int
) -> tuple[list[Any], list[Any]]:
    """The rows to explain (all worst rows plus a seeded sample up to `count`) and the worst."""
    bad = worst_rows(errors, worst) if errors is not None else []
    if count == 0 or count >= len(labels):
        return list(labels), bad
    rest = [label for label in labels if label not in set(bad)]
    rng = np.random.default_rng(seed)
    extra = max(count - len(bad), 0)
    picked = set(bad) | {rest[i] for i in rng.choice(len(rest), extra, replace=False)}
    return [label for label in labels if label in picked], bad


def sample_background(background: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """A seeded sample of `size` background rows (all of them when there are fewer)."""
    if size == 0 or len(background) <= size:
        return background
    return background.sample(n=size, random_state=seed)
