"""Evaluation: regression metrics in the target's original units."""

from __future__ import annotations

from typing import Any

from kerasplug import hookimpl


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics

    mse = metrics.mean_squared_error(y_true, y_pred)
    return {
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "r2": float(metrics.r2_score(y_true, y_pred)),
    }


@hookimpl
def compute_metrics(run: Any, y_true: Any, y_pred: Any) -> dict[str, float] | None:
    if run.task != "regression":
        return None
    return regression_metrics(y_true, y_pred)
