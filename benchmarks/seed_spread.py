"""How far the benchmark's RMSE ratio moves with its seeds alone, from quality.py's `--json` files.

quality.py scores the workflow and the scikit-learn models once, seeded by `run.seed`. Runs
made with `--set split.seed=42 --set run.seed=N` keep the same folds and draw other networks
and other GradientBoosting subsamples. For each run this prints the workflow's mean RMSE, the
best scikit-learn model's and their ratio; then the ratio's mean and standard deviation over the
runs, and the ratio of the two models' RMSE averaged over the runs.

Run: python benchmarks/seed_spread.py RUN.json RUN.json [...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="files written by quality.py --json")
    args = parser.parse_args()
    missing = [str(p) for p in args.runs if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}; give files that quality.py --json wrote")
    files = [json.loads(p.read_text()) for p in args.runs]
    for dataset in sorted(set.intersection(*(set(f) for f in files))):
        print(f"{dataset}:")
        ours_all, best_all = [], []
        for path, data in zip(args.runs, files, strict=True):
            scores = data[dataset]["scores"]
            rmse = {name: float(np.mean([f["rmse"] for f in s])) for name, s in scores.items()}
            ours = next(iter(rmse))
            best = min((v, k) for k, v in rmse.items() if k != ours)[1]
            ours_all.append(rmse[ours])
            best_all.append(rmse[best])
            print(
                f"  {path.name}: workflow {rmse[ours]:.4f}, {best} {rmse[best]:.4f}, "
                f"ratio {rmse[ours] / rmse[best]:.3f} ({data[dataset]['command']})"
            )
        ratios = np.array(ours_all) / np.array(best_all)
        spread = f" ± {np.std(ratios, ddof=1):.3f} (standard deviation)" if len(ratios) > 1 else ""
        print(f"  ratio over {len(ratios)} runs: mean {ratios.mean():.3f}{spread}")
        print(
            f"  mean RMSE over the runs: workflow {np.mean(ours_all):.4f}, best scikit-learn "
            f"{np.mean(best_all):.4f}, ratio {np.mean(ours_all) / np.mean(best_all):.3f}"
        )


if __name__ == "__main__":
    main()
