"""The `kerasplug` command line.

Exit codes: 0 success, 1 a plugin failed, 2 bad input (config, data, arguments). Errors are
one line; `--debug` shows the traceback. `--help` and `plugins` do not import TensorFlow.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from kerasplug import __version__
from kerasplug.commands import MODULES
from kerasplug.errors import KerasplugError


def _common(default: object) -> argparse.ArgumentParser:
    """Options accepted before and after the subcommand (`kerasplug -p x run` and `run -p x`)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-p",
        dest="plugin",
        action="append",
        metavar="PLUGIN",
        default=default if default is argparse.SUPPRESS else [],
        help="load a local plugin (module name or .py path); -p no:NAME disables plugin NAME",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=default if default is argparse.SUPPRESS else False,
        help="show tracebacks of errors",
    )
    return common


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    common = _common(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="kerasplug",
        description="Keras training where every stage is a plugin hook.",
        parents=[_common(None)],
    )
    parser.add_argument("--version", action="version", version=f"kerasplug {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = {}
    for name in MODULES:
        module = importlib.import_module(f"kerasplug.commands.{name}")
        command = sub.add_parser(
            module.NAME, parents=[common], help=module.HELP, description=module.HELP
        )
        module.add_arguments(command)
        commands[module.NAME] = module
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return commands[args.command].main(args)
    except KerasplugError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"kerasplug: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kerasplug: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
