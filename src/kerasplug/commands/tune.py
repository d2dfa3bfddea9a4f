"""`kerasplug tune CONFIG`: search hyperparameters as `[tune]` says; each trial is a run.

With `--chief`, `--worker` or `--workers` (or Keras Tuner's KERASTUNER_* variables) the trials
spread over several processes or machines: see `kerasplug.distributed_tuning`.
"""

from __future__ import annotations

import argparse
import os

from kerasplug.commands import add_set_option, plugin_args, warn_unknown_disabled
from kerasplug.errors import UsageError

NAME = "tune"
HELP = "search hyperparameters as the config's [tune] section says; write the best config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the TOML config file, with a [tune] section")
    parser.add_argument(
        "--run-dir",
        help="the tuning directory (default: run.output_dir/<name>-tune-<time>); for a "
        "--worker, where its trials go when it cannot see the chief's tuning directory",
    )
    add_set_option(parser)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing tuning directory at --run-dir",
    )
    role = parser.add_mutually_exclusive_group()
    role.add_argument(
        "--chief",
        metavar="HOST:PORT",
        help="serve the search at HOST:PORT (port 0: a free one) for workers to join; this "
        "process runs trials too and writes the summary",
    )
    role.add_argument(
        "--worker",
        metavar="HOST:PORT",
        help="join the search a chief serves at HOST:PORT and run its trials",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="run N trials at a time on this machine: the chief and N-1 worker processes it "
        "starts (with --chief, remote workers may join as well)",
    )
    parser.add_argument(
        "--join-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long a worker waits for the chief to answer, and a chief for the workers it "
        "starts to join (default: 120)",
    )


def main(args: argparse.Namespace) -> int:
    from kerasplug.trainer import Trainer

    role, address = _role(args)
    base = Trainer(args.config, overrides=args.set, **plugin_args(args))
    warn_unknown_disabled(base.pm)
    if role is None:
        from kerasplug.tuning import Search

        Search(base, run_dir=args.run_dir, overwrite=args.overwrite).run()
        return 0

    from kerasplug import distributed_tuning

    if role == "worker":
        distributed_tuning.work(base, address, run_dir=args.run_dir, join_timeout=args.join_timeout)
        return 0
    distributed_tuning.ChiefSearch(
        base,
        address=address,
        local_workers=(args.workers or 1) - 1,
        worker_args=[
            args.config,
            *(f"--set={value}" for value in args.set),
            *(f"-p={plugin}" for plugin in args.plugin or []),
        ],
        join_timeout=args.join_timeout,
        run_dir=args.run_dir,
        overwrite=args.overwrite,
    ).run()
    return 0


def _role(args: argparse.Namespace) -> tuple[str | None, str]:
    """This process's part in the search ('chief', 'worker' or None) and the chief's address."""
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: give at least 1")
    if args.join_timeout <= 0:
        raise UsageError(f"--join-timeout {args.join_timeout:g}: give a number of seconds > 0")
    if args.worker is not None:
        if args.workers is not None or args.overwrite:
            raise UsageError(
                "--workers and --overwrite are the chief's options; a --worker takes neither"
            )
        return "worker", args.worker
    if args.chief is not None or args.workers is not None:
        return "chief", args.chief or "127.0.0.1:0"
    return _role_from_keras_tuner_env()


def _role_from_keras_tuner_env() -> tuple[str | None, str]:
    """Keras Tuner's variables: a KERASTUNER_TUNER_ID with 'chief' in it serves the search.

    A worker's KERASTUNER_TUNER_ID is its name (`distributed_tuning.default_worker_name`).
    """
    ip = os.environ.get("KERASTUNER_ORACLE_IP")
    if not ip:
        return None, ""
    port = os.environ.get("KERASTUNER_ORACLE_PORT")
    tuner = os.environ.get("KERASTUNER_TUNER_ID")
    if not port or not tuner:
        raise UsageError(
            "KERASTUNER_ORACLE_IP is set but KERASTUNER_ORACLE_PORT or KERASTUNER_TUNER_ID is "
            "not; set all three (Keras Tuner's chief/worker variables) or none"
        )
    address = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
    return ("chief" if "chief" in tuner else "worker"), address
