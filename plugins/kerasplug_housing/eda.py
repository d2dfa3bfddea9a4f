"""Exploratory report of the loaded table, written to `eda/` in the run directory.

`eda/summary.csv` and `eda/summary.json`: per column its dtype, missing rate, unique count,
mean, std, min, quartiles, max, 3-sigma outlier count and correlation with the target;
`eda/correlation.png`: a heatmap of the numeric columns; `eda/target.png`: the target's
histogram; `eda/summary.md`: what deserves attention before modelling.
"""

from __future__ import annotations

from typing import Any

from kerasplug import Option, hookimpl

STATS = ["mean", "std", "min", "25%", "50%", "75%", "max"]


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "eda": {
            "enabled": Option(True, bool, "write the exploratory report to eda/"),
            "max_heatmap_columns": Option(
                40, int, "heatmap shows the numeric columns most tied to the target", min=2
            ),
            "high_missing": Option(
                0.2, float, "call out columns missing more than this share", min=0.0, max=1.0
            ),
            "near_constant": Option(
                0.95,
                float,
                "call out columns whose commonest value has this share",
                min=0.0,
                max=1.0,
            ),
            "strong_corr": Option(
                0.8, float, "call out feature pairs with |correlation| above this", min=0.0, max=1.0
            ),
        }
    }


def column_summary(frame: Any, target: str) -> Any:
    """One row per column: dtype, missing rate, unique count, statistics, outliers, target r."""
    import numpy as np
    import pandas as pd

    numeric = frame.select_dtypes(include="number").astype("float64")
    numeric = numeric.where(np.isfinite(numeric))
    stats = numeric.describe().T.reindex(columns=STATS) if numeric.shape[1] else None
    mean, std = numeric.mean(), numeric.std()
    outliers = ((numeric - mean).abs() > 3 * std).sum()
    target_corr = (
        numeric.corrwith(numeric[target]) if target in numeric else pd.Series(dtype="float64")
    )
    top_share = frame.apply(
        lambda s: s.value_counts(dropna=False).iloc[0] / len(s) if len(s) else 0.0
    )
    summary = pd.DataFrame(
        {
            "dtype": frame.dtypes.astype(str),
            "missing_rate": frame.isna().mean(),
            "unique": frame.nunique(),
            "top_share": top_share,
        }
    )
    if stats is not None:
        summary = summary.join(stats)
    summary["outliers_3sigma"] = outliers.reindex(summary.index)
    summary["corr_target"] = target_corr.reindex(summary.index)
    summary.index.name = "column"
    return summary


def strong_pairs(frame: Any, target: str, threshold: float) -> list[tuple[str, str, float]]:
    """Pairs of numeric features with |correlation| above `threshold`, strongest first."""
    import numpy as np

    corr = frame.drop(columns=[target]).select_dtypes(include="number").corr()
    upper = corr.where(np.triu(np.ones(corr.shape, dtype=bool), k=1)).stack()
    upper = upper[upper.abs() > threshold]
    return [(a, b, float(r)) for (a, b), r in upper.sort_values(key=abs, ascending=False).items()]


