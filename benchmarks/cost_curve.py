"""The Trainer's cost against a bare `model.fit` as tables grow: 10k, 100k and 1M rows x 50.

In one process, for each size: the Trainer (bridge, hooks, the shipped split/scaling/model
plugins) and a bare `model.fit` of the same network on the same preprocessed training rows,
both with the same epoch-timing callback and batch 1024, several times each, alternating which
goes first so that order effects cancel. An epoch is timed from its start to the next one's
start, and the first epoch (tf.function tracing) is left out, by two clocks: wall time, and the
CPU time of the process (all its threads). On a shared machine other programs stretch the wall
time of a fit by 10-20% at random; the CPU time counts the work the process does, which they
disturb far less, so its ratio is the steadier measure of what the Trainer adds. Small tables
get more epochs per fit (40 at 10k, 16 at 100k, 8 from 1M) so that every fit lasts seconds.
Also: the cost of
one hook call with 1, 3 and 10 implementations, and the process's peak resident memory after
each size (sizes run smallest first, so each figure is that size's peak or an earlier one's).

    python benchmarks/cost_curve.py [--sizes 10000 100000 1000000] [--epochs N] [--repeats 6]
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
from overhead import bare_epoch_timer, builtin_names, epoch_timer, hook_call_microseconds

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


def epochs_for(rows: int) -> int:
    """Epochs per fit: enough that a fit of a small table lasts seconds, not a blink."""
    return 40 if rows <= 10_000 else 16 if rows <= 100_000 else 8


def trainer_epoch_timer(rows: int, epochs: int, run_dir: Path) -> tuple[object, object]:
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
    return data.timer, trainer.context


def measure(rows: int, epochs: int, repeats: int, tmp: Path) -> dict[str, object]:
    """Median epoch seconds of the Trainer and of a bare fit, alternating which runs first.

    The medians are taken over the epochs of all repeats pooled: a single noisy fit moves
    them less than a median of per-fit medians.
    """
    trainer_fits, bare_fits = [], []
    context = None
    for rep in range(repeats):
        bare_first = context is not None and rep % 2 == 1
        if bare_first:
            bare_fits.append(bare_epoch_timer(context, epochs, early_stopping=False))
        timer, context = trainer_epoch_timer(rows, epochs, tmp / f"trainer-{rows}-{rep}")
        trainer_fits.append(timer)
        if not bare_first:
            bare_fits.append(bare_epoch_timer(context, epochs, early_stopping=False))

    def pooled(fits: list, clock: str) -> float:
        return statistics.median(g for fit in fits for g in fit.gaps(clock))

    n_train = len(context.parts["train"].x)
    trainer_s, bare_s = pooled(trainer_fits, "wall"), pooled(bare_fits, "wall")
    return {
        "rows": rows,
        "epochs": epochs,
        "train_rows": n_train,
        "trainer_s": trainer_s,
        "bare_s": bare_s,
        "trainer_rps": n_train / trainer_s,
        "bare_rps": n_train / bare_s,
        "ratio": trainer_s / bare_s,
        "cpu_ratio": pooled(trainer_fits, "cpu") / pooled(bare_fits, "cpu"),
        "pair_ratios": [
            pooled([t], "wall") / pooled([b], "wall")
            for t, b in zip(trainer_fits, bare_fits, strict=True)
        ],
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--epochs", type=int, help="epochs per fit (default: by size)")
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sorted(args.sizes):
            start = time.perf_counter()
            epochs = args.epochs or epochs_for(size)
            rows.append(measure(size, epochs, args.repeats, Path(tmp)))
            print(f"{size} rows done in {time.perf_counter() - start:.0f}s: {rows[-1]}", flush=True)
    hooks = {n: statistics.median(hook_call_microseconds(n) for _ in range(3)) for n in (1, 3, 10)}

    table = [
        "| rows | epochs per fit | Trainer s/epoch | bare s/epoch | Trainer rows/s | bare rows/s |"
        " ratio (wall) | ratio (CPU) | per-repeat ratios (wall) | peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        table.append(
            f"| {r['rows']:,} | {r['epochs']} | {r['trainer_s']:.3f} | {r['bare_s']:.3f} | "
            f"{r['trainer_rps']:,.0f} | {r['bare_rps']:,.0f} | {r['ratio']:.3f} | "
            f"{r['cpu_ratio']:.3f} | "
            f"{', '.join(f'{p:.3f}' for p in r['pair_ratios'])} | {r['peak_mib']:,.0f} |"
        )
    body = (
        f"Synthetic regression tables x {COLUMNS} columns, 81% of the rows train (10% test, "
        f"10% of the rest validate), MLP 64-64, batch {BATCH}; per size {args.repeats} fits of "
        "each alternating which runs first, median epoch (first excluded). A ratio is "
        "Trainer / bare of the medians over all their epochs pooled, by wall clock and by the "
        "process's CPU time (per-repeat ratios: each pair's wall medians). "
        "Target: ratio <= 1.02 at every size.\n\n" + "\n".join(table) + "\n\n"
        "One `on_epoch_end` hook call: "
        + ", ".join(
            f"{n} implementation{'s' if n > 1 else ''} {v:.2f} µs" for n, v in hooks.items()
        )
        + ".\n"
    )
    print(body)
    command = "python " + " ".join(["benchmarks/cost_curve.py", *sys.argv[1:]])
    write_section("Cost curve", command, body)


if __name__ == "__main__":
    main()
