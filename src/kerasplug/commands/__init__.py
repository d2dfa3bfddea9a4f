"""One module per `kerasplug` subcommand.

Each module defines `NAME`, `HELP`, `add_arguments(parser)` and `main(args) -> int`, and imports
nothing heavy at module level (TensorFlow, pandas, scikit-learn load inside `main`), so that
`kerasplug --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: Subcommand modules, in the order `kerasplug --help` lists them.
MODULES: tuple[str, ...] = (
    "run",
    "tune",
    "predict",
    "explain",
    "plugins",
    "features",
    "summary",
    "tensorboard",
    "new_plugin",
)


def plugin_args(args: argparse.Namespace) -> dict[str, list[str]]:
    """Split `-p` values into local plugins and disabled plugin names (`no:NAME`)."""
    given = getattr(args, "plugin", None) or []
    return {
        "local_plugins": [p for p in given if not p.startswith("no:")],
        "disable": [p[3:] for p in given if p.startswith("no:")],
    }


def warn_unknown_disabled(pm: Any) -> None:
    """Warn about `-p no:NAME` names that match no plugin."""
    for name in pm.unknown_disabled():
        print(
            f"warning: -p no:{name}: no plugin is named {name!r}; see `kerasplug plugins --all`",
            file=sys.stderr,
        )


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """`--set SECTION.KEY=VALUE`, repeatable: config overrides read as TOML."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config key (repeatable); the value is read as TOML",
    )


def add_trust_option(parser: argparse.ArgumentParser) -> None:
    """`--trust TYPE`, repeatable: extra classes to accept when loading preprocessing.skops."""
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="TYPE",
        help="trust this class in preprocessing.skops (repeatable); only for runs you trust",
    )
