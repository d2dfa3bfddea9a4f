"""What clipping a regression run's test predictions to its training targets' range would do.

Reads a run directory's predictions.csv and prints, per run: how many test predictions fall
outside the range of the `y_true` of their fold's `train` rows (a tree ensemble never predicts
outside it), how many of those are on rows whose target is at or beyond that end of the range,
and the test RMSE (the mean over folds, as in metrics.json) with and without the clip. It
writes nothing: benchmarks/RESULTS.md quotes it by hand.

Run: python benchmarks/clip_check.py RUN_DIR   (e.g. after `kerasplug run
examples/housing/boston.toml --set split.folds=5 --set split.repeats=3`)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import read_predictions


def clip_report(preds: pd.DataFrame) -> str:
    """The counts and the two mean per-fold RMSEs of `preds` (predictions.csv's columns)."""
    outside = at_end = total = 0
    plain, clipped = [], []
    for _, fold in preds.groupby("fold"):
        known = fold.loc[fold["split"] == "train", "y_true"]
        low, high = known.min(), known.max()
        test = fold[fold["split"] == "test"]
        y_true, y_pred = test["y_true"].to_numpy(), test["y_pred"].to_numpy()
        above, below = y_pred > high, y_pred < low
        outside += int((above | below).sum())
        at_end += int((above & (y_true >= high)).sum() + (below & (y_true <= low)).sum())
        total += len(test)
        plain.append(np.sqrt(np.mean((y_pred - y_true) ** 2)))
        clipped.append(np.sqrt(np.mean((np.clip(y_pred, low, high) - y_true) ** 2)))
    return (
        f"{outside} of {total} test predictions fall outside their fold's training-target "
        f"range; {at_end} of them on rows whose target is at or beyond that end. Test RMSE "
        f"(mean over {len(plain)} folds): {np.mean(plain):.4f}, clipped {np.mean(clipped):.4f}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a regression run's directory")
    args = parser.parse_args()
    try:
        preds = read_predictions(args.run_dir)
    except FileNotFoundError as err:
        parser.error(str(err))
    print(clip_report(preds))


if __name__ == "__main__":
    main()
