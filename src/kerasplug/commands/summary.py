"""`kerasplug summary CONFIG`: the network's layer table, before any training."""

from __future__ import annotations

import argparse
from typing import Any

from kerasplug.commands import add_set_option, plugin_args, warn_unknown_disabled

NAME = "summary"
HELP = "build the model from a config and print its layers, shapes and parameter counts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the TOML config file")
    add_set_option(parser)


def _size(variable: Any) -> int:
    size = 1
    for dim in variable.shape:
        size *= int(dim)
    return size


def _output_shape(layer: Any) -> str:
    try:
        return str(tuple(layer.output.shape))
    except (AttributeError, ValueError):  # a layer never called on a symbolic input
        return "?"


def _frozen_size(layer: Any) -> int:
    """Parameters a frozen layer would train if unfrozen (its state, e.g. moving means, not)."""
    # Keras freezes a layer's variables along with it, so ask it while briefly unfrozen.
    layer.trainable = True
    size = sum(_size(w) for w in layer.trainable_weights)
    layer.trainable = False
    return size


def layer_table(model: Any) -> str:
    """One row per layer (name, type, output shape, parameters, whether it trains) and totals.

    Frozen parameters are those of trainable variables in layers set `trainable = False`;
    state such as batch-normalization moving statistics never trains and is counted apart.
    """
    import keras

    rows = [("layer", "type", "output shape", "params", "trains")]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        params = sum(_size(w) for w in layer.weights)
        trains = "-" if not layer.weights else ("yes" if layer.trainable else "frozen")
        rows.append((layer.name, type(layer).__name__, _output_shape(layer), f"{params:,}", trains))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.rjust(w) if i == 3 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    trainable = sum(_size(w) for w in model.trainable_weights)
    frozen = sum(_frozen_size(layer) for layer in model.layers if not layer.trainable)
    state = sum(_size(w) for w in model.weights) - trainable - frozen
    lines.append(
        f"model {model.name!r}: {trainable + frozen + state:,} params: {trainable:,} trainable, "
        f"{frozen:,} frozen, {state:,} non-trainable state"
    )
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    import sys

    from kerasplug.trainer import Trainer

    # Progress lines go to stderr so that stdout is the table alone.
    trainer = Trainer(args.config, overrides=args.set, out=sys.stderr, **plugin_args(args))
    warn_unknown_disabled(trainer.pm)
    model = trainer.build()
    stage = trainer.context.stage
    print(f"as stage {stage.name!r} starts training")
    print(layer_table(model), end="")
    return 0
