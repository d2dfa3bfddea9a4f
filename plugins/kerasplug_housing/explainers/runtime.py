"""Explanations during a run: choose rows, explain, save CSVs and plots, report in one line."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kerasplug import Explanation
from kerasplug_housing.explainers import common
from kerasplug_housing.explainers.api import explain_rows
from kerasplug_housing.explainers.lrp import UnsupportedModel


def row_errors(run: Any, labels: pd.Index) -> pd.Series | None:
    """Absolute prediction errors of the current fold's rows `labels` (None if unknown)."""
    frame = run.predictions
    if frame is None:
        return None
    frame = frame[(frame["fold"] == run.fold) & frame["row"].isin(labels)].set_index("row")
    if run.task == "regression":
        error = frame["y_true"] - frame["y_pred"]
    else:
        positive = run.classes[-1]
        error = (frame["y_true"] == positive).astype(float) - frame[f"p_{positive}"]
    return error.abs().reindex(labels)


def explain_at_run(
    run: Any, method: str, model: Any, background: pd.DataFrame, rows: pd.DataFrame
) -> list[Explanation]:
    cfg = run.config["explain"]
    if run.task == "multiclass":
        run.warn(f"{method}: multiclass models are not explained")
        return []
    seed = run.config["run"]["seed"]
    chosen, worst = common.choose_rows(
        rows.index, row_errors(run, rows.index), cfg["rows"], cfg["worst"], seed
    )
    sources = [str(c) for c in run.parts["train"].raw.columns]
    try:
        explanation = explain_rows(
            method,
            model=model,
            target_transform=run.target_transform if run.task == "regression" else None,
            task=run.task,
            pipeline=run.pipeline,
            sources=sources,
            background=common.sample_background(background, cfg["background"], seed),
            rows=rows.loc[chosen],
            settings={**cfg, "seed": seed},
        )
    except UnsupportedModel as exc:
        run.warn(f"{method}: not run: {exc}")
        return []
    explanation.extras["worst"] = worst
    raw = run.frame.loc[chosen, sources]
    save(run, explanation, raw)
    return [explanation]


def summary(explanation: Explanation) -> dict[str, Any]:
    """The figures `metrics.json` keeps about one explanation."""
    extras = explanation.extras
    info: dict[str, Any] = {
        "algorithm": extras["algorithm"],
        "rows": len(explanation.values),
        "seconds": round(extras["seconds"], 4),
        "top_features": list(extras["importance"].index[:5]),
    }
    if "additivity_error" in extras:
        prediction = extras["prediction"].abs().clip(lower=1e-12)
        total = explanation.base_value + explanation.values.sum(axis=1)
        info["additivity_error"] = extras["additivity_error"]
        info["additivity_relative"] = float(
            ((total - extras["prediction"]).abs() / prediction).max()
        )
    if "fit" in extras:
        info["lime_mean_score"] = float(extras["fit"]["score"].mean())
    if "absorbed" in extras:
        share = extras["absorbed"].abs() / extras["prediction"].abs().clip(lower=1e-12)
        info["lrp_absorbed_median_share"] = float(share.median())
    return info


def save(run: Any, explanation: Explanation, raw: pd.DataFrame) -> None:
    from kerasplug_housing import figures

    method, extras = explanation.method, explanation.extras
    folder = "explanations"
    run.dir.write_csv(f"{folder}/{method}_values.csv", explanation.values, index_label="row")
    run.dir.write_csv(
        f"{folder}/{method}_values_expanded.csv", extras["expanded"], index_label="row"
    )
    run.dir.write_csv(
        f"{folder}/{method}_importance.csv",
        extras["importance"].rename("mean_abs").to_frame(),
        index_label="feature",
    )
    if "fit" in extras:
        run.dir.write_csv(f"{folder}/lime_fit.csv", extras["fit"], index_label="row")
    info = summary(explanation)
    run.metrics.setdefault("explanations", {})[method] = info
    line = f"{method} ({info['algorithm']}): {info['rows']} rows in {info['seconds']:.2f}s"
    if "additivity_error" in info:
        line += f", additivity error max {info['additivity_error']:.2g}"
    if "lime_mean_score" in info:
        line += f", mean local R² {info['lime_mean_score']:.3f}"
    run.echo(f"{line}; top: {', '.join(info['top_features'][:3])}")

    def keep(tag: str, name: str, fig: Any) -> None:
        run.add_image(tag, run.dir.save_figure(f"{folder}/{name}.png", fig, dpi=90))

    keep(
        f"explain/{method}_importance",
        f"{method}_importance",
        figures.importance_bar(extras["importance"], f"{method.upper()}: mean |attribution|"),
    )
    # The raw values behind each attributed column, for colour; columns the attributions name
    # but the raw rows lack (generated features) stay NaN, drawn grey.
    shown = raw.reindex(columns=explanation.values.columns).apply(pd.to_numeric, errors="coerce")
    if method == "shap":
        data = shown.to_numpy(dtype="float64")
        keep("explain/shap_beeswarm", "shap_beeswarm", figures.shap_beeswarm(explanation, data))
    for label in extras["worst"]:
        position = explanation.values.index.get_loc(label)
        row = explanation.values.iloc[position]
        if method == "shap":
            data = shown.iloc[position].to_numpy(dtype="float64")
            fig = figures.shap_waterfall(row, explanation.base_value, data)
        else:
            title = f"{method.upper()} row {label}: prediction {extras['prediction'][label]:.4g}"
            if "fit" in extras:
                title += f", local R² {extras['fit'].loc[label, 'score']:.2f}"
            fig = figures.attribution_bar(row, title)
        keep(f"explain/{method}_row_{label}", f"{method}_row_{label}", fig)


def worst_table(run: Any, explanations: list[Explanation], top: int = 3) -> pd.DataFrame:
    """The worst rows: their true value, prediction and each method's strongest features."""
    worst = next((e.extras.get("worst") for e in explanations if e.extras.get("worst")), [])
    errors = row_errors(run, pd.Index(worst))
    frame = run.predictions[
        (run.predictions["fold"] == run.fold) & run.predictions["row"].isin(worst)
    ].set_index("row")
    table = pd.DataFrame(
        {"y_true": frame["y_true"], "y_pred": frame["y_pred"], "abs_error": errors}
    ).reindex(worst)
    for explanation in explanations:
        values = explanation.values
        table[explanation.method] = [
            ", ".join(
                f"{name} {values.loc[label, name]:+.3g}"
                for name in values.loc[label].abs().sort_values(ascending=False).index[:top]
            )
            if label in values.index
            else ""
            for label in worst
        ]
    return table
