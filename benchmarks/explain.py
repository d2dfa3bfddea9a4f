"""Explanation speed on Boston: SHAP seconds for 100 test rows, LIME milliseconds per row.

Trains the example's network (examples/housing/boston.toml's `[model]`: the section below
names it) briefly through the Trainer (explanations off), then times the shipped SHAP
(vectorised antithetic permutation sampling with the default `[explain]` settings) on 100 test
rows, LIME per row and LRP, with the same code the `explain` hook runs. Targets from issue 6:
SHAP with exact additivity under 2 s, LIME under 10 ms per row.

Run: python benchmarks/explain.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5


def describe(model: dict) -> str:
    hidden = "-".join(str(u) for u in model["hidden"])
    ensemble = model.get("ensemble", 1)
    return f"{ensemble}-seed ensemble of {hidden} MLPs" if ensemble > 1 else f"{hidden} MLP"


def main() -> None:
    from kerasplug_housing.explainers.api import explain_rows
    from kerasplug_housing.explainers.common import sample_background

    from kerasplug import Trainer

    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(
            ROOT / "examples" / "housing" / "boston.toml",
            overrides=["train.epochs=60", "train.verbose=0", "explain.methods=[]"],
            run_dir=Path(tmp) / "run",
            third_party=False,
        )
        trainer.run()
    run = trainer.context
    cfg = {**run.config["explain"], "seed": run.config["run"]["seed"]}
    background = sample_background(run.parts["train"].x, cfg["background"], cfg["seed"])
    test = run.parts["test"].x.iloc[:100]

    def timed(method: str, rows):
        start = time.perf_counter()
        result = explain_rows(
            method,
            model=run.model,
            target_transform=run.target_transform,
            task=run.task,
            pipeline=run.pipeline,
            sources=list(run.parts["train"].raw.columns),
            background=background,
            rows=rows,
            settings=cfg,
        )
        return time.perf_counter() - start, result

    def median_of(method: str, rows):
        times, result = [], None
        for _ in range(REPEATS):
            seconds, result = timed(method, rows)
            times.append(seconds)
        return statistics.median(times), result

    for method in ("shap", "lime", "lrp"):  # warm-up: tracing and imports are not measured
        timed(method, test.iloc[:2])
    shap_s, shap = median_of("shap", test)
    total = shap.base_value + shap.values.sum(axis=1)
    relative = float(((total - shap.extras["prediction"]).abs() / shap.extras["prediction"]).max())
    lime_rows = test.iloc[:20]
    lime_s, lime = median_of("lime", lime_rows)
    lime_ms = 1000 * lime_s / len(lime_rows)
    lrp_s, _ = median_of("lrp", test)
    lime_setting = f"{cfg['lime_samples']} samples, discretize {cfg['lime_discretize']}"
    body = f"""
Boston, the example's network ({describe(run.config["model"])}) after 60 epochs;
{len(test)} test rows, background {len(background)} training rows, {cfg["permutations"]}
antithetic permutation pair(s) per SHAP row; times include the model calls (one traced graph,
large batches). Median of {REPEATS} timings on a 2-core machine.

| measure | value | target |
| --- | --- | --- |
| SHAP ({shap.extras["algorithm"]}), {len(test)} rows, s | {shap_s:.2f} | < 2 |
| SHAP max relative additivity error | {relative:.1e} | < 1e-4 |
| LIME ({lime_setting}), ms per row ({len(lime_rows)} rows) | {lime_ms:.1f} | < 10 |
| LIME mean local R² | {lime.extras["fit"]["score"].mean():.3f} | |
| LRP (epsilon), {len(test)} rows, s | {lrp_s:.3f} | |
"""
    write_section("Explanation speed", "python benchmarks/explain.py", body)
    print(body)


if __name__ == "__main__":
    main()
