"""kerasplug's pytest plugin (entry point `pytest11`): fixtures for testing kerasplug plugins.

It only defines fixtures, so test sessions that do not ask for them behave exactly as
without it; it imports nothing heavy (pytest loads it in every session of anyone who has
kerasplug installed).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from kerasplug.context import RunResult
from kerasplug.manager import PluginManager
from kerasplug.testing.tiny import isolated_manager, run_tiny

#: Environment variables that would change which plugins load or what they print.
_PLUGIN_ENV = ("KERASPLUG_DISABLE_PLUGINS", "KERASPLUG_TRACE")


def _isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in _PLUGIN_ENV:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def kerasplug_pm(monkeypatch: pytest.MonkeyPatch) -> PluginManager:
    """A plugin manager with kerasplug's own plugins only: other installed plugins, `-p` and
    `KERASPLUG_DISABLE_PLUGINS` do not leak in. Register yours with
    `kerasplug_pm.register_plugin(plugin, "name")`; it is gone after the test."""
    _isolate(monkeypatch)
    return isolated_manager()


@pytest.fixture
def kerasplug_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., RunResult]:
    """Run a tiny training (seconds) with the given plugins and return its `RunResult`.

    Call it as `kerasplug_run(*plugins, config={...}, overrides=[...], disable=[...])`;
    each call writes a fresh run directory under the test's `tmp_path`.
    """
    _isolate(monkeypatch)
    counter = itertools.count(1)

    def run(
        *plugins: Any,
        config: Mapping[str, Any] | None = None,
        overrides: Iterable[str] = (),
        disable: Iterable[str] = (),
    ) -> RunResult:
        return run_tiny(
            *plugins,
            run_dir=tmp_path / f"run-{next(counter)}",
            config=config,
            overrides=overrides,
            disable=disable,
        )

    return run
