"""`kerasplug run CONFIG`: train, evaluate and explain."""

from __future__ import annotations

import argparse

from kerasplug.commands import add_set_option, plugin_args, warn_unknown_disabled

NAME = "run"
HELP = "train, evaluate and explain from a config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the TOML config file")
    parser.add_argument(
        "--run-dir", help="the run directory (default: run.output_dir/<name>-<time>)"
    )
    add_set_option(parser)
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing run directory at --run-dir"
    )
    parser.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue an interrupted run from its last finished epoch (same config and --set)",
    )
    parser.add_argument(
        "--tensorboard",
        action="store_true",
        help="start TensorBoard on 127.0.0.1 over the run directory while it trains",
    )
    parser.add_argument(
        "--keep-tensorboard",
        action="store_true",
        help="with --tensorboard: keep serving after the run ends, until Ctrl-C",
    )


def main(args: argparse.Namespace) -> int:
    from kerasplug.commands.tensorboard import live_tensorboard
    from kerasplug.trainer import Trainer

    live = live_tensorboard(args.tensorboard, args.keep_tensorboard)
    trainer = Trainer(
        args.config,
        overrides=args.set,
        run_dir=args.run_dir,
        overwrite=args.overwrite,
        resume=args.resume,
        plugins=live.plugins(),
        **plugin_args(args),
    )
    warn_unknown_disabled(trainer.pm)
    live.run(trainer)
    return live.after_run()
