"""LIME local linear explanations (regression mode), on the `explain` hook.

Settings come from `[explain]` (declared by housing.explain); the work is done in
`kerasplug_housing.explainers`, imported only when a run explains.
"""

from __future__ import annotations

from typing import Any

from kerasplug import Explanation, hookimpl


@hookimpl
def explain(run: Any, model: Any, background: Any, rows: Any) -> list[Explanation] | None:
    if "lime" not in run.config.get("explain", {}).get("methods", ()):
        return None
    from kerasplug_housing.explainers.runtime import explain_at_run

    return explain_at_run(run, "lime", model, background, rows)
