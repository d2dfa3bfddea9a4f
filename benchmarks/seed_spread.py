"""How far the benchmark's RMSE ratio moves with its seeds alone, from quality.py's `--json` files.

quality.py scores the workflow and the scikit-learn models once, seeded by `run.seed`. Runs
made with `--set split.seed=42 --set run.seed=N` keep the same folds and draw other networks
and other GradientBoosting subsamples. For each run this gives the workflow's mean RMSE, the
best scikit-learn model's and their ratio; then the ratio's mean and standard deviation over the
runs, and the ratio of the two models' RMSE averaged over the runs. The table goes to
RESULTS.md ("Quality: seed spread (DATA)"), with the command of every run it was made from.

Run: python benchmarks/seed_spread.py RUN.json RUN.json [...] [--no-record]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_section
from quality import best_model, mean_rmse


def spread(paths: list[Path], files: list[dict], dataset: str) -> str:
    """The Markdown table of one data set's runs, and the lines that sum them up."""
    lines = [
        "Each file was written by the command beside it with `--json FILE` added (quality.py "
        "leaves that option out of the command it records).",
        "",
        "| run | workflow RMSE | best scikit-learn RMSE | ratio | made by |",
        "| --- | --- | --- | --- | --- |",
    ]
    ours_all, best_all, names = [], [], set()
    for path, data in zip(paths, files, strict=True):
        ours, best = best_model(data[dataset]["scores"])
        rmse = mean_rmse(data[dataset]["scores"])
        names.add(best)
        ours_all.append(rmse[ours])
        best_all.append(rmse[best])
        lines.append(
            f"| {path.name} | {rmse[ours]:#.4g} | {rmse[best]:#.4g} | "
            f"{rmse[ours] / rmse[best]:.3f} | `{data[dataset]['command']}` |"
        )
    ratios = np.array(ours_all) / np.array(best_all)

    def sd(values: list[float] | np.ndarray, form: str = "#.2g") -> str:
        return f" ± {np.std(values, ddof=1):{form}}" if len(values) > 1 else ""

    lines += [
        "",
        f"Best scikit-learn model: {', '.join(sorted(names))}. Over {len(ratios)} runs (mean ± "
        f"standard deviation): RMSE ratio {ratios.mean():.3f}{sd(ratios, '.3f')}; workflow RMSE "
        f"{np.mean(ours_all):#.4g}{sd(ours_all)}, best scikit-learn model "
        f"{np.mean(best_all):#.4g}{sd(best_all)}, whose ratio is "
        f"{np.mean(ours_all) / np.mean(best_all):.3f}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="files written by quality.py --json")
    parser.add_argument(
        "--no-record", action="store_true", help="print the table, leave RESULTS.md alone"
    )
    args = parser.parse_args()
    missing = [str(p) for p in args.runs if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}; give files that quality.py --json wrote")
    files = [json.loads(p.read_text()) for p in args.runs]
    datasets = sorted(set.intersection(*(set(f) for f in files)))
    if not datasets:
        parser.error("the files share no data set; give runs of the same --dataset")
    command = "python " + " ".join(
        shlex.quote(a) for a in ["benchmarks/seed_spread.py", *sys.argv[1:]]
    )
    alone = [
        str(p)
        for p, f in zip(args.runs, files, strict=True)
        if any(best_model(f[d]["scores"])[1] is None for d in datasets)
    ]
    if alone:
        parser.error(
            f"no scikit-learn scores in {', '.join(alone)}; give files of quality.py --json"
        )
    for dataset in datasets:
        text = spread(args.runs, files, dataset)
        print(f"{dataset}:\n{text}\n")
        if not args.no_record:
            write_section(f"Quality: seed spread ({dataset})", command, text)


if __name__ == "__main__":
    main()
