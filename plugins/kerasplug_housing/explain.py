"""The `[explain]` section shared by the SHAP, LIME and LRP plugins, and the saved background.

The background rows used are saved as `explanations/background.csv` (raw input columns), so
`kerasplug explain` can explain new rows of a saved run against the same background.
"""

from __future__ import annotations

from typing import Any

from kerasplug import ConfigError, Option, hookimpl

METHODS = ("shap", "lime", "lrp")


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "explain": {
            "methods": Option(list(METHODS), list, "explanation methods to run", item=str),
            "rows": Option(100, int, "test rows to explain (worst rows included); 0: all", min=0),
            "worst": Option(5, int, "worst-predicted rows shown one by one", min=0),
            "background": Option(50, int, "training rows SHAP and LIME compare to; 0: all", min=0),
            "permutations": Option(
                2,
                int,
                "SHAP antithetic permutation passes per row (up to exact_max_features)",
                min=1,
            ),
            "exact_max_features": Option(
                15, int, "widest input for the permutation explainer; wider: kernel SHAP", min=0
            ),
            "kmeans": Option(20, int, "k-means background summary size for kernel SHAP", min=1),
            "lime_samples": Option(500, int, "perturbed samples per LIME row", min=10),
            "lime_discretize": Option(
                False,
                bool,
                "LIME: quartile bins (LIME's default, slower) instead of slopes per std",
            ),
            "lrp_epsilon": Option(1e-6, float, "epsilon of the LRP epsilon rule", min=0.0),
        }
    }


@hookimpl
def configure(config: dict[str, Any]) -> None:
    unknown = [m for m in config["explain"]["methods"] if m not in METHODS]
    if unknown:
        raise ConfigError(
            f"explain.methods names unknown methods {unknown}; choose from {', '.join(METHODS)}"
        )


@hookimpl(tryfirst=True)
def explain(run: Any, background: Any) -> None:
    from kerasplug_housing.explainers.common import sample_background

    if run.config["explain"]["methods"]:
        sample = sample_background(
            background, run.config["explain"]["background"], run.config["run"]["seed"]
        )
        raw = run.parts["train"].raw
        run.dir.write_csv("explanations/background.csv", raw.loc[sample.index], index=False)
