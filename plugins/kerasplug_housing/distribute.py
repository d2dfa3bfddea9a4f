"""Distributed training on TensorFlow's own engine: `[distribute] strategy`.

- `"none"`: one device.
- `"mirrored"`: `tf.distribute.MirroredStrategy` over `devices` (default: every GPU, else every
  logical CPU). `logical_cpus = N` splits the CPU into N logical devices, to try data
  parallelism on a machine without GPUs.
- `"multi_worker"`: `tf.distribute.MultiWorkerMirroredStrategy`; every worker runs the same
  `kerasplug run` with `TF_CONFIG` describing the cluster and its own task. Only the chief
  (or worker 0) writes the run directory.

`train.batch_size` is the per-replica batch; the core multiplies it by the replica count.
"""

from __future__ import annotations

import json
import os
from typing import Any

from kerasplug import ConfigError, Option, UsageError, hookimpl

STRATEGIES = ("none", "mirrored", "multi_worker")


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "distribute": {
            "strategy": Option("none", str, "how to spread training", choices=STRATEGIES),
            "devices": Option(
                [], list, "devices for 'mirrored', e.g. ['/gpu:0', '/gpu:1']", item=str
            ),
            "logical_cpus": Option(
                0, int, "split the CPU into this many logical devices (0: leave it)", min=0
            ),
        }
    }


def split_cpu(count: int) -> None:
    """Make `count` logical CPU devices; TensorFlow must not have started its runtime yet."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == count:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, wanted)
    except RuntimeError:
        raise UsageError(
            f"distribute.logical_cpus = {count} must take effect before TensorFlow starts; "
            "run it in a fresh process (e.g. the kerasplug CLI)"
        ) from None


@hookimpl(trylast=True)
def distribution_strategy(run: Any) -> Any:
    cfg = run.config["distribute"]
    if cfg["strategy"] == "none":
        return None
    import tensorflow as tf

    from kerasplug.compat import apply_distribution_fix

    if cfg["logical_cpus"] > 1:
        split_cpu(cfg["logical_cpus"])
    apply_distribution_fix()
    if cfg["strategy"] == "mirrored":
        devices = (
            cfg["devices"]
            or [d.name for d in tf.config.list_logical_devices("GPU")]
            or [d.name for d in tf.config.list_logical_devices("CPU")]
        )
        return tf.distribute.MirroredStrategy(devices)
    task = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}").get("task")
    if not task:
        raise ConfigError(
            "distribute.strategy = 'multi_worker' needs TF_CONFIG in the environment, with the "
            "cluster and this process's task; see docs/distributed.md"
        )
    return tf.distribute.MultiWorkerMirroredStrategy()
