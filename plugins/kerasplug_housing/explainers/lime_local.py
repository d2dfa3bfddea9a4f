"""LIME: a weighted linear fit around each row, in regression mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class LimeResult:
    values: pd.DataFrame  # local weights, one column per model input (0 where not selected)
    fit: pd.DataFrame  # per row: score (R² of the local fit), intercept, local_pred, prediction


def lime_values(
    f: Callable[[np.ndarray], np.ndarray],
    background: pd.DataFrame,
    rows: pd.DataFrame,
    *,
    samples: int = 1000,
    discretize: bool = False,
    seed: int = 0,
) -> LimeResult:
    """LIME weights of `f` for each of `rows`, perturbing with the background's statistics.

    LIME gets numpy arrays: its tabular explainer fails on DataFrames with pandas 3. Columns
    with at most two distinct background values (one-hot, indicators) are treated as
    categorical so LIME flips them instead of sampling a continuous range.

    By default (`discretize=False`) continuous columns are sampled around the explained row
    with the background's standard deviations, and a weight is the local linear model's slope
    per standard deviation of that column (for a linear network: its weight times the
    column's spread, fitted with R² = 1). `discretize=True` is LIME's own default: quartile
    bins, and a weight is the effect of the row's bin against the others; its truncated-normal
    sampling makes it about twice as slow. Every column is kept (`feature_selection="none"`),
    which spares LIME a second ridge fit.
    """
    from lime.lime_tabular import LimeTabularExplainer

    train = background.to_numpy(dtype="float64")
    names = [str(c) for c in rows.columns]
    categorical = [i for i in range(train.shape[1]) if len(np.unique(train[:, i])) <= 2]
    explainer = LimeTabularExplainer(
        train,
        mode="regression",
        feature_names=names,
        categorical_features=categorical,
        discretize_continuous=discretize,
        sample_around_instance=not discretize,
        feature_selection="none",
        random_state=seed,
    )
    weights = np.zeros(rows.shape, dtype="float64")
    fit = []
    x = rows.to_numpy(dtype="float64")
    predictions = f(x)
    for i, row in enumerate(x):
        result = explainer.explain_instance(row, f, num_features=len(names), num_samples=samples)
        # In regression mode LIME stores the weights under label 1 (label 0 holds them negated).
        label = 1
        for feature, weight in result.as_map()[label]:
            weights[i, feature] = weight
        fit.append(
            {
                "score": float(result.score),
                "intercept": float(result.intercept[label]),
                "local_pred": float(np.ravel(result.local_pred)[0]),
                "prediction": float(predictions[i]),
            }
        )
    return LimeResult(
        pd.DataFrame(weights, index=rows.index, columns=rows.columns),
        pd.DataFrame(fit, index=rows.index),
    )
