"""The Trainer's cost against a bare `model.fit` as tables grow: 10k, 100k and 1M rows x 50.

In one process, for each size: the Trainer (bridge, hooks, the shipped split/scaling/model
plugins) and a bare `model.fit` of the same network on the same preprocessed training rows,
both with the same epoch-timing callback and batch 1024, several times each, alternating which
goes first so that order effects cancel. An epoch is timed from its start to the next one's
start, and the first epoch (tf.function tracing) is left out. Also: the cost of
one hook call with 1, 3 and 10 implementations, and the process's peak resident memory after
each size (sizes run smallest first, so each figure is that size's peak or an earlier one's).

    python benchmarks/cost_curve.py [--sizes 10000 100000 1000000] [--epochs 8] [--repeats 4]
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section
from overhead import bare_epoch_gaps, builtin_names, epoch_timer, hook_call_microseconds

KEEP = {"housing.split", "housing.preprocess", "housing.model", "housing.metrics"}
COLUMNS = 50
BATCH = 1024


class Synthetic:
    """A data plugin serving a generated regression table of `rows` x 50."""

    from kerasplug import hookimpl

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.timer = epoch_timer()

    @hookimpl(tryfirst=True)
    def load_data(self):
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(0)
        x = rng.normal(size=(self.rows, COLUMNS)).astype("float32")
        weights = rng.normal(size=COLUMNS).astype("float32")
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(COLUMNS)])
        frame["y"] = x @ weights + rng.normal(scale=0.5, size=self.rows).astype("float32")
        return frame

    @hookimpl
    def training_callbacks(self):
        return [self.timer]


def others() -> list[str]:
    return sorted(set(builtin_names()) - KEEP)


def trainer_epoch_seconds(rows: int, epochs: int, run_dir: Path) -> tuple[list[float], object]:
    from kerasplug import Trainer

    data = Synthetic(rows)
    trainer = Trainer(
        {
            "data": {"target": "y"},
            "split": {"test_size": 0.1, "valid_size": 0.1},
            "train": {"epochs": epochs, "batch_size": BATCH, "verbose": 0},
            "model": {"hidden": [64, 64]},
        },
        plugins=[("synthetic", data)],
        disable=others(),
        run_dir=run_dir,
        third_party=False,
        out=io.StringIO(),
    )
    trainer.run()
    return data.timer.gaps(), trainer.context


def measure(rows: int, epochs: int, repeats: int, tmp: Path) -> dict[str, float]:
    """Median epoch seconds of the Trainer and of a bare fit, alternating which runs first.

    The medians are taken over the epochs of all repeats pooled: a single noisy fit moves
    them less than a median of per-fit medians.
    """
    trainer_fits, bare_fits = [], []
    context = None
    for rep in range(repeats):
        bare_first = context is not None and rep % 2 == 1
        if bare_first:
            bare_fits.append(bare_epoch_gaps(context, epochs, early_stopping=False))
        gaps, context = trainer_epoch_seconds(rows, epochs, tmp / f"trainer-{rows}-{rep}")
        trainer_fits.append(gaps)
        if not bare_first:
            bare_fits.append(bare_epoch_gaps(context, epochs, early_stopping=False))
    trainer_epoch = statistics.median(g for fit in trainer_fits for g in fit)
    bare_epoch = statistics.median(g for fit in bare_fits for g in fit)
    trainer_times = [statistics.median(fit) for fit in trainer_fits]
    bare_times = [statistics.median(fit) for fit in bare_fits]
    n_train = len(context.parts["train"].x)
    return {
        "rows": rows,
        "train_rows": n_train,
        "trainer_s": trainer_epoch,
        "bare_s": bare_epoch,
        "trainer_rps": n_train / trainer_epoch,
        "bare_rps": n_train / bare_epoch,
        "ratio": trainer_epoch / bare_epoch,
        "pair_ratios": [t / b for t, b in zip(trainer_times, bare_times, strict=True)],
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sorted(args.sizes):
            start = time.perf_counter()
            rows.append(measure(size, args.epochs, args.repeats, Path(tmp)))
            print(f"{size} rows done in {time.perf_counter() - start:.0f}s: {rows[-1]}", flush=True)
    hooks = {n: statistics.median(hook_call_microseconds(n) for _ in range(3)) for n in (1, 3, 10)}

    table = [
        "| rows | train rows | Trainer s/epoch | bare s/epoch | Trainer rows/s | bare rows/s |"
        " ratio | per-repeat ratios | peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        table.append(
            f"| {r['rows']:,} | {r['train_rows']:,} | {r['trainer_s']:.3f} | {r['bare_s']:.3f} | "
            f"{r['trainer_rps']:,.0f} | {r['bare_rps']:,.0f} | {r['ratio']:.3f} | "
            f"{', '.join(f'{p:.3f}' for p in r['pair_ratios'])} | {r['peak_mib']:,.0f} |"
        )
    body = (
        f"Synthetic regression tables x {COLUMNS} columns, 80% training rows, MLP 64-64, batch "
        f"{BATCH}, {args.epochs} epochs per fit (median epoch, first excluded), {args.repeats} "
        "fits of each per size alternating which runs first; the ratio is of the medians over "
        "all their epochs pooled (per-repeat ratios: of each pair's medians). "
        "Target: ratio <= 1.02 at every size.\n\n" + "\n".join(table) + "\n\n"
        "One `on_epoch_end` hook call: "
        + ", ".join(
            f"{n} implementation{'s' if n > 1 else ''} {v:.2f} µs" for n, v in hooks.items()
        )
        + ".\n"
    )
    print(body)
    write_section("Cost curve", "python benchmarks/cost_curve.py", body)


if __name__ == "__main__":
    main()
