"""The HTML of `report.html`: sections built from the run context, images as base64 data URIs.

Imported lazily by the housing.report_html plugin (it imports pandas).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import pandas as pd

SECTIONS = (
    ("data", "Data"),
    ("preprocessing", "Preprocessing"),
    ("model", "Model"),
    ("training", "Learning curves and fit diagnosis"),
    ("metrics", "Metrics"),
    ("plots", "Plots"),
    ("importance", "Global importance"),
    ("worst-rows", "Worst-predicted rows"),
)

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{border-bottom:2px solid #444}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}img{max-width:100%;margin:.4em}
.verdict{font-weight:bold;padding:.2em .6em;border-radius:4px;background:#ffe9a8}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}
nav a{margin-right:1em}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    return frame.to_html(float_format=lambda v: f"{v:.{digits}g}", border=0, na_rep="")


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _images(run: Any, prefix: str, skip: tuple[str, ...] = ()) -> str:
    return "".join(
        _image(path, tag)
        for tag, path in run.images.items()
        if tag.startswith(prefix) and tag not in skip and Path(path).is_file()
    )


def _data(run: Any) -> str:
    frame = run.frame
    sizes = ", ".join(f"{part} {len(data.rows)}" for part, data in run.parts.items())
    missing = frame.isna().sum()
    missing = missing[missing > 0]
    text = (
        f"<p>{len(frame)} rows, {frame.shape[1] - 1} feature columns, target "
        f"<b>{_e(run.target)}</b> ({_e(run.task)}); {len(run.splits)} split(s), last: {sizes}."
        f" Missing values: {_e(dict(missing)) if len(missing) else 'none'}.</p>"
    )
    return text + _table(frame.describe(include="all").T)


def _preprocessing(run: Any, result: Any) -> str:
    steps = getattr(run.pipeline, "steps", [])
    items = "".join(f"<li><b>{_e(name)}</b>: <code>{_e(step)}</code></li>" for name, step in steps)
    columns = list(run.parts["train"].x.columns)
    text = (
        f"<p>Steps, fitted on the training rows only:</p><ul>{items}</ul>"
        f"<p>{len(run.parts['train'].raw.columns)} input columns became {len(columns)} model "
        f"inputs. Target transform: <code>{_e(run.target_transform)}</code>.</p>"
    )
    mapping = next((e.extras.get("mapping") for e in result.explanations), None)
    grouped = {k: v for k, v in (mapping or {}).items() if k != v}
    if grouped:
        rows = pd.DataFrame({"model input": list(grouped), "source column": list(grouped.values())})
        text += "<p>Model inputs summed back to their source column in explanations:</p>"
        text += rows.to_html(index=False, border=0)
    return text


def _model(run: Any) -> str:
    lines: list[str] = []
    run.model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return f"<pre>{_e(chr(10).join(lines))}</pre>"


def _training(run: Any) -> str:
    diagnosis = run.metrics.get("diagnosis", {})
    text = _images(run, "plots/learning_curves")
    if diagnosis:
        text += f'<p>Verdict: <span class="verdict">{_e(diagnosis["verdict"])}</span></p>'
        for fold in diagnosis.get("folds", [diagnosis]):
            text += "<ul>" + "".join(f"<li>{_e(r)}</li>" for r in fold["reasons"]) + "</ul>"
            evidence = {k: v for k, v in fold.items() if k not in ("verdict", "reasons")}
            text += _table(pd.Series(evidence, name="value").to_frame())
    if run.metrics.get("stop_reason"):
        text += f"<p>Training stopped: {_e(run.metrics['stop_reason'])}</p>"
    return text


def _metrics(run: Any) -> str:
    parts = {
        p: run.metrics[p]
        for p in ("train", "valid", "test")
        if isinstance(run.metrics.get(p), dict)
    }
    return _table(pd.DataFrame(parts)) if parts else "<p>No metrics.</p>"


def _importance(run: Any, result: Any) -> str:
    if not result.explanations:
        return "<p>No explanations were made.</p>"
    table = pd.DataFrame({e.method: e.values.abs().mean() for e in result.explanations})
    table = table.sort_values(table.columns[0], ascending=False)
    text = "<p>Mean |attribution| per input column, in the output's units.</p>" + _table(table)
    info = run.metrics.get("explanations", {})
    details = {k: v for k, v in info.items() if k != "agreement"}
    if details:
        text += _table(pd.DataFrame(details).T.drop(columns="top_features", errors="ignore"))
    if info.get("agreement"):
        text += "<p>Agreement (Spearman rank correlation of the importances):</p>"
        text += _table(pd.Series(info["agreement"], name="rho").to_frame())
    skip = tuple(t for t in run.images if "_row_" in t)
    return text + _images(run, "explain/", skip)


def _worst(run: Any, result: Any) -> str:
    from kerasplug_housing.explainers.runtime import worst_table

    if not result.explanations:
        return "<p>No explanations were made.</p>"
    table = worst_table(run, result.explanations)
    text = "<p>Largest absolute errors, with each method's strongest contributions.</p>"
    text += _table(table)
    for label in table.index:
        text += f"<h3>Row {_e(label)}</h3>" + "".join(
            _image(path, tag)
            for tag, path in run.images.items()
            if tag.endswith(f"_row_{label}") and Path(path).is_file()
        )
    return text


def render(run: Any, result: Any) -> str:
    """The whole page."""
    bodies = {
        "data": _data(run),
        "preprocessing": _preprocessing(run, result),
        "model": _model(run),
        "training": _training(run),
        "metrics": _metrics(run),
        "plots": _images(run, "plots/", ("plots/learning_curves",)) + _images(run, "eda/"),
        "importance": _importance(run, result),
        "worst-rows": _worst(run, result),
    }
    out = io.StringIO()
    out.write("<!DOCTYPE html><html><head><meta charset='utf-8'><title>kerasplug report: ")
    out.write(f"{_e(run.dir.path.name)}</title><style>{STYLE}</style></head><body>")
    out.write(f"<h1>kerasplug report: {_e(run.dir.path.name)}</h1><nav>")
    out.write("".join(f'<a href="#{key}">{_e(title)}</a>' for key, title in SECTIONS))
    out.write("</nav>")
    for key, title in SECTIONS:
        out.write(f'<section id="{key}"><h2>{_e(title)}</h2>{bodies[key]}</section>')
    out.write("</body></html>")
    return out.getvalue()
