"""`kerasplug plugins`: list installed plugins with their versions and hooks."""

from __future__ import annotations

import argparse
import json
import sys

from kerasplug.commands import plugin_args, warn_unknown_disabled

NAME = "plugins"
HELP = "list the installed plugins and the hooks they implement"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="include the built-in plugins")
    parser.add_argument("--json", action="store_true", help="print JSON")


def main(args: argparse.Namespace) -> int:
    from kerasplug.manager import create_manager

    given = plugin_args(args)
    pm = create_manager(local=given["local_plugins"], disable=given["disable"])
    for problem in pm.load_errors:
        print(f"warning: {problem}", file=sys.stderr)
    warn_unknown_disabled(pm)
    infos = pm.plugin_infos(include_builtin=args.all)
    if args.json:
        print(json.dumps([i.as_dict() for i in infos], indent=2))
        return 0
    if not infos:
        print("no third-party plugins installed (use --all to include the built-ins)")
        return 0
    width = max(len(i.name) for i in infos)
    for info in infos:
        tag = "  (built-in)" if info.builtin else ""
        print(f"{info.name:<{width}}  {info.version:<10} {', '.join(info.hooks)}{tag}")
    return 0
