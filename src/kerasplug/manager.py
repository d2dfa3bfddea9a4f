"""The plugin manager: built-ins, entry points, local modules, disabling, tracing.

Plugins are registered under one name, and that name is the one `kerasplug plugins` shows and
`-p no:NAME` / `KERASPLUG_DISABLE_PLUGINS` accept:
- core built-ins by their short name (`terminal`);
- entry points of the group `kerasplug` by the entry point's name (the shipped housing plugins
  are entry points of kerasplug's own distribution and count as built-ins);
- local modules (`-p my_plugins`, config `plugins = [...]`) by the module name.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from kerasplug import hookspecs
from kerasplug.errors import PluginLoadError

PROJECT = "kerasplug"
DISTRIBUTION = "kerasplug"
ENTRY_POINT_GROUP = "kerasplug"

#: Core plugins, registered before anything else: (name, module).
BUILTIN_MODULES: tuple[tuple[str, str], ...] = (("terminal", "kerasplug.terminal"),)

hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass
class PluginInfo:
    """What `kerasplug plugins` shows about one registered plugin."""

    name: str
    version: str
    distribution: str
    builtin: bool
    hooks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "builtin": self.builtin,
            "hooks": self.hooks,
        }


def known_hooks() -> dict[str, inspect.Signature]:
    """Every hook of the contract and its signature."""
    return {
        name: inspect.signature(func)
        for name, func in vars(hookspecs).items()
        if inspect.isfunction(func) and hasattr(func, f"{PROJECT}_spec")
    }


def _implementations(plugin: object) -> dict[str, Any]:
    """The attributes of `plugin` marked with `@hookimpl`, by hook name."""
    found = {}
    for attr in dir(plugin):
        value = getattr(plugin, attr, None)
        opts = getattr(value, f"{PROJECT}_impl", None)
        if opts is not None:
            found[opts.get("specname") or attr] = value
    return found


def hook_problems(plugin: object, name: str) -> list[str]:
    """Ways in which `plugin`'s hook implementations break the contract, one line each.

    Checked: every marked function names a hook that exists, takes only arguments that the
    hook passes, and gives none of them a default value (pluggy would never fill it).
    """
    specs = known_hooks()
    problems = []
    for hook, func in sorted(_implementations(plugin).items()):
        if hook not in specs:
            near = difflib.get_close_matches(hook, specs, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problems.append(f"plugin {name!r} implements unknown hook {hook!r}{hint}")
            continue
        allowed = list(specs[hook].parameters)
        for param in inspect.signature(func).parameters.values():
            if param.name == "self":
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                problems.append(
                    f"plugin {name!r} hook {hook!r}: *{param.name} is not allowed; name the "
                    f"arguments you need from {allowed}"
                )
            elif param.name not in allowed:
                problems.append(
                    f"plugin {name!r} hook {hook!r}: unknown argument {param.name!r}; "
                    f"the hook passes {allowed}"
                )
            elif param.default is not param.empty:
                problems.append(
                    f"plugin {name!r} hook {hook!r}: argument {param.name!r} has a default "
                    "value, which pluggy never fills; remove the default"
                )
    return problems


class PluginManager(pluggy.PluginManager):
    """pluggy's manager with kerasplug's loading, naming and reporting rules."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}
        self.load_errors: list[str] = []
        self._disabled_requested: set[str] = set()

    # --- registration ---

    def register_plugin(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str = "",
        version: str = "",
        builtin: bool = False,
    ) -> None:
        """Register `plugin` under `name` after checking it against the hook contract."""
        if inspect.isclass(plugin):
            raise PluginLoadError(
                f"plugin {name!r} is the class {plugin.__name__}, not an instance: "
                f"have you forgotten the `()`? register {plugin.__name__}()"
            )
        if self.is_blocked(name) or name in self.info:
            return
        problems = hook_problems(plugin, name)
        if problems:
            raise PluginLoadError(problems[0])
        try:
            self.register(plugin, name=name)
        except ValueError as exc:
            raise PluginLoadError(f"plugin {name!r} could not be registered: {exc}") from None
        except pluggy.PluginValidationError as exc:
            first = str(exc).strip().splitlines()[0]
            raise PluginLoadError(f"plugin {name!r} breaks the hook contract: {first}") from None
        self.info[name] = PluginInfo(
            name, version, distribution, builtin, sorted(_implementations(plugin))
        )

    def unregister_plugin(self, name: str) -> None:
        """Unregister the plugin named `name` (no error if it is not registered)."""
        if self.get_plugin(name) is not None:
            self.unregister(name=name)
        self.info.pop(name, None)

    def disable(self, names: Iterable[str]) -> None:
        """Block plugins by name before loading, so they are neither imported nor called."""
        for name in names:
            name = name.strip()
            if name:
                self._disabled_requested.add(name)
                if self.get_plugin(name) is not None:
                    self.unregister_plugin(name)
                self.set_blocked(name)

    def load_builtins(self) -> None:
        """Register the core's own plugins."""
        for name, module in BUILTIN_MODULES:
            if not self.is_blocked(name):
                self.register_plugin(
                    importlib.import_module(module),
                    name,
                    distribution=DISTRIBUTION,
                    version=_version(DISTRIBUTION),
                    builtin=True,
                )

    def load_entry_points(self, *, third_party: bool = True) -> None:
        """Register entry points of group `kerasplug`; kerasplug's own ones are built-ins.

        A third-party plugin that fails to import or register is reported in
        `self.load_errors` (and on stderr by the caller) and skipped; the others still load.
        With `third_party=False` only kerasplug's own entry points load (used by tests).
        """
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else "?"
            version = ep.dist.version if ep.dist is not None else ""
            builtin = _normalise(dist) == DISTRIBUTION
            if (not builtin and not third_party) or self.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
                self.register_plugin(
                    plugin, ep.name, distribution=dist, version=version, builtin=builtin
                )
            except Exception as exc:
                if builtin:
                    raise
                detail = str(exc).splitlines()[0] if str(exc) else ""
                self.load_errors.append(
                    f"plugin {ep.name!r} from distribution {dist} {version} failed to load and "
                    f"was skipped: {type(exc).__name__}: {detail} "
                    f"(disable it with -p no:{ep.name})"
                )

    def load_local(self, specs: Iterable[str], search_dirs: Iterable[Path] = ()) -> None:
        """Register local plugins named by module (`pkg.mod`) or file path (`dir/mod.py`).

        A local plugin that cannot be imported is an error: the user asked for it.
        """
        for spec in specs:
            if spec.startswith("no:"):
                continue
            module = _import_local(spec, search_dirs)
            self.register_plugin(module, _local_name(spec), distribution="(local)")

    def check(self) -> None:
        """Fail with one line if any registered implementation has no hook in the contract."""
        try:
            self.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(str(exc).strip().splitlines()[0]) from None

    def disabled_own_plugins(self) -> list[tuple[str, Any]]:
        """(name, plugin) of kerasplug's own plugins that are disabled, imported only to read
        what they declare: their code is ours. A disabled third-party plugin is never imported."""
        found = [(n, importlib.import_module(m)) for n, m in BUILTIN_MODULES if self.is_blocked(n)]
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            own = ep.dist is not None and _normalise(ep.dist.name) == DISTRIBUTION
            if own and self.is_blocked(ep.name):
                try:
                    found.append((ep.name, ep.load()))
                except Exception:  # an optional dependency may be missing: say nothing of it
                    continue
        return found

    def unknown_disabled(self) -> list[str]:
        """Names given to `-p no:` that match no plugin that exists."""
        seen = set(self.info) | {n for n, _ in BUILTIN_MODULES}
        seen |= {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
        return sorted(self._disabled_requested - seen)

    def plugin_infos(self, *, include_builtin: bool = True) -> list[PluginInfo]:
        """Registered plugins in registration order."""
        return [i for i in self.info.values() if include_builtin or not i.builtin]

    def implements(self, hook: str) -> bool:
        """Whether any registered plugin implements `hook`."""
        return bool(getattr(self.hook, hook).get_hookimpls())

    def plugin_of(self, frame_code: Any) -> tuple[str, str] | None:
        """The (plugin, hook) whose implementation has this code object, if any."""
        for hook_name in known_hooks():
            for impl in getattr(self.hook, hook_name).get_hookimpls():
                func = getattr(impl.function, "__wrapped__", impl.function)
                if getattr(func, "__code__", None) is frame_code:
                    return impl.plugin_name, hook_name
        return None

    # --- tracing ---

    def enable_tracing(self, stream: Any = None) -> None:
        """Print each hook implementation call: hook, plugin, duration and result type."""
        out = stream or sys.stderr
        for hook_name in known_hooks():
            for impl in getattr(self.hook, hook_name).get_hookimpls():
                if impl.hookwrapper or impl.wrapper or hasattr(impl.function, "__wrapped__"):
                    continue
                impl.function = _traced(impl.function, hook_name, impl.plugin_name, out)


def _traced(func: Any, hook: str, plugin: str, out: Any) -> Any:
    def traced(*args: Any) -> Any:
        start = time.perf_counter()
        result = func(*args)
        ms = (time.perf_counter() - start) * 1000
        print(
            f"[trace] {hook} <- {plugin} {ms:.2f} ms -> {type(result).__name__}",
            file=out,
            flush=True,
        )
        return result

    traced.__wrapped__ = func  # type: ignore[attr-defined]
    return traced


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _normalise(dist: str) -> str:
    return dist.lower().replace("_", "-")


def _local_name(spec: str) -> str:
    return Path(spec).stem if spec.endswith(".py") else spec


def _import_local(spec: str, search_dirs: Iterable[Path]) -> Any:
    try:
        if spec.endswith(".py") or os.sep in spec or "/" in spec:
            path = Path(spec)
            if not path.is_file():
                raise PluginLoadError(f"plugin file {spec!r} does not exist; check the path")
            name = path.stem
            module_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(module_spec)  # type: ignore[arg-type]
            sys.modules[name] = module
            module_spec.loader.exec_module(module)  # type: ignore[union-attr]
            return module
        for folder in [Path.cwd(), *search_dirs]:
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
        return importlib.import_module(spec)
    except PluginLoadError:
        raise
    except Exception as exc:
        raise PluginLoadError(
            f"plugin module {spec!r} could not be imported: {type(exc).__name__}: {exc} "
            "(is it on the Python path, or pass it as a file: -p path/to/plugin.py)"
        ) from None


def disabled_from_env() -> list[str]:
    """Plugin names listed in `KERASPLUG_DISABLE_PLUGINS` (comma-separated)."""
    return [
        n.strip() for n in os.environ.get("KERASPLUG_DISABLE_PLUGINS", "").split(",") if n.strip()
    ]


def create_manager(
    *,
    plugins: Iterable[Any] = (),
    local: Iterable[str] = (),
    disable: Iterable[str] = (),
    third_party: bool = True,
    search_dirs: Iterable[Path] = (),
    trace: bool | None = None,
) -> PluginManager:
    """Build a manager: disable first, then built-ins, entry points, local and given plugins.

    Args:
        plugins: plugin objects (modules or instances) to register last, by their `__name__`
            or class name, or `(name, plugin)` pairs.
        local: module names or file paths of local plugins (`-p` and config `plugins`).
        disable: plugin names to block (`-p no:NAME`), added to `KERASPLUG_DISABLE_PLUGINS`.
        third_party: whether to load entry points of other distributions.
        search_dirs: extra folders to import local plugin modules from.
        trace: print hook calls; `None` reads `KERASPLUG_TRACE`.
    """
    pm = PluginManager()
    pm.disable([*disabled_from_env(), *disable])
    pm.load_builtins()
    pm.load_entry_points(third_party=third_party)
    pm.load_local(local, search_dirs)
    for item in plugins:
        name, plugin = item if isinstance(item, tuple) else (_object_name(item), item)
        pm.register_plugin(plugin, name, distribution="(api)")
    pm.check()
    if trace if trace is not None else os.environ.get("KERASPLUG_TRACE", "") not in ("", "0"):
        pm.enable_tracing()
    return pm


def _object_name(plugin: Any) -> str:
    if inspect.ismodule(plugin):
        return plugin.__name__
    return getattr(plugin, "name", None) or type(plugin).__name__
