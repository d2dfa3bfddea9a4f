"""Agreement between explanation methods: rank correlation of their global importances.

Spearman's rho between each pair of methods' mean |attribution| per input column, printed,
stored in `metrics.json` under `explanations.agreement` and saved as
`explanations/agreement.csv`. Near 1: the methods rank the columns alike.
"""

from __future__ import annotations

from typing import Any

from kerasplug import hookimpl


def rank_agreement(importances: dict[str, Any]) -> Any:
    """A method x method DataFrame of Spearman correlations of importance Series."""
    import pandas as pd

    return pd.DataFrame(importances).corr(method="spearman")


@hookimpl
def report(run: Any, result: Any) -> None:
    # Any plugin's explanation takes part: importance is its mean |value| per column.
    importances = {e.method: e.values.abs().mean() for e in result.explanations}
    if len(importances) < 2:
        return
    table = rank_agreement(importances)
    run.dir.write_csv("explanations/agreement.csv", table, index_label="method")
    pairs = {
        f"{a}~{b}": float(table.loc[a, b])
        for i, a in enumerate(table.index)
        for b in table.columns[i + 1 :]
    }
    run.metrics.setdefault("explanations", {})["agreement"] = pairs
    run.echo(
        "explanation agreement (Spearman rho of importances): "
        + ", ".join(f"{k} {v:.2f}" for k, v in pairs.items())
    )
