"""`kerasplug run CONFIG`: train, evaluate and explain."""

from __future__ import annotations

import argparse

from kerasplug.commands import plugin_args, warn_unknown_disabled

NAME = "run"
HELP = "train, evaluate and explain from a config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the TOML config file")
    parser.add_argument(
        "--run-dir", help="the run directory (default: run.output_dir/<name>-<time>)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config key (repeatable); the value is read as TOML",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing run directory at --run-dir"
    )


def main(args: argparse.Namespace) -> int:
    from kerasplug.trainer import Trainer

    trainer = Trainer(
        args.config,
        overrides=args.set,
        run_dir=args.run_dir,
        overwrite=args.overwrite,
        **plugin_args(args),
    )
    warn_unknown_disabled(trainer.pm)
    trainer.run()
    return 0
