"""Watching one plugin through a tiny training: what each of its hooks returned, and its state.

Each of the plugin's hook implementations is wrapped in the run's own plugin manager (the
plugin object itself is untouched). pluggy's `add_hookcall_monitoring` would only show the
combined result of a hook, and a collection hook's combined list drops `None` answers, so
an answer could not be told apart from another plugin's.
"""

from __future__ import annotations

import dataclasses
import inspect
import numbers
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerasplug.manager import known_hooks
from kerasplug.testing.kinds import KINDS, is_lifecycle, kind_problem
from kerasplug.testing.tiny import isolated_manager, tiny_trainer


@dataclass
class Observation:
    """What a plugin did in one tiny training."""

    calls: list[tuple[str, Any]] = field(default_factory=list)  # (hook, fingerprint of answer)
    kind_problems: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # fingerprint of the plugin's attributes
    reload_error: str | None = None
    error: str | None = None


def observe(plugin: Any, name: str) -> Observation:
    """Run the tiny training once with `plugin` registered as `name` and record what it did."""
    from kerasplug import artifacts

    seen = Observation()
    pm = isolated_manager((name, plugin))
    for hook in known_hooks():
        for impl in getattr(pm.hook, hook).get_hookimpls():
            if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                impl.function = _recording(impl.function, hook, seen)
    with tempfile.TemporaryDirectory(prefix="kerasplug-check-") as tmp:
        try:
            trainer = tiny_trainer(run_dir=Path(tmp) / "run", pm=pm)
            trainer.run()
            run = trainer.context
            trusted = artifacts.plugin_trusted_types(pm, run)
            try:
                artifacts.load_preprocessing(run.dir / artifacts.PREPROCESSING_FILE, trusted)
            except Exception as exc:
                seen.reload_error = f"{type(exc).__name__}: {exc}"
            if any(i.plugin is plugin for i in pm.hook.extract_features.get_hookimpls()):
                pm.hook.extract_features(
                    run=run, model=run.model, x=run.parts["train"].x, layers=[]
                )
        except Exception as exc:
            seen.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    seen.state = state_of(plugin)
    return seen


def _recording(func: Any, hook: str, seen: Observation) -> Any:
    def recording(*args: Any) -> Any:
        result = func(*args)
        if is_lifecycle(hook) or hook in KINDS:
            problem = kind_problem(hook, result)
            if problem is not None:
                seen.kind_problems.append(f"{hook} {problem}")
        seen.calls.append((hook, fingerprint(result)))
        return result

    recording.__wrapped__ = func  # type: ignore[attr-defined]
    return recording


def state_of(plugin: Any) -> dict[str, Any]:
    """A comparable summary of the plugin's data attributes (instance or module globals)."""
    items = vars(plugin).items() if hasattr(plugin, "__dict__") else ()
    return {
        key: fingerprint(value)
        for key, value in items
        if not key.startswith("__")
        and not (inspect.ismodule(value) or inspect.isclass(value) or callable(value))
    }


def fingerprint(value: Any, depth: int = 0) -> Any:
    """A comparable summary of `value`: exact for plain data, floats to 6 significant digits,
    shapes for arrays and frames, the type name for other objects."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, numbers.Real):
        return float(f"{float(value):.6g}")
    if depth > 4:
        return type(value).__name__
    if isinstance(value, dict):
        return {str(k): fingerprint(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [fingerprint(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(repr(fingerprint(v, depth + 1)) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: fingerprint(getattr(value, f.name), depth + 1)
            for f in dataclasses.fields(value)
        }
        return {type(value).__name__: fields}
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        return {type(value).__name__: list(shape)}
    return type(value).__name__
