"""Layer freezing for transfer learning: which layers train in each stage.

A stage carries its rule in `stage.options["freeze"]` (the stages plugin puts it there), a dict
with at most one of `layers` (names), `regex`, `range` (`[start, stop)` indexes into
`model.layers`) or `train_last` (freeze all but the last N blocks). Every layer is set trainable
or frozen for each stage, so a later stage with an empty rule unfreezes everything. A stage
without a `freeze` option (the core's default stage) leaves the model as it was built.

A block is a layer with weights (not a normalization layer) and the weightless and
normalization layers after it, e.g. `dense_1, batch_norm_1, activation_1, dropout_1`.
Batch-normalization layers of a frozen block are frozen too: in Keras 3 a BatchNormalization
layer with `trainable=False` runs in inference mode (its moving statistics stay put). The core
compiles the model after this hook, which Keras needs for a change of `trainable` to count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kerasplug import ConfigError, hookimpl

RULES = ("layers", "regex", "range", "train_last")


def _is_normalization(layer: Any) -> bool:
    import keras

    return isinstance(
        layer,
        (
            keras.layers.BatchNormalization,
            keras.layers.LayerNormalization,
            keras.layers.GroupNormalization,
        ),
    )


def _layers(model: Any) -> list[Any]:
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _is_main(layer: Any) -> bool:
    return bool(layer.weights) and not _is_normalization(layer)


def blocks(model: Any) -> list[list[Any]]:
    """The model's layers grouped into blocks; leading weightless layers join the first block."""
    found: list[list[Any]] = [[]]
    for layer in _layers(model):
        if _is_main(layer) and any(_is_main(other) for other in found[-1]):
            found.append([])
        found[-1].append(layer)
    return [group for group in found if group]


def frozen_layers(model: Any, rule: Mapping[str, Any], where: str) -> list[str]:
    """Names of the layers `rule` freezes (normalization layers of frozen blocks included)."""
    given = [k for k in RULES if rule.get(k) not in (None, [], "")]
    if len(given) > 1:
        raise ConfigError(f"{where} sets {' and '.join(given)}; choose one freezing rule per stage")
    layers = _layers(model)
    names = [layer.name for layer in layers]
    if not given:
        return []
    kind, value = given[0], rule[given[0]]
    if kind == "layers":
        unknown = [n for n in value if n not in names]
        if unknown:
            raise ConfigError(
                f"{where}.freeze names layers {unknown} the model does not have; "
                f"its layers: {', '.join(names)}"
            )
        chosen = set(value)
    elif kind == "regex":
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ConfigError(f"{where}.freeze_regex = {value!r} is not a regex: {exc}") from None
        chosen = {n for n in names if pattern.search(n)}
        if not chosen:
            raise ConfigError(
                f"{where}.freeze_regex = {value!r} matches no layer; its layers: {', '.join(names)}"
            )
    elif kind == "range":
        if len(value) != 2 or not 0 <= value[0] <= value[1] <= len(layers):
            raise ConfigError(
                f"{where}.freeze_range = {value!r} must be [start, stop) with "
                f"0 <= start <= stop <= {len(layers)} (the model's layer count)"
            )
        chosen = set(names[value[0] : value[1]])
    else:
        groups = blocks(model)
        if value > len(groups):
            raise ConfigError(
                f"{where}.train_last = {value} but the model has {len(groups)} blocks; "
                f"use at most {len(groups)}"
            )
        chosen = {layer.name for group in groups[: len(groups) - value] for layer in group}
    for group in blocks(model):
        if any(layer.name in chosen for layer in group):
            chosen |= {layer.name for layer in group if _is_normalization(layer)}
    return [n for n in names if n in chosen]


def apply(model: Any, frozen: list[str]) -> None:
    """Freeze the layers named in `frozen` and make every other layer trainable."""
    for layer in _layers(model):
        layer.trainable = layer.name not in frozen


@hookimpl
def freeze_layers(run: Any, model: Any, stage: Any) -> None:
    rule = stage.options.get("freeze")
    if rule is None:
        return
    frozen = frozen_layers(model, rule, f"stage {stage.name!r}")
    apply(model, frozen)
    if frozen:
        run.echo(f"frozen: {', '.join(frozen)}")


@hookimpl
def before_fit(run: Any, model: Any) -> None:
    # Once, as training starts: which layers the first stage trains and which it freezes
    # (housing.model writes Keras's own summary to model_summary.txt).
    if run.epoch == 0 and run.fold == 0:
        from kerasplug.commands.summary import layer_table

        run.dir.write_text("layers.txt", layer_table(model))
