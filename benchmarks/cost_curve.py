"""The Trainer's cost against a bare `model.fit` as tables grow: 10k, 100k and 1M rows x 50.

In one process, for each size: the Trainer (bridge, hooks, the shipped split/scaling/model
plugins) and a bare `model.fit` of the same network on the same preprocessed training rows,
both with the same epoch-timing callback and batch 1024, in rounds of three fits (the Trainer,
bare A, bare B) in rotating order so that order effects cancel. Bare B against bare A is the
control: the same work timed twice, so how far its ratio strays from 1 is how far the machine's
noise moves a ratio, measured in the same run. An epoch is timed from its start to the next
one's start, the first epoch (tf.function tracing) left out, by two clocks: wall time, and the
CPU time of the process (all its threads), and a second estimate from the fastest epoch of
each side instead of the median, with its own control. Small tables get more epochs per fit
(40 at 10k, 16 at 100k, 8 from 1M) so that every fit lasts seconds.

Also: the Trainer's own work per epoch, timed alone (its bridge callback's `on_epoch_end`:
the history row and the `on_epoch_end` and `should_stop` hooks over the run's plugins); the
cost of one hook call with 1, 3 and 10 implementations; and the process's peak resident memory
after each size (sizes run smallest first, so each figure is that size's peak or an earlier
one's).

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


def bridge_microseconds(context, calls: int = 2_000) -> float:
    """Microseconds of the Trainer's own work at an epoch's end: the bridge's `on_epoch_end`
    (the history row, `on_epoch_end` and `should_stop` over the run's plugins), timed alone."""
    from kerasplug.bridge import make_bridge

    bridge = make_bridge(context)
    logs = {"loss": 1.0, "mae": 1.0, "val_loss": 1.0, "val_mae": 1.0}
    history = list(context.history)
    start = time.perf_counter()
    for epoch in range(calls):
        bridge.on_epoch_end(epoch, logs)
    seconds = time.perf_counter() - start
    context.history = history
    return seconds / calls * 1e6


def measure(rows: int, epochs: int, repeats: int, tmp: Path) -> dict[str, object]:
    """Median epoch seconds of the Trainer and of two bare fits, A and B, in rotating order.

    Bare B against bare A is the control: the same work twice, so its ratio shows how far this
    machine moves a ratio by chance. Medians are over the epochs of all repeats pooled (a
    single noisy fit moves them less than a median of per-fit medians); "bare" pools A and B.
    """
    fits: dict[str, list] = {"trainer": [], "a": [], "b": []}
    _, context = trainer_epoch_timer(rows, 2, tmp / f"warmup-{rows}")
    for rep in range(repeats):
        order = ["trainer", "a", "b"]
        for who in order[rep % 3 :] + order[: rep % 3]:
            if who == "trainer":
                timer, context = trainer_epoch_timer(rows, epochs, tmp / f"trainer-{rows}-{rep}")
            else:
                timer = bare_epoch_timer(context, epochs, early_stopping=False)
            fits[who].append(timer)

    def pooled(timers: list, clock: str = "wall", stat=statistics.median) -> float:
        return stat(g for fit in timers for g in fit.gaps(clock))

    bare = fits["a"] + fits["b"]
    n_train = len(context.parts["train"].x)
    trainer_s, bare_s = pooled(fits["trainer"]), pooled(bare)
    return {
        "rows": rows,
        "epochs": epochs,
        "train_rows": n_train,
        "trainer_s": trainer_s,
        "bare_s": bare_s,
        "trainer_rps": n_train / trainer_s,
        "bare_rps": n_train / bare_s,
        "ratio": trainer_s / bare_s,
        "cpu_ratio": pooled(fits["trainer"], "cpu") / pooled(bare, "cpu"),
        "control": pooled(fits["b"]) / pooled(fits["a"]),
        # Other programs only ever slow an epoch down, so the fastest epoch is the one least
        # disturbed (the reasoning behind `timeit`'s advice to take the minimum).
        "min_ratio": pooled(fits["trainer"], stat=min) / pooled(bare, stat=min),
        "min_control": pooled(fits["b"], stat=min) / pooled(fits["a"], stat=min),
        "pair_ratios": [
            pooled([t]) / pooled([a]) for t, a in zip(fits["trainer"], fits["a"], strict=True)
        ],
        "control_ratios": [
            pooled([b]) / pooled([a]) for b, a in zip(fits["b"], fits["a"], strict=True)
        ],
        "bridge_us": bridge_microseconds(context),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def spread(ratios: list[float]) -> str:
    return f"{min(ratios):.2f} to {max(ratios):.2f}"


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
        " ratio (wall) | ratio (CPU) | control: bare B / bare A | ratio of fastest epochs |"
        " control of fastest epochs | per-repeat Trainer / bare A | per-repeat bare B / bare A |"
        " Trainer's own work per epoch | peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        " --- |",
    ]
    for r in rows:
        own = r["bridge_us"] / (r["bare_s"] * 1e6)
        table.append(
            f"| {r['rows']:,} | {r['epochs']} | {r['trainer_s']:.3f} | {r['bare_s']:.3f} | "
            f"{r['trainer_rps']:,.0f} | {r['bare_rps']:,.0f} | {r['ratio']:.3f} | "
            f"{r['cpu_ratio']:.3f} | {r['control']:.3f} | {r['min_ratio']:.3f} | "
            f"{r['min_control']:.3f} | {spread(r['pair_ratios'])} | "
            f"{spread(r['control_ratios'])} | {r['bridge_us']:.0f} µs ({own:.4%}) | "
            f"{r['peak_mib']:,.0f} |"
        )
    body = (
        f"Synthetic regression tables x {COLUMNS} columns, 81% of the rows train (10% test, "
        f"10% of the rest validate), MLP 64-64, batch {BATCH}; per size, after a warm-up, "
        f"{args.repeats} rounds of three fits (the Trainer, bare fit A, bare fit B) in rotating "
        "order; an epoch is timed start to start, the first left out. A ratio is Trainer / "
        "bare of the median epochs over all fits pooled (bare: A and B), by wall clock and by "
        "the process's CPU time. The control, bare B / bare A, times the same work twice: how "
        "far it strays from 1.000 is how far this machine moves a ratio by chance. A second "
        "estimate takes the fastest epoch of each side instead of the median (other programs "
        "only ever slow an epoch down), with its own control. The "
        "Trainer's own work per epoch is its bridge callback (history row, `on_epoch_end`, "
        "`should_stop`) timed alone, as a share of a bare epoch; besides it the Trainer saves a "
        "checkpoint at most every `run.checkpoint_seconds` (10 s). "
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
