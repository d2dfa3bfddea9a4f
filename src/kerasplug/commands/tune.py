"""`kerasplug tune CONFIG`: search hyperparameters as `[tune]` says; each trial is a run."""

from __future__ import annotations

import argparse

from kerasplug.commands import add_set_option, plugin_args, warn_unknown_disabled

NAME = "tune"
HELP = "search hyperparameters as the config's [tune] section says; write the best config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the TOML config file, with a [tune] section")
    parser.add_argument(
        "--run-dir",
        help="the tuning directory (default: run.output_dir/<name>-tune-<time>)",
    )
    add_set_option(parser)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing tuning directory at --run-dir",
    )


def main(args: argparse.Namespace) -> int:
    from kerasplug.trainer import Trainer
    from kerasplug.tuning import Search

    base = Trainer(args.config, overrides=args.set, **plugin_args(args))
    warn_unknown_disabled(base.pm)
    Search(base, run_dir=args.run_dir, overwrite=args.overwrite).run()
    return 0
