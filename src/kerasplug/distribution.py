"""What the core needs to know about a `tf.distribute` strategy: scope, replicas, chief.

TensorFlow is only touched through the strategy object a plugin returned, so this module
imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any


def scope(strategy: Any) -> Any:
    """The strategy's scope, or a no-op context without a strategy."""
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def replicas(strategy: Any) -> int:
    """Replicas that train in sync (1 without a strategy)."""
    return int(strategy.num_replicas_in_sync) if strategy is not None else 1


def is_chief(strategy: Any) -> bool:
    """Whether this process writes artifacts: the chief, or worker 0 when there is no chief.

    Single-process strategies (and no strategy) are always the chief.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
        task = cluster.get("task", {})
        if not task:
            return True
        task_type, task_id = task.get("type"), int(task.get("index", 0))
        has_chief = "chief" in cluster.get("cluster", {})
    else:
        task_type, task_id = resolver.task_type, int(resolver.task_id or 0)
        has_chief = "chief" in resolver.cluster_spec().as_dict()
    if task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and not has_chief
