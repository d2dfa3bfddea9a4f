"""Exceptions that reach the user as one clear line.

`UsageError` and its subclasses mean "what you gave us is wrong": the CLI prints the message
and exits with code 2. `PluginError` means "a plugin broke": exit code 1, and the message names
the plugin and the hook.
"""

from __future__ import annotations


class KerasplugError(Exception):
    """Base class of every error kerasplug raises on purpose."""


class UsageError(KerasplugError):
    """Bad input from the user: config, data, command line or run directory. Exit code 2."""

    exit_code = 2


class ConfigError(UsageError):
    """A config key is unknown, has the wrong type or an invalid value."""


class DataError(UsageError):
    """The data cannot be used as it is (missing file, missing target, empty table, ...)."""


class PluginLoadError(UsageError):
    """A plugin could not be imported, registered or validated against the hook contract."""


class UnsafeArtifactError(UsageError):
    """A run directory holds something that could execute code when loaded."""


class PluginError(KerasplugError):
    """A plugin raised an unexpected exception inside a hook. Exit code 1."""

    exit_code = 1

    def __init__(self, plugin: str, hook: str, error: BaseException) -> None:
        self.plugin = plugin
        self.hook = hook
        self.error = error
        super().__init__(
            f"plugin {plugin!r} failed in hook {hook!r}: {type(error).__name__}: {error}"
        )
