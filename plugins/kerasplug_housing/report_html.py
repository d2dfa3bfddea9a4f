"""`report.html`: one self-contained page (images embedded) summing up the run.

Runs last among reporters (`trylast`), so the images and figures other plugins registered
(plots, explanations, diagnosis, agreement) are there to embed.
"""

from __future__ import annotations

from typing import Any

from kerasplug import hookimpl


@hookimpl(trylast=True)
def report(run: Any, result: Any) -> None:
    from kerasplug_housing.htmlreport import render

    path = run.dir.write_text("report.html", render(run, result))
    run.echo(f"report: {path}")
