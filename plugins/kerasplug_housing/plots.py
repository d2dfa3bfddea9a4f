"""Evaluation plots (PNG, no display): learning curves, predictions, residuals; for classifiers
the confusion matrix and the ROC curve. Saved in `plots/` and registered with `run.add_image`.
"""

from __future__ import annotations

from typing import Any

from kerasplug import hookimpl


def _save(run: Any, name: str, fig: Any) -> None:
    run.add_image(f"plots/{name}", run.dir.save_figure(f"plots/{name}.png", fig, dpi=90))


@hookimpl
def report(run: Any) -> None:
    import pandas as pd

    from kerasplug_housing import figures

    history = pd.DataFrame(run.history)
    if "stage" in history:
        history = history[history["stage"] != "refit"]  # no validation curve to show
    if not history.empty:
        last = history[history["fold"] == history["fold"].max()]
        best = int(last.loc[last["val_loss"].idxmin(), "epoch"]) if "val_loss" in last else None
        _save(run, "learning_curves", figures.learning_curves(last, best))
    frame = run.predictions[run.predictions["fold"] == run.fold]
    if run.task == "regression":
        _save(run, "predicted_vs_actual", figures.predicted_vs_actual(frame, run.target))
        _save(run, "residuals_vs_predicted", figures.residuals_vs_predicted(frame, run.target))
        _save(run, "residual_histogram", figures.residual_histogram(frame))
        return
    from sklearn.metrics import auc, confusion_matrix, roc_curve

    test = frame[frame["split"] == frame["split"].iloc[-1]]
    matrix = confusion_matrix(test["y_true"], test["y_pred"], labels=run.classes)
    _save(run, "confusion_matrix", figures.confusion(matrix, run.classes))
    shown = run.classes[-1:] if len(run.classes) == 2 else run.classes
    curves = {}
    for cls in shown:
        truth = (test["y_true"] == cls).to_numpy()
        if truth.all() or not truth.any():
            continue
        fpr, tpr, _ = roc_curve(truth, test[f"p_{cls}"].to_numpy())
        curves[str(cls)] = (fpr, tpr, float(auc(fpr, tpr)))
    if curves:
        _save(run, "roc", figures.roc(curves))
