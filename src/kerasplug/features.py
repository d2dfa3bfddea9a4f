"""Feature extraction: activations of intermediate layers, through the `extract_features` hook."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kerasplug.errors import UsageError


def extract(run: Any, model: Any, x: Any, layers: Sequence[str] = ()) -> Any:
    """Ask the plugins for the activations of `layers` (all layers when empty) for rows `x`.

    Raises `UsageError` when no plugin can extract features from this model.
    """
    frame = run.pm.hook.extract_features(run=run, model=model, x=x, layers=list(layers))
    if frame is None:
        raise UsageError(
            "no plugin answered extract_features: enable a feature-extraction plugin "
            "(e.g. housing.features)"
        )
    return frame
