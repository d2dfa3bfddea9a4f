"""Checkpoints that let a run resume after a crash (`kerasplug run CONFIG --resume RUN_DIR`).

After every finished epoch the core writes `checkpoint/epoch-<n>/` in the run directory: the
network's weights together with the optimizer's state (`state.weights.h5`, as Keras's
`BackupAndRestore` saves them), the position in the run and the history so far
(`state.json`), and the state plugins hand over through the `checkpoint_state` hook (JSON, with
numpy arrays in `arrays.npz`). Only then is `checkpoint/latest.json` pointed at the new folder,
with one atomic rename, so a kill at any moment leaves a complete checkpoint behind.
`BackupAndRestore` itself does not fit: it knows one `fit()` call, and a run has several
training stages, each compiled anew.

Loading executes no code: HDF5 weights, JSON, and `.npz` read with `allow_pickle=False`.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerasplug import config as configmod
from kerasplug import rundir
from kerasplug.errors import UsageError
from kerasplug.rundir import RunDir

FOLDER = "checkpoint"
LATEST = f"{FOLDER}/latest.json"
WEIGHTS = "state.weights.h5"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class Checkpoint:
    """Where an interrupted run stood after its last finished epoch."""

    fold: int
    stage: int  # index of the training stage in `training_stages`
    stage_start: int  # the run's epoch count when that stage began
    epoch: int  # epochs finished, counted across stages
    history: list[dict[str, Any]]
    stop_reason: str | None
    stop_epoch: int | None
    plugins: dict[str, Any]  # plugin name -> the state its `checkpoint_state` returned
    weights: Path


def reopen(path: str | Path, config: Mapping[str, Any]) -> RunDir:
    """Check that `path` is an unfinished run made with `config`, and return it."""
    shown = str(path)
    run_dir, status = rundir.existing(path, f"--resume {shown!r}")
    if status == "completed":
        raise UsageError(
            f"--resume {shown!r}: the run already completed; there is nothing to resume (start a "
            "new run without --resume)"
        )
    saved = configmod.read_toml(run_dir / "config.toml")
    given = tomllib.loads(configmod.dumps(config))
    difference = _first_difference(saved, given)
    if difference is not None:
        key, old, new = difference
        raise UsageError(
            f"--resume {shown!r}: {key} was {old!r} in that run but is {new!r} now; resume with "
            "the same config file and --set options"
        )
    return run_dir


def _first_difference(old: Any, new: Any, prefix: str = "") -> tuple[str, Any, Any] | None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            found = _first_difference(old.get(key), new.get(key), f"{prefix}{key}.")
            if found is not None:
                return found
        return None
    return None if old == new else (prefix.rstrip("."), old, new)


def save(
    run_dir: RunDir,
    model: Any,
    *,
    fold: int,
    stage: int,
    stage_start: int,
    run: Any,
    plugins: Mapping[str, Any],
) -> None:
    """Write the checkpoint of the epoch just finished and make it the latest one."""
    import numpy as np

    folder = f"{FOLDER}/epoch-{run.epoch}"
    target = run_dir / folder
    if target.exists():  # left over by a kill while it was written
        shutil.rmtree(target)
    target.mkdir(parents=True)
    model.save_weights(target / WEIGHTS)
    arrays: dict[str, Any] = {}
    state = {
        "fold": fold,
        "stage": stage,
        "stage_start": stage_start,
        "epoch": run.epoch,
        "history": run.history,
        "stop_reason": run.stop_reason,
        "stop_epoch": run.stop_epoch,
        "plugins": {name: _encode(value, arrays) for name, value in plugins.items()},
    }
    np.savez(target / "arrays.npz", **arrays)
    run_dir.write_json(f"{folder}/state.json", state)
    previous = _latest_folder(run_dir)
    run_dir.write_json(LATEST, {"folder": folder})
    if previous is not None and previous != folder:
        shutil.rmtree(run_dir / previous, ignore_errors=True)


def save_fold(run_dir: RunDir, fold: int, result: dict[str, Any], predictions: Any) -> None:
    """Keep a finished fold's results, so that a resumed K-fold run does not train it again."""
    run_dir.write_csv(f"{FOLDER}/fold-{fold}-predictions.csv", predictions, index=False)
    run_dir.write_json(f"{FOLDER}/fold-{fold}.json", result)


def load_fold(run_dir: RunDir, fold: int) -> tuple[dict[str, Any], Any]:
    import pandas as pd

    predictions = pd.read_csv(run_dir / f"{FOLDER}/fold-{fold}-predictions.csv")
    return run_dir.read_json(f"{FOLDER}/fold-{fold}.json"), predictions


def load(run_dir: RunDir) -> Checkpoint | None:
    """The latest complete checkpoint, or `None` if no epoch finished before the crash."""
    import numpy as np

    folder = _latest_folder(run_dir)
    if folder is None:
        return None
    state = run_dir.read_json(f"{folder}/state.json")
    with np.load(run_dir / folder / "arrays.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return Checkpoint(
        fold=state["fold"],
        stage=state["stage"],
        stage_start=state["stage_start"],
        epoch=state["epoch"],
        history=state["history"],
        stop_reason=state["stop_reason"],
        stop_epoch=state["stop_epoch"],
        plugins={name: _decode(value, arrays) for name, value in state["plugins"].items()},
        weights=run_dir / folder / WEIGHTS,
    )


def restore_model(model: Any, checkpoint: Checkpoint) -> None:
    """Load the checkpoint's weights and optimizer state into the compiled `model`."""
    if model.optimizer is not None and not model.optimizer.built:
        # The optimizer's variables must exist before their saved values can be loaded.
        model.optimizer.build(model.trainable_variables)
    model.load_weights(checkpoint.weights)


def remove(run_dir: RunDir) -> None:
    """Delete the checkpoints once the run has completed."""
    shutil.rmtree(run_dir / FOLDER, ignore_errors=True)


def _latest_folder(run_dir: RunDir) -> str | None:
    try:
        return run_dir.read_json(LATEST)["folder"]
    except FileNotFoundError:
        return None


_ARRAY = "__ndarray__"


def _encode(value: Any, arrays: dict[str, Any]) -> Any:
    """Replace numpy arrays by references into `arrays`, so the rest can be JSON."""
    import numpy as np

    if isinstance(value, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {_ARRAY: key}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _encode(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, arrays) for v in value]
    return value


def _decode(value: Any, arrays: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            return arrays[value[_ARRAY]]
        return {k: _decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    return value


def make_saver(save_epoch: Callable[[], None], min_seconds: float) -> Any:
    """A Keras callback that calls `save_epoch()` after an epoch (after the bridge's hooks),
    at most once every `min_seconds`, so checkpointing costs little however short epochs are.
    """
    import time

    import keras

    class CheckpointSaver(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self.last = time.monotonic()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if time.monotonic() - self.last >= min_seconds:
                save_epoch()
                self.last = time.monotonic()

    return CheckpointSaver()
