"""Matplotlib figures (Agg backend, no display) for the plots, explanation and report plugins.

Imported only inside hook implementations: it loads matplotlib, numpy and pandas at import.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def learning_curves(history: pd.DataFrame, best_epoch: int | None = None) -> Any:
    """Training and validation loss per epoch, the best validation epoch marked."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for column, style in (("loss", "-"), ("val_loss", "--")):
        if column in history:
            ax.plot(history["epoch"], history[column], style, label=column)
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", lw=0.8, ls=":", label=f"best epoch {best_epoch}")
    ax.set(xlabel="epoch", ylabel="loss", title="Learning curves")
    if (history.filter(like="loss") > 0).all().all():
        ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    return fig


def predicted_vs_actual(frame: pd.DataFrame, target: str) -> Any:
    fig, ax = plt.subplots(figsize=(5, 5))
    for part, rows in frame.groupby("split", sort=False):
        ax.scatter(rows["y_true"], rows["y_pred"], s=12, alpha=0.6, label=part)
    low = float(min(frame["y_true"].min(), frame["y_pred"].min()))
    high = float(max(frame["y_true"].max(), frame["y_pred"].max()))
    ax.plot([low, high], [low, high], "k--", lw=1, label="ideal")
    ax.set(xlabel=f"actual {target}", ylabel=f"predicted {target}", title="Predicted vs actual")
    ax.legend()
    fig.tight_layout()
    return fig


def residuals_vs_predicted(frame: pd.DataFrame, target: str) -> Any:
    fig, ax = plt.subplots(figsize=(6, 4))
    for part, rows in frame.groupby("split", sort=False):
        ax.scatter(rows["y_pred"], rows["y_true"] - rows["y_pred"], s=12, alpha=0.6, label=part)
    ax.axhline(0, color="k", lw=1)
    ax.set(xlabel=f"predicted {target}", ylabel="residual (actual - predicted)")
    ax.set_title("Residuals vs predicted")
    ax.legend()
    fig.tight_layout()
    return fig


def residual_histogram(frame: pd.DataFrame) -> Any:
    fig, ax = plt.subplots(figsize=(6, 4))
    for part, rows in frame.groupby("split", sort=False):
        ax.hist(rows["y_true"] - rows["y_pred"], bins=30, alpha=0.5, label=part)
    ax.set(xlabel="residual (actual - predicted)", ylabel="rows", title="Residual histogram")
    ax.legend()
    fig.tight_layout()
    return fig


def confusion(matrix: np.ndarray, classes: list[Any]) -> Any:
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center")
    ticks = range(len(classes))
    ax.set_xticks(ticks, [str(c) for c in classes])
    ax.set_yticks(ticks, [str(c) for c in classes])
    ax.set(xlabel="predicted", ylabel="actual", title="Confusion matrix (test)")
    fig.tight_layout()
    return fig


def roc(curves: dict[str, tuple[np.ndarray, np.ndarray, float]]) -> Any:
    """ROC curves, `{label: (false positive rate, true positive rate, auc)}`."""
    fig, ax = plt.subplots(figsize=(5, 5))
    for label, (fpr, tpr, auc) in curves.items():
        ax.plot(fpr, tpr, label=f"{label} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (test)")
    ax.legend()
    fig.tight_layout()
    return fig


def importance_bar(importance: pd.Series, title: str, top: int = 20) -> Any:
    shown = importance.iloc[:top][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(shown) + 1.2))
    ax.barh([str(i) for i in shown.index], shown.to_numpy())
    ax.set(title=title, xlabel="mean |attribution|")
    fig.tight_layout()
    return fig


def attribution_bar(row: pd.Series, title: str, top: int = 15) -> Any:
    """One row's signed attributions, strongest first from the top."""
    shown = row.reindex(row.abs().sort_values(ascending=False).index[:top])[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(shown) + 1.2))
    colours = ["tab:red" if v > 0 else "tab:blue" for v in shown.to_numpy()]
    ax.barh([str(i) for i in shown.index], shown.to_numpy(), color=colours)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def _shap_explanation(explanation: Any, data: np.ndarray) -> Any:
    import shap

    values = explanation.values
    return shap.Explanation(
        values=values.to_numpy(dtype="float64"),
        base_values=np.full(len(values), explanation.base_value),
        data=data,
        feature_names=[str(c) for c in values.columns],
    )


def shap_beeswarm(explanation: Any, data: np.ndarray) -> Any:
    """SHAP's beeswarm plot (colour: the raw value of the source column, grey where missing)."""
    import warnings

    import shap

    with warnings.catch_warnings():
        # A source column missing in every explained row (Ames has columns missing in over
        # 96% of sales) has no colour range: SHAP draws its dots grey, but first warns from
        # np.nanpercentile.
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        shap.plots.beeswarm(_shap_explanation(explanation, data), show=False, max_display=15)
    fig = plt.gcf()
    fig.tight_layout()
    return fig


def shap_waterfall(row: pd.Series, base_value: float, data: np.ndarray) -> Any:
    import shap

    single = shap.Explanation(
        values=row.to_numpy(dtype="float64"),
        base_values=base_value,
        data=data,
        feature_names=[str(c) for c in row.index],
    )
    shap.plots.waterfall(single, show=False, max_display=12)
    fig = plt.gcf()
    fig.set_size_inches(7, 5)
    fig.tight_layout()
    return fig
