"""Evaluation: regression metrics in the target's original units; classification metrics."""

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
        "medae": float(metrics.median_absolute_error(y_true, y_pred)),
        # A fraction (0.12 is 12 %); sklearn divides by max(|y|, eps), so a zero target
        # gives a huge value rather than a crash.
        "mape": float(metrics.mean_absolute_percentage_error(y_true, y_pred)),
        "r2": float(metrics.r2_score(y_true, y_pred)),
    }


def classification_metrics(y_true: Any, proba: Any) -> dict[str, float]:
    """Accuracy, F1 and ROC AUC from encoded classes and class probabilities (n, k).

    Binary: F1 of the second class, AUC of its probability. Several classes: macro F1 and
    one-vs-rest macro AUC. AUC is left out when `y_true` holds a single class.
    """
    import numpy as np
    from sklearn import metrics

    y_true = np.asarray(y_true)
    labels = np.arange(proba.shape[1])
    binary = proba.shape[1] == 2
    predicted = proba.argmax(axis=1)
    result = {
        "accuracy": float(metrics.accuracy_score(y_true, predicted)),
        "f1": float(
            metrics.f1_score(
                y_true, predicted, labels=labels, average="binary" if binary else "macro"
            )
        ),
        "log_loss": float(metrics.log_loss(y_true, proba, labels=labels)),
    }
    if len(np.unique(y_true)) == proba.shape[1]:
        result["roc_auc"] = float(
            metrics.roc_auc_score(y_true, proba[:, 1])
            if binary
            else metrics.roc_auc_score(y_true, proba, multi_class="ovr", labels=labels)
        )
    return result


@hookimpl
def compute_metrics(run: Any, y_true: Any, y_pred: Any) -> dict[str, float] | None:
    if run.task != "regression":
        return classification_metrics(y_true, y_pred)
    return regression_metrics(y_true, y_pred)
