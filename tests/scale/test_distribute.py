"""Distributed training on tf.distribute: mirrored on two logical CPUs, two local workers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from kerasplug import Trainer, create_manager
from tests.helpers import EXAMPLES, LEAN, run_cli

CONFIG = str(EXAMPLES / "housing" / "boston.toml")
SETTINGS = [*LEAN, "train.epochs=25", "early_stopping.enabled=false", "train.verbose=0"]


def sets(*overrides: str) -> list[str]:
    return [arg for o in overrides for arg in ("--set", o)]


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tf_config(ports: list[int], index: int) -> str:
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


@pytest.fixture(scope="module")
def single_device(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("single") / "run"
    return Trainer(CONFIG, overrides=SETTINGS, run_dir=run_dir, third_party=False).run()


@pytest.mark.hook("distribution_strategy")
def test_mirrored_training_on_two_logical_cpus_matches_one_device(tmp_path, single_device):
    result = run_cli(
        "run",
        CONFIG,
        "--run-dir",
        str(tmp_path / "run"),
        *sets(*SETTINGS, 'distribute.strategy="mirrored"', "distribute.logical_cpus=2"),
    )
    assert result.returncode == 0, result.stderr
    assert "MirroredStrategy with 2 replicas in sync" in result.stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    single = single_device.metrics["test"]["rmse"]
    assert metrics["test"]["rmse"] == pytest.approx(single, rel=0.35)
    assert metrics["test"]["r2"] > 0.6


def test_two_local_workers_train_together_and_write_artifacts_once(tmp_path, single_device):
    ports = free_ports(2)
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "kerasplug.cli",
        "run",
        CONFIG,
        "--run-dir",
        str(run_dir),
        *sets(*SETTINGS, 'distribute.strategy="multi_worker"'),
    ]
    workers = [
        subprocess.Popen(
            command,
            env={
                **os.environ,
                "TF_CONFIG": tf_config(ports, i),
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "TMPDIR": str(tmp_path),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    # MultiWorkerMirroredStrategy's class is CollectiveAllReduceStrategy.
    assert "CollectiveAllReduceStrategy with 2 replicas in sync" in outputs[0][0]
    assert "run directory:" in outputs[0][0]
    # The chief wrote the run directory; the other worker's scratch folder is gone.
    assert {p.name for p in tmp_path.iterdir()} == {"run"}
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["rmse"] == pytest.approx(single_device.metrics["test"]["rmse"], rel=0.35)


UNPATCHED_WORKER = """
    import numpy as np, tensorflow as tf, keras
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    x = np.random.rand(64, 3).astype("float32")
    with strategy.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x.sum(1), epochs=1, batch_size=16, verbose=0)
    print("fit worked")
"""


UNPATCHED_MIRRORED = """
    import numpy as np, tensorflow as tf, keras
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    x = np.random.rand(81, 3).astype("float32")
    with strategy.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x.sum(1), epochs=1, batch_size=128, verbose=0)
    print("fit worked")
"""

NEEDED = (
    "plain Keras distributed fit works now: upstream fixed keras-team/keras#20585, so narrow "
    "kerasplug.compat.DISTRIBUTION_FIX_VERSIONS"
)


def test_the_keras_fix_is_still_needed_for_mirrored_training(tmp_path):
    """Fails when upstream fixed keras-team/keras#20585: then narrow the gate in compat.py."""
    from kerasplug.compat import distribution_fix_needed

    script = tmp_path / "mirrored.py"
    script.write_text(textwrap.dedent(UNPATCHED_MIRRORED))
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    if distribution_fix_needed():
        assert "fit worked" not in result.stdout, NEEDED
        assert "must have the same size and shape" in result.stderr
    else:
        assert "fit worked" in result.stdout, "this Keras still has the bug: widen the gate"


def test_the_keras_fix_is_still_needed_for_multi_worker_training(tmp_path):
    """Fails when upstream fixed keras-team/keras#20585: then narrow the gate in compat.py."""
    from kerasplug.compat import distribution_fix_needed

    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(UNPATCHED_WORKER))
    ports = free_ports(2)
    workers = [
        subprocess.Popen(
            [sys.executable, str(script)],
            env={**os.environ, "TF_CONFIG": tf_config(ports, i), "TF_CPP_MIN_LOG_LEVEL": "3"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    fit_worked = all("fit worked" in out for out, _ in outputs)
    if distribution_fix_needed():
        assert not fit_worked, NEEDED
        assert any("PerReplica" in err for _, err in outputs)
    else:
        assert fit_worked, "this Keras still has keras-team/keras#20585: widen the gate"


def test_multi_worker_without_tf_config_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    result = run_cli(
        "run", CONFIG, "--run-dir", str(tmp_path / "r"), *sets('distribute.strategy="multi_worker"')
    )
    assert result.returncode == 2
    assert "needs TF_CONFIG in the environment" in result.stderr.strip().splitlines()[-1]


def test_the_plugin_answers_nothing_by_default():
    pm = create_manager(third_party=False)
    from kerasplug import RunContext

    run = RunContext(config={"distribute": {"strategy": "none"}}, pm=pm)
    assert pm.hook.distribution_strategy(run=run) is None
