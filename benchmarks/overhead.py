"""What the Trainer costs on top of Keras: per epoch, per hook call, and at start-up.

In one process, alternately: a bare `model.fit` with Keras's own EarlyStopping, and the Trainer
(bridge + plugins, early stopping on the stopping hook) fitting the same network on the same
Boston training rows. Both run every epoch (patience larger than the epoch count). The ratio of
median seconds per epoch is reported; the target is <= 1.02.

    python benchmarks/overhead.py [--epochs 60] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section

ROOT = Path(__file__).resolve().parents[1]


def epoch_timer():
    """A Keras callback timing each epoch from its start to the next one's start.

    Measuring start to start includes every callback of the epoch (the bridge is the last
    callback) and leaves out the first epoch's tf.function tracing when the median is taken.
    It reads two clocks: wall time, and the CPU time of the whole process (every thread), which
    other programs on a shared machine disturb far less.
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.starts = []

        def on_epoch_begin(self, epoch, logs=None):
            self.starts.append((time.perf_counter(), time.process_time()))

        def on_train_end(self, logs=None):
            self.starts.append((time.perf_counter(), time.process_time()))

        def gaps(self, clock: str = "wall") -> list[float]:
            """Seconds of every epoch but the first (tf.function tracing), by `clock`."""
            i = ("wall", "cpu").index(clock)
            marks = [start[i] for start in self.starts]
            return [b - a for a, b in itertools.pairwise(marks[1:])]

        def median(self) -> float:
            return statistics.median(self.gaps())

    return EpochTimer()


class TimerPlugin:
    """Adds the epoch timer to the Trainer's callbacks."""

    from kerasplug import hookimpl

    def __init__(self) -> None:
        self.timer = epoch_timer()

    @hookimpl
    def training_callbacks(self):
        return [self.timer]


def trainer_epoch_seconds(epochs: int, tmp: Path, rep: int) -> tuple[float, object]:
    from kerasplug import Trainer

    plugin = TimerPlugin()
    trainer = Trainer(
        ROOT / "examples" / "housing" / "boston.toml",
        overrides=[
            f"train.epochs={epochs}",
            "train.verbose=0",
            f"early_stopping.patience={epochs + 1}",
            "early_stopping.refit=false",  # the bare fit has no refit to compare with
            # Reporting plugins add no per-epoch work except TensorBoard's own Keras callback,
            # which the bare fit would need too; leave them out of both.
            "tensorboard.enabled=false",
            "eda.enabled=false",
            "explain.methods=[]",
        ],
        plugins=[("epoch-timer", plugin)],
        run_dir=tmp / f"trainer-{rep}",
        third_party=False,
        out=io.StringIO(),
    )
    trainer.run()
    return plugin.timer.median(), trainer.context


def bare_model(context):
    """The Trainer's network built and compiled anew by the same plugins, for a bare fit."""
    import keras

    keras.utils.set_random_seed(context.config["run"]["seed"])
    hook = context.pm.hook
    model = hook.build_model(
        run=context, n_features=context.parts["train"].x.shape[1], task=context.task
    )
    model.compile(**hook.compile_options(run=context, model=model, stage=context.stage))
    return model


def bare_epoch_seconds(context, epochs: int, early_stopping: bool = True) -> float:
    """Median seconds per epoch of a bare `model.fit` of the Trainer's network and rows."""
    return bare_epoch_timer(context, epochs, early_stopping).median()


def bare_epoch_timer(context, epochs: int, early_stopping: bool = True):
    """The epoch timer of a bare `model.fit` of the Trainer's network.

    It gets the Keras callbacks the plugins give the Trainer (e.g. a learning-rate schedule),
    made anew, and Keras's EarlyStopping(restore_best_weights) where the Trainer has the
    housing.stopping plugin (`early_stopping`); patience never ends the fit early.
    """
    import keras

    model = bare_model(context)
    train, valid = context.parts["train"], context.parts["valid"]
    callbacks = [
        c
        for answer in context.pm.hook.training_callbacks(
            run=context, model=model, stage=context.stage
        )
        for c in answer or []
        if type(c).__name__ != "EpochTimer"
    ]
    if early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(patience=epochs + 1, restore_best_weights=True)
        )
    timer = epoch_timer()
    model.fit(
        train.x.to_numpy(),
        train.y_fit,
        validation_data=(valid.x.to_numpy(), valid.y_fit),
        epochs=epochs,
        batch_size=context.config["train"]["batch_size"],
        callbacks=[timer, *callbacks],
        verbose=0,
    )
    return timer


