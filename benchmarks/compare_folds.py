"""Compare two runs of benchmarks/quality.py fold by fold, from the files its `--json` wrote.

Two settings of the workflow scored on the same folds differ by less than the spread of the
folds themselves; the per-fold difference shows which is better, and how surely. For each data
set in both files: each one's mean RMSE and its workflow's RMSE minus the other's per fold
(mean, Nadeau and Bengio's corrected standard error, folds won), and the same against the best
scikit-learn model of the first file.

Either file may instead be a run directory of `kerasplug run` on an example config: its
predictions.csv is scored per fold as quality.py scores the workflow (for Ames, on log price),
which shows whether the run reproduces the benchmark's figures on the same folds.

Run: python benchmarks/compare_folds.py BASE.json|RUN_DIR OTHER.json|RUN_DIR [--folds K]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("other", type=Path)
    parser.add_argument(
        "--folds", type=int, help="folds per repeat (default: as the base file says, else 5)"
    )
    args = parser.parse_args()
    try:
        base, other = load(args.base), load(args.other)
    except FileNotFoundError as err:
        parser.error(str(err))
    for dataset in base.keys() & other.keys():
        a, b = base[dataset]["scores"], other[dataset]["scores"]
        folds = args.folds or base[dataset].get("folds", 5)
        (ours_a, best), (ours_b, _) = best_model(a), best_model(b)
        print(f"{dataset}:")
        for label, run in (("base", base), ("other", other)):
            scores = run[dataset]["scores"]
            mean = mean_rmse(scores)[next(iter(scores))]
            print(f"  {label}: RMSE {mean:.4f} ({run[dataset]['command']})")
        against = [("base", a[ours_a])]
        if best is not None:  # a run directory has the workflow's scores only
            print(f"  {best}: RMSE {mean_rmse(a)[best]:.4f}")
            against.append((best, a[best]))
        for name, theirs in against:
            mean, se, wins, n = paired_difference(b[ours_b], theirs, folds)
            print(
                f"  other minus {name}, per fold: mean {mean:+.4f}, corrected standard error "
                f"{se:.4f}, other better on {wins} of {n}"
            )


if __name__ == "__main__":
    main()
