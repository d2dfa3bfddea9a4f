"""Compare two runs of benchmarks/quality.py fold by fold, from the files its `--json` wrote.

Two settings of the workflow scored on the same folds differ by less than the spread of the
folds themselves; the per-fold difference shows which is better, and how surely. For each data
set in both files: each one's mean RMSE and its workflow's RMSE minus the other's per fold
(mean, Nadeau and Bengio's corrected standard error, folds won), and the same against the best
scikit-learn model of the first file.

Either file may instead be a run directory of `kerasplug run` on an example config: its
predictions.csv is scored per fold as quality.py scores the workflow (for Ames, on log price),
which shows whether the run reproduces the benchmark's figures on the same folds.

With `--blend`, both files from `--json` (which holds each fold's test predictions), the two
workflows' predictions are also averaged row by row and scored as one, the same comparisons
following: about what an ensemble of both runs' networks would score (its members would draw
other seeds), without training it. For Ames the average is of log prices, as the workflow's
ensemble averages its log-price outputs.

Runs with more and fewer repeats of the same folds (`--repeats 1` against the full 5 x 3, with
the same `split.seed`) are compared on the folds both have: the first repeats.

Run: python benchmarks/compare_folds.py BASE.json|RUN_DIR OTHER.json|RUN_DIR [--folds K] [--blend]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import best_model, mean_rmse, paired_difference, read_predictions, scores


def load(path: Path) -> dict:
    """quality.py's `--json` output, or the same for a run directory's test predictions."""
    if not path.is_dir():
        return json.loads(path.read_text())
    import tomllib

    config = tomllib.loads((path / "config.toml").read_text())
    dataset = config["data"]["source"]
    test = read_predictions(path).query("split == 'test'")
    folds = [
        scores(part["y_true"], part["y_pred"], log=dataset == "ames")
        for _, part in test.groupby("fold", sort=True)
    ]
    return {
        dataset: {
            "command": f"kerasplug run (in {path})",
            "folds": config["split"]["folds"],
            "scores": {"kerasplug": folds},
        }
    }


def blend(base: dict, other: dict, log: bool, shared: int) -> list[dict[str, float]]:
    """Per-fold scores of the mean of the two workflows' test predictions (the first `shared`
    folds), on the base file's rows; the folds must hold the same rows."""
    ours_a, ours_b = next(iter(base["predictions"])), next(iter(other["predictions"]))
    out = []
    for k, (a, b) in enumerate(
        zip(
            base["predictions"][ours_a][:shared], other["predictions"][ours_b][:shared], strict=True
        )
    ):
        where = {row: i for i, row in enumerate(b["rows"])}
        if sorted(where) != sorted(a["rows"]):
            raise ValueError(f"fold {k + 1} tests other rows in the two runs: not the same folds")
        pred_a = np.asarray(a["y_pred"], float)
        pred_b = np.asarray(b["y_pred"], float)[[where[row] for row in a["rows"]]]
        if log:  # the mean of log prices, each floored at 1 as `scores` floors them
            mean = np.exp((np.log(np.maximum(pred_a, 1.0)) + np.log(np.maximum(pred_b, 1.0))) / 2)
        else:
            mean = (pred_a + pred_b) / 2
        out.append(scores(a["y_true"], mean, log))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("other", type=Path)
    parser.add_argument(
        "--folds", type=int, help="folds per repeat (default: as the base file says, else 5)"
    )
    parser.add_argument(
        "--blend",
        action="store_true",
        help="also score the mean of both workflows' predictions (files from --json only)",
    )
    args = parser.parse_args()
    try:
        base, other = load(args.base), load(args.other)
    except FileNotFoundError as err:
        parser.error(str(err))
    for path, run in ((args.base, base), (args.other, other)):
        if args.blend and not all("predictions" in part for part in run.values()):
            parser.error(
                f"--blend needs each fold's test predictions, which {path} lacks; rerun the "
                "command it names (quality.py --json writes them)"
            )
    for dataset in base.keys() & other.keys():
        a, b = base[dataset]["scores"], other[dataset]["scores"]
        folds = args.folds or base[dataset].get("folds", 5)
        if not args.folds and other[dataset].get("folds", folds) != folds:
            parser.error(
                f"{dataset}: the runs have {folds} and {other[dataset]['folds']} folds per "
                "repeat, so no fold is the same in both; compare runs made with the same folds"
            )
        (ours_a, best), (ours_b, _) = best_model(a), best_model(b)
        print(f"{dataset}:")
        if len(a[ours_a]) != len(b[ours_b]):
            shared = min(len(a[ours_a]), len(b[ours_b]))
            # Repeat r's folds do not depend on how many repeats follow it (same split seed).
            a = {name: folds_[:shared] for name, folds_ in a.items()}
            b = {name: folds_[:shared] for name, folds_ in b.items()}
            print(f"  on the first {shared} folds only, the ones both runs have")
        for label, run, by_model in (("base", base, a), ("other", other, b)):
            mean = mean_rmse(by_model)[next(iter(by_model))]
            print(f"  {label}: RMSE {mean:.4f} ({run[dataset]['command']})")
        against = [("base", a[ours_a])]
        if best is not None:  # a run directory has the workflow's scores only
            print(f"  {best}: RMSE {mean_rmse(a)[best]:.4f}")
            against.append((best, a[best]))
        compared = [("other", b[ours_b])]
        if args.blend:
            try:
                mixed = blend(base[dataset], other[dataset], dataset == "ames", len(a[ours_a]))
            except ValueError as err:
                parser.error(f"{dataset}: {err}")
            print(f"  blend (mean of both): RMSE {mean_rmse({'blend': mixed})['blend']:.4f}")
            compared.append(("blend", mixed))
        for label, ours in compared:
            for name, theirs in against:
                mean, se, wins, n = paired_difference(ours, theirs, folds)
                print(
                    f"  {label} minus {name}, per fold: mean {mean:+.4f}, corrected standard "
                    f"error {se:.4f}, {label} better on {wins} of {n}"
                )


if __name__ == "__main__":
    main()
