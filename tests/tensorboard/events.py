"""Read TensorBoard event files back with TensorBoard's own multiplexer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def load(logdir: Path) -> Any:
    """Every run under `logdir`, every event kept (no sampling)."""
    from tensorboard.backend.event_processing import plugin_event_multiplexer

    keep_all = {"scalars": 0, "images": 0, "text": 0, "histograms": 0, "hparams": 0}
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance=keep_all)
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    return multiplexer


def tags(multiplexer: Any, plugin: str, run: str) -> set[str]:
    """The tags TensorBoard's `plugin` (scalars, text, images, ...) shows for `run`."""
    return set(multiplexer.PluginRunToTagToContent(plugin).get(run, {}))


def values(multiplexer: Any, run: str, tag: str) -> list[tuple[int, Any]]:
    """`(step, value)` of every event of one tag, in step order."""
    from tensorboard.util import tensor_util

    events = multiplexer.Tensors(run, tag)
    return sorted((e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in events)


def scalars(multiplexer: Any, run: str, tag: str) -> tuple[list[int], np.ndarray]:
    pairs = values(multiplexer, run, tag)
    return [step for step, _ in pairs], np.array([float(v) for _, v in pairs])


def texts(multiplexer: Any, run: str, tag: str) -> list[str]:
    return [np.asarray(v).reshape(-1)[0].decode("utf-8") for _, v in values(multiplexer, run, tag)]


def session_hparams(multiplexer: Any, run: str) -> dict[str, Any]:
    """The hyperparameters of the HParams session logged in `run`."""
    from google.protobuf import json_format
    from tensorboard.plugins.hparams import metadata

    content = multiplexer.PluginRunToTagToContent(metadata.PLUGIN_NAME)[run]
    info = metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
    return {k: json_format.MessageToDict(v) for k, v in info.hparams.items()}
