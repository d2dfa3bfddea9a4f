"""Explanation speed on Boston: SHAP seconds for 100 test rows, LIME milliseconds per row.

Trains the example's MLP briefly through the Trainer (explanations off), then times the
shipped SHAP (permutation explainer, default `[explain]` settings: background 50, two
antithetic passes) on 100 test rows and LIME (1000 samples) per row, with the same code the
`explain` hook runs. Targets from issue 6: SHAP with exact additivity under 2 s, LIME under
10 ms per row.

Run: python benchmarks/explain.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section

ROOT = Path(__file__).resolve().parents[1]


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

    timed("shap", test.iloc[:2])  # warm-up: tracing and imports are not what is measured
    shap_s, shap = timed("shap", test)
    total = shap.base_value + shap.values.sum(axis=1)
    relative = float(((total - shap.extras["prediction"]).abs() / shap.extras["prediction"]).max())
    lime_rows = test.iloc[:20]
    lime_s, lime = timed("lime", lime_rows)
    lime_ms = 1000 * lime_s / len(lime_rows)
    lrp_s, _ = timed("lrp", test)
    body = f"""
Boston, the example's MLP (64-64) after 60 epochs; {len(test)} test rows, background
{len(background)} training rows; times include the model calls. Single run on a shared 2-core
machine.

| measure | value | target |
| --- | --- | --- |
| SHAP ({shap.extras["algorithm"]}), {len(test)} rows, s | {shap_s:.2f} | < 2 |
| SHAP max relative additivity error | {relative:.1e} | < 1e-4 |
| LIME ({cfg["lime_samples"]} samples), ms per row ({len(lime_rows)} rows) | {lime_ms:.1f} | < 10 |
| LIME mean local R² | {lime.extras["fit"]["score"].mean():.3f} | |
| LRP (epsilon), {len(test)} rows, s | {lrp_s:.3f} | |
"""
    write_section("Explanation speed", "python benchmarks/explain.py", body)
    print(body)


if __name__ == "__main__":
    main()
