"""Version-gated workarounds for bugs in the libraries kerasplug builds on.

Each fix is as small as possible, applies only to the versions known to need it, and has a
test (tests/scale/test_distribute.py) that fails as soon as upstream no longer needs it.
"""

from __future__ import annotations

from typing import Any

#: keras-team/keras#20585: `model.fit` under a `tf.distribute` strategy fails with the
#: TensorFlow backend. (1) `_maybe_symbolic_build` all-reduces the first *data* batch only to
#: learn its shapes: under `MultiWorkerMirroredStrategy` that fails on `PerReplica` inputs in
#: eager mode, and under `MirroredStrategy` it fails whenever a batch splits unevenly between
#: replicas ("Inputs to operation AddN ... must have the same size and shape", e.g. 81
#: validation rows on 2 replicas); (2) `reduce_per_replica` reduces scalar metric values over
#: `axis=0` in multi-worker mode ("Invalid reduction dimension 0 for input with 0
#: dimensions"). Seen on Keras 3.15 with TensorFlow 2.21.
DISTRIBUTION_FIX_VERSIONS = ((3, 0), (3, 16))


def _keras_version() -> tuple[int, int]:
    import keras

    major, minor = (int(p) for p in keras.__version__.split(".")[:2])
    return major, minor


def distribution_fix_needed() -> bool:
    """Whether this Keras version is one that needs `apply_distribution_fix`."""
    low, high = DISTRIBUTION_FIX_VERSIONS
    return low <= _keras_version() < high


def apply_distribution_fix() -> bool:
    """Patch Keras's TensorFlow trainer for distributed `fit`; return whether it applied."""
    if not distribution_fix_needed():
        return False
    import tensorflow as tf
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer as tf_trainer

    if getattr(tf_trainer, "_kerasplug_distribution_fix", False):
        return True

    def _maybe_symbolic_build(self: Any, iterator: Any = None, data_batch: Any = None) -> None:
        if self._distribute_strategy is None:
            return
        if iterator is not None:
            strategy = self.distribute_strategy
            for _, _, it in iterator:
                # Only shapes matter for the symbolic build: one replica's batch is enough.
                data_batch = tree.map_structure(
                    lambda v: (
                        strategy.experimental_local_results(v)[0]
                        if isinstance(v, tf.distribute.DistributedValues)
                        else v
                    ),
                    next(it),
                )
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    original_reduce = tf_trainer.reduce_per_replica

    def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(
            strategy
        ):
            return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original_reduce(values, strategy, reduction)

    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    tf_trainer.reduce_per_replica = reduce_per_replica
    tf_trainer._kerasplug_distribution_fix = True
    return True
