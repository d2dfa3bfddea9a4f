"""TOML config: declared sections, type checking, `--set` overrides, the resolved config.

The core and every plugin declare their sections through the `config_sections` hook as
`{section: {key: Option(...)}}`. A user's file may only use declared keys; every value is
checked against its declaration and every error names the dotted key, the bad value and what
was expected.
"""

from __future__ import annotations

import copy
import difflib
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from kerasplug.errors import ConfigError

#: Top-level keys that are not sections.
TOP_LEVEL = {"plugins"}


@dataclass(frozen=True)
class Option:
    """The declaration of one config key.

    Args:
        default: the value used when the config file does not set the key.
        type: the expected Python type, or a tuple of types (`int` is accepted where `float`
            is expected; `bool` is never accepted as a number).
        help: one line for `docs/config.md` and error messages.
        choices: the allowed values, if the key is an enumeration.
        min: the smallest allowed number.
        max: the largest allowed number.
        item: for `list` options, the type of each item.
        nullable: whether `None` (an absent value in TOML terms) is allowed; a default of
            `None` implies it.
    """

    default: Any
    type: type | tuple[type, ...]
    help: str = ""
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    item: type | tuple[type, ...] | None = None
    nullable: bool = False

    def check(self, key: str, value: Any) -> Any:
        """Return `value` converted to the declared type, or raise `ConfigError`."""
        if value is None and (self.nullable or self.default is None):
            return None
        value = _coerce(key, value, self.type, self.expected())
        if self.item is not None:
            value = [
                _coerce(f"{key}[{i}]", v, self.item, _name(self.item)) for i, v in enumerate(value)
            ]
        if self.choices is not None and value not in self.choices:
            raise ConfigError(
                f"{key} = {value!r} is not allowed; choose one of "
                f"{', '.join(repr(c) for c in self.choices)}{_close(value, self.choices)}"
            )
        if self.min is not None and value < self.min:
            raise ConfigError(f"{key} = {value!r} is too small; expected at least {self.min}")
        if self.max is not None and value > self.max:
            raise ConfigError(f"{key} = {value!r} is too large; expected at most {self.max}")
        return value

    def expected(self) -> str:
        """The declared type in words, for error messages."""
        text = _name(self.type)
        if self.item is not None:
            text += f" of {_name(self.item)}"
        return text


class TableList(dict):
    """The declaration of an array-of-tables section (`[[stages]]` in TOML).

    It maps each key of one table to its `Option`, like an ordinary section's declaration; the
    section's value is a list of such tables, each checked and filled in with defaults. The
    section defaults to an empty list and has a single owner.

    Example:
        {"stages": TableList({"name": Option("", str), "epochs": Option(10, int, min=1)})}
    """


def _name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    words = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(words.get(k, k.__name__) for k in kinds)


def _coerce(key: str, value: Any, kind: type | tuple[type, ...], expected: str) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ConfigError(f"{key} = {value!r} has the wrong type; expected {expected}")
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        return value if int in kinds else float(value)
    if not isinstance(value, kinds):
        raise ConfigError(
            f"{key} = {value!r} has the wrong type ({type(value).__name__}); expected {expected}"
        )
    return value


def _close(word: Any, candidates: Iterable[Any]) -> str:
    names = [str(c) for c in candidates]
    matches = difflib.get_close_matches(str(word), names, n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(m) for m in matches)}?)" if matches else ""


Schema = dict[str, dict[str, Option]]


