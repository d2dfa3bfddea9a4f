"""The testing kit for plugin authors: fixtures, a tiny training and conformance checks.

Installed with kerasplug as a pytest plugin (entry point `pytest11`), so a plugin's tests can
use the fixtures `kerasplug_pm` and `kerasplug_run` without any setup. The checks work without
pytest too:

    from kerasplug.testing import check_plugin, parametrize_with_checks

    @parametrize_with_checks([my_plugin])
    def test_my_plugin(plugin, check):
        check(plugin)

Importing this package does not import TensorFlow, pandas or scikit-learn.
"""

from __future__ import annotations

from kerasplug.testing.checks import (
    CHECKS,
    PluginCheckError,
    check_argument_names,
    check_hooks_exist,
    check_no_defaults,
    check_plugin,
    check_return_kinds,
    check_saved_run_reloads,
    check_state_resets,
    parametrize_with_checks,
    plugin_checks,
)
from kerasplug.testing.tiny import TINY_CONFIG, isolated_manager, run_tiny, tiny_config

__all__ = [
    "CHECKS",
    "TINY_CONFIG",
    "PluginCheckError",
    "check_argument_names",
    "check_hooks_exist",
    "check_no_defaults",
    "check_plugin",
    "check_return_kinds",
    "check_saved_run_reloads",
    "check_state_resets",
    "isolated_manager",
    "parametrize_with_checks",
    "plugin_checks",
    "run_tiny",
    "tiny_config",
]