def builtin_names() -> list[str]:
    """Every built-in plugin's name, to measure hook calls on the listeners alone."""
    from importlib import metadata

    from kerasplug.manager import BUILTIN_MODULES

    names = {ep.name for ep in metadata.entry_points(group="kerasplug")}
    return sorted(names | {name for name, _ in BUILTIN_MODULES})


def hook_call_microseconds(n_impls: int, calls: int = 100_000) -> float:
    from kerasplug import create_manager, hookimpl

    class Listener:
        @hookimpl
        def on_epoch_end(self, epoch) -> None:
            pass

    pm = create_manager(
        third_party=False,
        disable=builtin_names(),
        plugins=[(f"l{i}", Listener()) for i in range(n_impls)],
    )
    hook = pm.hook.on_epoch_end
    start = time.perf_counter()
    for i in range(calls):
        hook(run=None, epoch=i, logs={}, stage=None)
    return (time.perf_counter() - start) / calls * 1e6


def help_seconds(repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kerasplug.cli", "--help"], check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    trainer_times, bare_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        context = None
        for rep in range(args.repeats):
            # Alternate which goes first, so that order effects cancel out.
            bare_first = context is not None and rep % 2 == 1
            if bare_first:
                bare_times.append(bare_epoch_seconds(context, args.epochs))
            seconds, context = trainer_epoch_seconds(args.epochs, Path(tmp), rep)
            trainer_times.append(seconds)
            if not bare_first:
                bare_times.append(bare_epoch_seconds(context, args.epochs))
            print(
                f"repeat {rep + 1}: trainer {seconds * 1e3:.2f} ms/epoch, "
                f"bare {bare_times[-1] * 1e3:.2f} ms/epoch",
                flush=True,
            )
    ratio = statistics.median(trainer_times) / statistics.median(bare_times)
    pair_ratios = [t / b for t, b in zip(trainer_times, bare_times, strict=True)]
    hooks = {n: hook_call_microseconds(n) for n in (0, 1, 3, 10)}
    hook_cells = " / ".join(f"{v:.2f}" for v in hooks.values())
    help_s = help_seconds()

    body = f"""
Boston training rows, the example's MLP, {args.epochs} epochs per fit, {args.repeats} alternating
repeats in one process; Keras's EarlyStopping(restore_best_weights) in the bare fit, the
housing.stopping plugin in the Trainer; both get the plugins' other Keras callbacks (the
example's learning-rate schedule), and they alternate which runs first. An epoch is timed
from its start to the next epoch's start (all callbacks included, the first epoch's tracing
excluded); medians over epochs. Per-repeat ratios show the machine's noise.

| measure | value | target |
| --- | --- | --- |
| bare `model.fit`, median ms/epoch | {statistics.median(bare_times) * 1e3:.2f} | |
| Trainer, median ms/epoch | {statistics.median(trainer_times) * 1e3:.2f} | |
| per-epoch ratio Trainer / bare (of medians) | {ratio:.3f} | <= 1.02 |
| per-repeat ratios | {", ".join(f"{r:.3f}" for r in pair_ratios)} | |
| one `on_epoch_end` hook call, 0 / 1 / 3 / 10 implementations (µs) | {hook_cells} | |
| `kerasplug --help`, median of 5 (s) | {help_s:.3f} | < 0.3 |
"""
    print(body)
    write_section("Trainer overhead", "python benchmarks/overhead.py", body)


if __name__ == "__main__":
    main()