def merge_schemas(declarations: Iterable[tuple[str, Mapping[str, Mapping[str, Option]]]]) -> Schema:
    """Merge `(plugin_name, {section: {key: Option}})` declarations into one schema."""
    schema: Schema = {}
    owners: dict[str, str] = {}
    for plugin, sections in declarations:
        for section, options in (sections or {}).items():
            if isinstance(options, TableList) or isinstance(schema.get(section), TableList):
                if section in schema:
                    raise ConfigError(
                        f"[[{section}]] is declared by both {owners[section]!r} and {plugin!r}; "
                        "an array-of-tables section must have one owner"
                    )
                schema[section] = TableList()
            owners.setdefault(section, plugin)
            target = schema.setdefault(section, {})
            for key, option in options.items():
                dotted = f"{section}.{key}"
                if not isinstance(option, Option):
                    raise ConfigError(
                        f"plugin {plugin!r} declares {dotted} as {option!r}; declare it as "
                        "kerasplug.Option(default, type)"
                    )
                if key in target:
                    raise ConfigError(
                        f"{dotted} is declared by both {owners[dotted]!r} and {plugin!r}; "
                        "each key must have one owner"
                    )
                target[key] = option
                owners[dotted] = plugin
    return schema


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a one-line `ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist; check the path")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(path)!r} is not UTF-8 text") from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse `section.key=value`; the value is read as TOML, or else taken as a string."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r} has no '='; write --set section.key=value")
    dotted, raw = text.split("=", 1)
    path = [part.strip() for part in dotted.strip().split(".")]
    if not all(path):
        raise ConfigError(f"--set {text!r} has an empty key; write --set section.key=value")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return path, value


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of `raw` with each `section.key=value` override applied."""
    result = copy.deepcopy(raw)
    for text in overrides:
        path, value = parse_override(text)
        node = result
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {text!r}: {part!r} is not a section")
            node = child
        node[path[-1]] = value
    return result


def owners(
    declarations: Iterable[tuple[str, Mapping[str, Mapping[str, Option]]]],
) -> dict[str, str]:
    """Map each declared section and dotted key to the plugin that declares it (the first)."""
    found: dict[str, str] = {}
    for plugin, sections in declarations:
        for section, options in (sections or {}).items():
            found.setdefault(section, plugin)
            for key in options:
                found.setdefault(f"{section}.{key}", plugin)
    return found


def resolve(
    raw: Mapping[str, Any], schema: Schema, disabled: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Check `raw` against `schema` and fill in defaults; return the resolved config.

    `disabled` maps the sections and dotted keys that disabled plugins declare (see `owners`)
    to their names, so that a config naming one is told which plugin to enable.
    """
    disabled = disabled or {}

    def not_enabled(name: str, what: str) -> None:
        if name in disabled:
            raise ConfigError(
                f"config {what} belongs to plugin {disabled[name]!r}, which is disabled; "
                f"enable it or remove the {what.split()[0]}"
            )

    unknown = [k for k in raw if k not in schema and k not in TOP_LEVEL]
    if unknown:
        name = unknown[0]
        not_enabled(name, f"section [{name}]")
        raise ConfigError(
            f"unknown config section [{name}]{_close(name, schema)}; known sections: "
            f"{', '.join(sorted(schema))} (a plugin may be missing or disabled)"
        )
    resolved: dict[str, Any] = {}
    for section, options in schema.items():
        if isinstance(options, TableList):
            resolved[section] = _resolve_tables(section, raw.get(section, []), options)
            continue
        given = raw.get(section, {})
        if not isinstance(given, Mapping):
            raise ConfigError(f"{section} = {given!r} must be a table: write [{section}]")
        for key in given:
            if key not in options:
                not_enabled(f"{section}.{key}", f"key {section}.{key}")
                raise ConfigError(
                    f"unknown config key {section}.{key}{_close(key, options)}; "
                    f"keys of [{section}]: {', '.join(sorted(options)) or 'none'} "
                    "(a plugin may be missing or disabled)"
                )
        resolved[section] = _resolve_table(section, given, options)
    plugins = raw.get("plugins", [])
    resolved["plugins"] = Option([], list, item=str).check("plugins", plugins)
    return resolved


def _resolve_table(
    prefix: str, given: Mapping[str, Any], options: Mapping[str, Option]
) -> dict[str, Any]:
    return {
        key: option.check(f"{prefix}.{key}", copy.deepcopy(given[key]))
        if key in given
        else copy.deepcopy(option.default)
        for key, option in options.items()
    }


def _resolve_tables(section: str, given: Any, options: TableList) -> list[dict[str, Any]]:
    """Check each table of an array-of-tables section (`[[section]]`)."""
    if not isinstance(given, list) or not all(isinstance(t, Mapping) for t in given):
        raise ConfigError(
            f"{section} = {given!r} must be an array of tables: write [[{section}]] per entry"
        )
    tables = []
    for i, table in enumerate(given):
        for key in table:
            if key not in options:
                raise ConfigError(
                    f"unknown config key {section}[{i}].{key}{_close(key, options)}; "
                    f"keys of [[{section}]]: {', '.join(sorted(options)) or 'none'}"
                )
        tables.append(_resolve_table(f"{section}[{i}]", table, options))
    return tables


def dumps(config: Mapping[str, Any]) -> str:
    """The resolved config as TOML text (`None` values are left out: TOML has no null)."""
    import tomli_w

    def drop_none(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: drop_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [drop_none(v) for v in value]
        return value

    return tomli_w.dumps(drop_none(config))


def core_sections() -> Schema:
    """The sections the core itself owns."""
    # Imported here because kerasplug.tuning imports this module.
    from kerasplug import tuning

    return {
        "run": {
            "name": Option("run", str, "name of the run; the run directory is <name>-<time>"),
            "seed": Option(42, int, "seed of every random number generator", min=0),
            "output_dir": Option("runs", str, "folder that holds run directories"),
            "deterministic": Option(
                True, bool, "make TensorFlow ops deterministic (same seed, same metrics)"
            ),
            "checkpoint_seconds": Option(
                10.0,
                float,
                "least seconds between checkpoints for --resume (0: after every epoch)",
                min=0.0,
            ),
        },
        "data": {
            "source": Option("boston", str, "where the table comes from (a data plugin's name)"),
            "path": Option("", str, "file to read, for file sources"),
            "target": Option("", str, "target column; empty: the source's default target"),
            "task": Option(
                "auto",
                str,
                "what to predict",
                choices=("auto", "regression", "binary", "multiclass"),
            ),
            "drop": Option([], list, "columns to drop right after loading", item=str),
        },
        "train": {
            "epochs": Option(100, int, "maximum number of epochs", min=1),
            "batch_size": Option(32, int, "examples per gradient step", min=1),
            "learning_rate": Option(1e-3, float, "optimizer learning rate", min=0),
            "verbose": Option(1, int, "0: quiet, 1: one line per epoch", choices=(0, 1)),
        },
        "tune": tuning.options(),
    }
