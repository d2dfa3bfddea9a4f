"""Staged training from `[[stages]]`: each stage's epochs, learning rate and freezing rule.

The Keras transfer-learning recipe (train a new head on a frozen base, then unfreeze all and
fine-tune at a low rate) is two stages. Gradual unfreezing is one stage with `train_last` and
`unfreeze_every = k`: it runs as sub-stages `<name>.1`, `<name>.2`, ... of k epochs each, every
one training one more block than the one before (each sub-stage is recompiled by the core, as
Keras needs). Stages run on the same model; epochs are counted across them, so history,
TensorBoard and early stopping continue, and history.csv names each epoch's stage.
"""

from __future__ import annotations

from typing import Any

from kerasplug import ConfigError, Option, Stage, hookimpl
from kerasplug.config import TableList


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "stages": TableList(
            {
                "name": Option("", str, "the stage's name (default stage<N>)"),
                "epochs": Option(10, int, "epochs of the stage", min=1),
                "learning_rate": Option(
                    None, float, "the stage's learning rate (default train.learning_rate)", min=0
                ),
                "freeze": Option([], list, "names of the layers to freeze", item=str),
                "freeze_regex": Option("", str, "freeze the layers whose name matches"),
                "freeze_range": Option(
                    [], list, "freeze layers [start, stop) by index in model.layers", item=int
                ),
                "train_last": Option(
                    None,
                    int,
                    "freeze all but the last N blocks (a block: a layer with weights "
                    "and the layers after it without)",
                    min=0,
                ),
                "unfreeze_every": Option(
                    0, int, "with train_last: train one more block every this many epochs", min=0
                ),
            }
        )
    }


def _rule(table: dict[str, Any]) -> dict[str, Any]:
    return {
        "layers": table["freeze"],
        "regex": table["freeze_regex"],
        "range": table["freeze_range"],
        "train_last": table["train_last"],
    }


@hookimpl
def configure(config: dict[str, Any]) -> None:
    names = [t["name"] or f"stage{i + 1}" for i, t in enumerate(config["stages"])]
    for i, table in enumerate(config["stages"]):
        where = f"stages[{i}]"
        given = [k for k, v in _rule(table).items() if v not in (None, [], "")]
        if len(given) > 1:
            raise ConfigError(f"{where} sets {' and '.join(given)}; choose one freezing rule")
        if table["unfreeze_every"] and table["train_last"] is None:
            raise ConfigError(
                f"{where}.unfreeze_every = {table['unfreeze_every']} needs {where}.train_last, "
                "the number of blocks that train at first"
            )
        if names.count(names[i]) > 1:
            raise ConfigError(f"{where}.name = {names[i]!r} is used twice; name stages uniquely")


def plan(tables: list[dict[str, Any]], n_blocks: int) -> list[Stage]:
    """The stages of `[[stages]]`, gradual unfreezing expanded into sub-stages."""
    stages = []
    for i, table in enumerate(tables):
        name = table["name"] or f"stage{i + 1}"
        rule = _rule(table)
        every = table["unfreeze_every"]
        if not every:
            stages.append(Stage(name, table["epochs"], table["learning_rate"], {"freeze": rule}))
            continue
        done, step = 0, 0
        while done < table["epochs"]:
            epochs = min(every, table["epochs"] - done)
            last = min(table["train_last"] + step, n_blocks)
            stages.append(
                Stage(
                    f"{name}.{step + 1}",
                    epochs,
                    table["learning_rate"],
                    {"freeze": {**rule, "train_last": last}},
                )
            )
            done, step = done + epochs, step + 1
    return stages


@hookimpl
def training_stages(run: Any) -> list[Stage] | None:
    from kerasplug_housing.freezing import blocks

    tables = run.config["stages"]
    if not tables:
        return None
    return plan(tables, len(blocks(run.model)))
