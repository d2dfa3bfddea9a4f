"""One entry point per method, shared by the `explain` hooks and `kerasplug explain`."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kerasplug import Explanation, UsageError
from kerasplug_housing.explainers import common

METHODS = ("shap", "lime", "lrp")


def explain_rows(
    method: str,
    *,
    model: Any,
    target_transform: Any,
    task: str,
    pipeline: Any,
    sources: Sequence[str],
    background: pd.DataFrame,
    rows: pd.DataFrame,
    settings: Mapping[str, Any],
) -> Explanation:
    """Explain `rows` (preprocessed) with `method`; attributions in the output's units.

    `values` holds the attributions summed back to the input columns `sources` (one-hot and
    indicator columns join their source column); `extras["expanded"]` holds them per model
    input. `settings` is the `[explain]` config section (plus `seed`).
    """
    if task == "multiclass":
        raise UsageError("explanations cover regression and binary models, not multiclass ones")
    f = common.model_output(model, target_transform, task)
    started = time.perf_counter()
    extras: dict[str, Any] = {}
    base = None
    if method == "shap":
        from kerasplug_housing.explainers.shapley import shap_values

        result = shap_values(
            f,
            background,
            rows,
            exact_max_features=settings["exact_max_features"],
            permutations=settings["permutations"],
            kmeans=settings["kmeans"],
            seed=settings["seed"],
        )
        expanded, base = result.values, result.base_value
        extras.update(algorithm=result.algorithm, additivity_error=result.additivity_error)
    elif method == "lime":
        from kerasplug_housing.explainers.lime_local import lime_values

        result = lime_values(
            f,
            background,
            rows,
            samples=settings["lime_samples"],
            discretize=settings["lime_discretize"],
            seed=settings["seed"],
        )
        expanded = result.values
        extras.update(algorithm="lime", fit=result.fit)
    elif method == "lrp":
        expanded, absorbed = _lrp(model, target_transform, task, rows, settings["lrp_epsilon"])
        extras.update(algorithm="lrp-epsilon", absorbed=absorbed)
    else:
        raise UsageError(f"unknown explanation method {method!r}; choose from {', '.join(METHODS)}")
    extras["seconds"] = time.perf_counter() - started
    mapping = common.source_columns(rows.columns, sources, common.declared_sources(pipeline))
    grouped = common.group(expanded, mapping)
    extras.update(
        expanded=expanded,
        mapping=mapping,
        prediction=pd.Series(f(rows.to_numpy()), index=rows.index),
        importance=grouped.abs().mean().sort_values(ascending=False),
    )
    return Explanation(method, grouped, base_value=base, extras=extras)


def _lrp(
    model: Any, target_transform: Any, task: str, rows: pd.DataFrame, epsilon: float
) -> tuple[pd.DataFrame, pd.Series]:
    """LRP relevances in the output's units, and the relevance absorbed by biases and epsilon.

    Relevance is computed on the network's raw output; for regression it is scaled by the
    target transform's local slope (exact for an affine transform such as standard scaling;
    zero where `preprocess.clip_predictions` clipped the prediction, which does not move with
    the inputs there).
    A binary model's sigmoid is not a ReLU: its logit is explained instead.
    """
    from kerasplug_housing.explainers import lrp

    r, output, absorbed = lrp.model_relevance(
        model, rows.to_numpy(dtype="float64"), epsilon, logit=task != "regression"
    )
    scale = common.output_slope(target_transform, output) if task == "regression" else 1.0
    r = r * np.reshape(scale, (-1, 1))
    return (
        pd.DataFrame(r, index=rows.index, columns=rows.columns),
        pd.Series(absorbed * scale, index=rows.index),
    )
