"""Resuming a run after a crash: a real `kerasplug run` killed with SIGKILL, then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from kerasplug import Trainer, UsageError, hookimpl, load_run
from tests.helpers import FAST, run_cli
from tests.runs.conftest import slow_plugins

#: Slow enough epochs (small batches) that the kill lands in the middle of training.
ARGS = [
    a
    for option in [
        *FAST,
        "train.epochs=10",
        "train.batch_size=8",
        "early_stopping.patience=50",
        "run.checkpoint_seconds=0",
    ]
    for a in ("--set", option)
]


def latest_epoch(run_dir):
    try:
        folder = json.loads((run_dir / "checkpoint" / "latest.json").read_text())["folder"]
    except (FileNotFoundError, json.JSONDecodeError):
        return 0
    return json.loads((run_dir / folder / "state.json").read_text())["epoch"]


def test_a_run_killed_mid_training_resumes_where_it_stopped(tmp_path):
    run_dir = tmp_path / "run"
    disable = [a for name in slow_plugins() for a in ("-p", f"no:{name}")]
    config = tmp_path / "boston.toml"
    config.write_text('[data]\nsource = "boston"\ntarget = "MEDV"\n')
    command = [config, *ARGS, *disable]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "kerasplug.cli", "run", *map(str, command), "--run-dir", run_dir],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while latest_epoch(run_dir) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run must be killed while it trains"
    killed_at = latest_epoch(run_dir)
    assert 2 <= killed_at < 10
    assert json.loads((run_dir / "status.json").read_text())["status"] == "running"
    before = json.loads(
        (run_dir / json.loads((run_dir / "checkpoint/latest.json").read_text())["folder"])
        .joinpath("state.json")
        .read_text()
    )
    assert "housing.stopping" in before["plugins"]  # the early-stopping state is kept

    resumed = run_cli("run", *map(str, command), "--resume", str(run_dir))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming after epoch {killed_at}" in resumed.stdout
    lines = resumed.stdout.splitlines()
    epochs = [int(line.split()[1]) for line in lines if line.startswith("epoch")]
    assert epochs == list(range(killed_at + 1, 11)), "the epoch count continues"

    history = pd.read_csv(run_dir / "history.csv")
    assert list(history["epoch"]) == list(range(1, 11))
    # The epochs before the kill are the ones the killed process trained, not trained again.
    kept = pd.DataFrame(before["history"])
    np.testing.assert_array_equal(history["loss"][:killed_at], kept["loss"])
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    assert not (run_dir / "checkpoint").exists()
    assert not list(run_dir.rglob(".*.tmp*")), "no temporary file is left behind"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs"] == 10
    run = load_run(run_dir, disable=slow_plugins())
    predictions = pd.read_csv(run_dir / "predictions.csv")
    assert len(predictions) == 506 and predictions["y_pred"].notna().all()
    assert run.model.count_params() > 0


class Counter:
    """Keeps state across epochs and hands it over for resuming; can simulate a crash."""

    def __init__(self, crash_at=None):
        self.crash_at = crash_at
        self.count = 0
        self.restored = []

    @hookimpl
    def on_epoch_end(self, epoch):
        if epoch == self.crash_at:
            raise KeyboardInterrupt  # as if the process died before this epoch's checkpoint
        self.count += 1

    @hookimpl
    def checkpoint_state(self, run):
        return {"count": self.count, "seen": np.arange(run.epoch)}

    @hookimpl
    def restore_state(self, run, state):
        self.count = state["count"]
        self.restored.append((run.resumed, run.epoch, state["count"], state["seen"].tolist()))


def tiny_config(epochs):
    return {
        "run": {"checkpoint_seconds": 0},
        "data": {"target": "MEDV"},
        "model": {"hidden": [8]},
        "train": {"epochs": epochs, "batch_size": 128, "verbose": 0},
        "early_stopping": {"enabled": False},
    }


@pytest.mark.hook("checkpoint_state")
@pytest.mark.hook("restore_state")
def test_plugin_state_is_saved_each_epoch_and_handed_back_on_resume(tmp_path):
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        Trainer(
            tiny_config(5),
            plugins=[("counter", Counter(crash_at=3))],
            disable=slow_plugins(),
            run_dir=run_dir,
            third_party=False,
        ).run()
    assert json.loads((run_dir / "status.json").read_text())["status"] == "failed"
    counter = Counter()
    result = Trainer(
        tiny_config(5),
        plugins=[("counter", counter)],
        disable=slow_plugins(),
        resume=run_dir,
        third_party=False,
    ).run()
    assert counter.restored == [(True, 3, 3, [0, 1, 2])]
    assert counter.count == 5
    assert list(result.history["epoch"]) == [1, 2, 3, 4, 5]


def test_resume_refuses_a_completed_run_and_a_changed_config(tmp_path, boston_saved):
    with pytest.raises(UsageError, match="the run already completed; there is nothing to resume"):
        Trainer(None, resume=boston_saved[0].run_dir, third_party=False).run()
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        Trainer(
            tiny_config(3),
            plugins=[("counter", Counter(crash_at=1))],
            disable=slow_plugins(),
            run_dir=run_dir,
            third_party=False,
        ).run()
    with pytest.raises(
        UsageError,
        match=r"train.epochs was 3 in that run but is 4 now; resume with the same config",
    ):
        Trainer(tiny_config(4), disable=slow_plugins(), resume=run_dir, third_party=False).run()


class SwapWatch:
    """Records, on resuming, the weights the checkpoint put in the model and those that train."""

    def __init__(self):
        self.restored = None
        self.trained = None

    @hookimpl
    def training_callbacks(self, run):
        import keras

        watch = self

        class Watch(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                if run.resumed and watch.restored is None:
                    optimizer = self.model.optimizer
                    watch.restored = (
                        [v.numpy() for v in self.model.trainable_variables],
                        # Keras keeps the averages here (private; a test may look).
                        [v.numpy() for v in optimizer._model_variables_moving_average],
                    )

            def on_train_batch_begin(self, batch, logs=None):
                if watch.restored is not None and watch.trained is None:
                    watch.trained = [v.numpy() for v in self.model.trainable_variables]

        return [Watch()]


def test_a_resumed_run_with_weight_averaging_trains_on_from_the_raw_weights(tmp_path):
    # The checkpoint holds the averaged weights in the model and the raw ones in the
    # optimizer's averages; training must carry on from the raw ones.
    config = tiny_config(5) | {"model": {"hidden": [8], "ema": True, "ema_momentum": 0.9}}
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        Trainer(
            config,
            plugins=[("counter", Counter(crash_at=3))],
            disable=slow_plugins(),
            run_dir=run_dir,
            third_party=False,
        ).run()
    watch = SwapWatch()
    result = Trainer(
        config,
        plugins=[("watch", watch)],
        disable=slow_plugins(),
        resume=run_dir,
        third_party=False,
    ).run()
    averaged, raw = watch.restored
    assert not all(np.array_equal(a, r) for a, r in zip(averaged, raw, strict=True))
    for trained, expected in zip(watch.trained, raw, strict=True):
        np.testing.assert_array_equal(trained, expected)
    assert list(result.history["epoch"]) == [1, 2, 3, 4, 5]
