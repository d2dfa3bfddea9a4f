"""Tiny trainings (seconds) with given plugins, isolated from whatever else is installed."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kerasplug.config import core_sections
from kerasplug.context import RunContext, RunResult
from kerasplug.manager import PluginManager, create_manager

#: The tiny training: the embedded Boston table, 2 epochs of an 8-unit MLP, without the slow
#: extras (exploratory plots, TensorBoard, SHAP/LIME); pass `config` to turn them back on. Keys
#: that no registered plugin declares (say `model.hidden` when `housing.model` is disabled)
#: are left out.
TINY_CONFIG: dict[str, dict[str, Any]] = {
    "run": {"name": "tiny", "seed": 0},
    "data": {"source": "boston", "target": "MEDV"},
    "train": {"epochs": 2, "batch_size": 64, "verbose": 0},
    "model": {"hidden": [8]},
    "eda": {"enabled": False},
    "tensorboard": {"enabled": False},
    "explain": {"methods": []},
}


def isolated_manager(*plugins: Any, disable: Iterable[str] = ()) -> PluginManager:
    """A plugin manager with kerasplug's own plugins and `plugins`, and nothing else installed.

    `plugins` are plugin objects (registered by module name or class name) or `(name, plugin)`
    pairs.
    """
    return create_manager(plugins=plugins, disable=disable, third_party=False, trace=False)


def tiny_config(pm: PluginManager, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`TINY_CONFIG` cut to the keys `pm`'s plugins declare, with `config` merged over it."""
    declared: dict[str, set[str]] = {s: set(o) for s, o in core_sections().items()}
    for answer in pm.hook.config_sections(run=RunContext(config={}, pm=pm)):
        for section, options in (answer or {}).items():
            declared.setdefault(section, set()).update(options)
    raw: dict[str, Any] = {
        section: {k: v for k, v in values.items() if k in declared.get(section, ())}
        for section, values in copy.deepcopy(TINY_CONFIG).items()
    }
    for section, values in (config or {}).items():
        if isinstance(values, Mapping) and isinstance(raw.get(section), dict):
            raw[section].update(copy.deepcopy(dict(values)))
        else:
            raw[section] = copy.deepcopy(values)
    return raw


def tiny_trainer(
    *plugins: Any,
    run_dir: str | Path,
    config: Mapping[str, Any] | None = None,
    overrides: Iterable[str] = (),
    disable: Iterable[str] = (),
    pm: PluginManager | None = None,
) -> Any:
    """A `kerasplug.Trainer` for the tiny training; its progress goes to `trainer.context.out`."""
    from kerasplug.trainer import Trainer

    pm = pm or isolated_manager(*plugins, disable=disable)
    return Trainer(
        tiny_config(pm, config), overrides=overrides, run_dir=run_dir, pm=pm, out=io.StringIO()
    )


def run_tiny(
    *plugins: Any,
    run_dir: str | Path,
    config: Mapping[str, Any] | None = None,
    overrides: Iterable[str] = (),
    disable: Iterable[str] = (),
) -> RunResult:
    """Run the tiny training with `plugins` into `run_dir` and return its result.

    Example:
        >>> result = run_tiny(my_plugin, run_dir=tmp_path / "run")
        >>> result.metrics["test"]["rmse"]
    """
    trainer = tiny_trainer(
        *plugins, run_dir=run_dir, config=config, overrides=overrides, disable=disable
    )
    return trainer.run()