def markdown(
    frame: Any,
    target: str,
    summary: Any,
    cfg: dict[str, Any],
    preprocess: dict[str, Any] | None = None,
) -> str:
    """The summary a reader needs before modelling, as Markdown.

    `preprocess` (the run's `[preprocess]` section, if known) keeps it from suggesting a
    setting the run already has.
    """
    preprocess = preprocess or {}
    lines = [f"# Exploratory report: {len(frame)} rows, {frame.shape[1] - 1} features", ""]
    y = frame[target]
    numeric_target = summary.loc[target, "dtype"] not in ("object", "str", "bool", "category")
    lines.append(f"Target `{target}` ({summary.loc[target, 'dtype']}).")
    if numeric_target:
        skew = float(y.skew())
        lines.append(
            f"Mean {y.mean():.4g}, median {y.median():.4g}, std {y.std():.4g}, skewness {skew:.2f}."
        )
        if abs(skew) > 1 and not preprocess.get("log_target"):
            lines.append(
                f"The target is skewed ({skew:.2f}): consider `preprocess.log_target = true`."
            )
        at_max = int((y == y.max()).sum())
        if y.nunique() > 20 and at_max >= max(5, 0.01 * y.notna().sum()):
            advice = (
                "predictions are clipped to the training targets' range"
                if preprocess.get("clip_predictions")
                else "consider `preprocess.clip_predictions = true`"
            )
            lines.append(
                f"{at_max} rows share the target's largest value, {y.max():.4g}: it may be "
                f"capped; {advice}."
            )
    else:
        counts = y.value_counts()
        lines.append(f"Classes: {', '.join(f'{k} ({v})' for k, v in counts.items())}.")
    features = summary.drop(index=target)
    text = features[features["dtype"].isin(["object", "str", "category", "bool"])]
    lines += ["", f"{len(features) - len(text)} numeric and {len(text)} text/boolean columns."]
    sections = [
        (
            f"Columns missing in more than {cfg['high_missing']:.0%} of rows",
            [
                f"`{c}`: {r:.1%}"
                for c, r in features["missing_rate"].sort_values(ascending=False).items()
                if r > cfg["high_missing"]
            ],
        ),
        (
            f"Near-constant columns (one value in at least {cfg['near_constant']:.0%} of rows)",
            [
                f"`{c}`: {s:.1%}"
                for c, s in features["top_share"].sort_values(ascending=False).items()
                if s >= cfg["near_constant"]
            ],
        ),
        (
            f"Strongly correlated feature pairs (|r| > {cfg['strong_corr']})",
            [
                f"`{a}` and `{b}`: r = {r:.2f}"
                for a, b, r in strong_pairs(frame, target, cfg["strong_corr"])
            ],
        ),
    ]
    if "corr_target" in features and features["corr_target"].notna().any():
        top = features["corr_target"].dropna().sort_values(key=abs, ascending=False).head(8)
        sections.append(
            (
                "Numeric columns most correlated with the target",
                [f"`{c}`: r = {r:.2f}" for c, r in top.items()],
            )
        )
    for title, items in sections:
        lines += ["", f"## {title}", ""]
        lines += [f"- {item}" for item in items] if items else ["None."]
    lines += ["", "Per-column statistics: `summary.csv`; plots: `correlation.png`, `target.png`."]
    return "\n".join(lines) + "\n"


def heatmap(frame: Any, target: str, max_columns: int) -> Any:
    """A correlation heatmap of the numeric columns most correlated with the target."""
    from matplotlib.figure import Figure

    numeric = frame.select_dtypes(include="number")
    corr = numeric.corr()
    if target in corr and len(corr) > max_columns:
        keep = corr[target].abs().sort_values(ascending=False).index[:max_columns]
        corr = corr.loc[keep, keep]
    size = 3 + 0.22 * len(corr)
    figure = Figure(figsize=(size + 1.5, size))
    axes = figure.subplots()
    image = axes.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    axes.set_xticks(range(len(corr)), corr.columns, rotation=90, fontsize=7)
    axes.set_yticks(range(len(corr)), corr.index, fontsize=7)
    axes.set_title("Correlation of numeric columns")
    figure.colorbar(image, ax=axes, shrink=0.8)
    figure.tight_layout()
    return figure


def histogram(y: Any, target: str) -> Any:
    """The target's histogram (bar counts for a categorical target)."""
    import pandas as pd
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
        axes.hist(y.dropna(), bins=40, color="#4c72b0")
    else:
        counts = y.astype(str).value_counts()
        axes.bar(counts.index, counts.to_numpy(), color="#4c72b0")
    axes.set_xlabel(target)
    axes.set_ylabel("rows")
    axes.set_title(f"Distribution of {target}")
    figure.tight_layout()
    return figure


def write_report(run: Any, frame: Any, target: str) -> None:
    cfg = run.config["eda"]
    summary = column_summary(frame, target)
    run.dir.write_csv("eda/summary.csv", summary)
    run.dir.write_json(
        "eda/summary.json",
        {
            "rows": len(frame),
            "target": target,
            "columns": summary.astype(object).where(summary.notna(), None).to_dict(orient="index"),
        },
    )
    text = markdown(frame, target, summary, cfg, run.config.get("preprocess"))
    run.dir.write_text("eda/summary.md", text)
    if frame.select_dtypes(include="number").shape[1] >= 2:
        path = run.dir.save_figure(
            "eda/correlation.png", heatmap(frame, target, cfg["max_heatmap_columns"]), dpi=90
        )
        run.add_image("eda/correlation", path)
    path = run.dir.save_figure("eda/target.png", histogram(frame[target], target), dpi=90)
    run.add_image("eda/target", path)


@hookimpl
def explore_data(run: Any, frame: Any, target: str) -> None:
    if run.config["eda"]["enabled"]:
        write_report(run, frame, target)
        run.echo(f"exploratory report: {run.dir / 'eda' / 'summary.md'}")
