"""Layer-wise relevance propagation (epsilon rule) for Dense/ReLU networks, on the `explain` hook.

Settings come from `[explain]` (declared by housing.explain); the work is done in
`kerasplug_housing.explainers`, imported only when a run explains.
"""

from __future__ import annotations

from typing import Any

from kerasplug import Explanation, hookimpl


@hookimpl
def explain(run: Any, model: Any, background: Any, rows: Any) -> list[Explanation] | None:
    if "lrp" not in run.config.get("explain", {}).get("methods", ()):
        return None
    from kerasplug_housing.explainers.runtime import explain_at_run

    return explain_at_run(run, "lrp", model, background, rows)
