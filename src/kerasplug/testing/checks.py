"""Conformance checks for a plugin, one rule each (after scikit-learn's `check_estimator`).

The static checks read the plugin's hook implementations against the contract (through
`kerasplug.manager.hook_problems`, the same rules the plugin manager enforces at start). The
run checks register the plugin in a tiny training and watch what it does.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kerasplug.manager import _object_name, hook_problems
from kerasplug.testing.observe import Observation, observe

Check = Callable[..., None]


class PluginCheckError(AssertionError):
    """A plugin breaks a rule of the hook contract; the message says which and how to fix it."""


def _name(plugin: Any, name: str | None) -> str:
    if name:
        return name
    return plugin.__name__ if inspect.isclass(plugin) else _object_name(plugin)


def _problems(plugin: Any, name: str) -> list[str]:
    """What `hook_problems` finds, and the plugin manager's refusal of a class."""
    if inspect.isclass(plugin):
        return [
            f"plugin {name!r} is the class {plugin.__name__}, not an instance: have you "
            f"forgotten the `()`? check {plugin.__name__}()"
        ]
    return hook_problems(plugin, name)


def _problems_about(plugin: Any, name: str, *markers: str) -> list[str]:
    problems = _problems(plugin, name)
    if inspect.isclass(plugin):
        return problems
    return [p for p in problems if any(m in p for m in markers)]


def _fail_on(problems: list[str]) -> None:
    if problems:
        raise PluginCheckError("\n".join(problems))


def check_hooks_exist(plugin: Any, name: str | None = None) -> None:
    """Every function marked `@hookimpl` names a hook of the contract (docs/hooks.md)."""
    name = _name(plugin, name)
    _fail_on(_problems_about(plugin, name, "unknown hook"))


def check_argument_names(plugin: Any, name: str | None = None) -> None:
    """Every hook implementation takes only arguments that its hook passes (no `*args`)."""
    name = _name(plugin, name)
    _fail_on(_problems_about(plugin, name, "unknown argument", "is not allowed"))


def check_no_defaults(plugin: Any, name: str | None = None) -> None:
    """No hook implementation gives an argument a default value (pluggy never fills it)."""
    name = _name(plugin, name)
    _fail_on(_problems_about(plugin, name, "has a default value"))


_OBSERVED: dict[int, tuple[Any, Observation]] = {}


def _observed(plugin: Any, name: str, *, fresh: bool = False) -> Observation:
    """The plugin's tiny training, run once per plugin object and process unless `fresh`."""
    problems = _problems(plugin, name)
    if problems:
        raise PluginCheckError(f"cannot run {name!r} in a tiny training: {problems[0]}")
    if fresh or id(plugin) not in _OBSERVED:
        # The plugin object is kept in the cache so that its id cannot be reused.
        _OBSERVED[id(plugin)] = (plugin, observe(plugin, name))
    return _OBSERVED[id(plugin)][1]


def check_return_kinds(plugin: Any, name: str | None = None) -> None:
    """In a tiny training, every hook returns the kind its hook expects, and the run succeeds.

    Selection hooks: the documented type or None; collection hooks: a list or dict as
    documented, or None; lifecycle hooks: None; `should_stop`: a str or None.
    """
    name = _name(plugin, name)
    seen = _observed(plugin, name)
    problems = [f"plugin {name!r} hook {p}" for p in dict.fromkeys(seen.kind_problems)]
    if seen.error is not None:
        problems.append(f"the tiny training with plugin {name!r} failed: {seen.error}")
    _fail_on(problems)


def check_saved_run_reloads(plugin: Any, name: str | None = None) -> None:
    """The run directory of a tiny training reloads: the plugin vouches for the classes it saves
    in `preprocessing.skops` (the `trusted_types` hook)."""
    name = _name(plugin, name)
    seen = _observed(plugin, name)
    if seen.error is not None:
        raise PluginCheckError(f"the tiny training with plugin {name!r} failed: {seen.error}")
    if seen.reload_error is not None:
        raise PluginCheckError(
            f"the run saved with plugin {name!r} does not reload: {seen.reload_error}"
        )


def check_state_resets(plugin: Any, name: str | None = None) -> None:
    """Two identical tiny trainings in a row see the plugin answer and end up the same: a plugin
    with state resets it when a run (or split) starts."""
    name = _name(plugin, name)
    first = _observed(plugin, name)
    second = _observed(plugin, name, fresh=True)
    if first.error is not None or second.error is not None:
        raise PluginCheckError(
            f"the tiny training with plugin {name!r} failed: {first.error or second.error}"
        )
    fix = "reset it when a run starts (e.g. in before_run, or before_fit when run.epoch == 0)"
    for index, (one, two) in enumerate(zip(first.calls, second.calls, strict=False)):
        if one != two:
            raise PluginCheckError(
                f"plugin {name!r} keeps state across runs: call {index + 1} ({one[0]}) returned "
                f"{one[1]!r} in the first run and {two[1]!r} in an identical second run; {fix}"
            )
    if len(first.calls) != len(second.calls):
        raise PluginCheckError(
            f"plugin {name!r} keeps state across runs: its hooks were called "
            f"{len(first.calls)} times in the first run and {len(second.calls)} in an "
            f"identical second run; {fix}"
        )
    for key in sorted(set(first.state) | set(second.state)):
        if first.state.get(key) != second.state.get(key):
            raise PluginCheckError(
                f"plugin {name!r} keeps state across runs: attribute {key!r} was "
                f"{_clip(first.state.get(key))} after the first run and "
                f"{_clip(second.state.get(key))} after an identical second run; {fix}"
            )


def _clip(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


#: The checks in the order they run: three static checks, then three run checks.
CHECKS: tuple[Check, ...] = (
    check_hooks_exist,
    check_argument_names,
    check_no_defaults,
    check_return_kinds,
    check_saved_run_reloads,
    check_state_resets,
)


def plugin_checks(plugin: Any, name: str | None = None) -> Iterator[Check]:
    """Each check bound to `name`, ready to be called with the plugin: `check(plugin)`."""
    for check in CHECKS:
        yield functools.partial(check, name=name) if name else check


def check_plugin(plugin: Any, name: str | None = None) -> None:
    """Run every check on `plugin`; raise `PluginCheckError` listing every rule it breaks.

    The run checks are skipped while a static check fails: the plugin manager would refuse
    the plugin anyway.
    """
    for group in (CHECKS[:3], CHECKS[3:]):
        failures = []
        for check in group:
            try:
                check(plugin, name)
            except PluginCheckError as exc:
                failures.append(f"{check.__name__}: {exc}")
        _fail_on(failures)


def _check_id(check: Check) -> str:
    return getattr(check, "func", check).__name__


def parametrize_with_checks(plugins: Iterable[Any]) -> Any:
    """A `pytest.mark.parametrize` over `(plugin, check)`, one test id per plugin and check.

    Items of `plugins` are plugin objects or `(name, plugin)` pairs.

    Example:
        @parametrize_with_checks([my_plugin])
        def test_my_plugin(plugin, check):
            check(plugin)
    """
    import pytest

    params = []
    for item in plugins:
        name, plugin = item if isinstance(item, tuple) else (None, item)
        label = _name(plugin, name)
        params += [
            pytest.param(plugin, check, id=f"{label}-{_check_id(check)}")
            for check in plugin_checks(plugin, name)
        ]
    return pytest.mark.parametrize("plugin, check", params)
