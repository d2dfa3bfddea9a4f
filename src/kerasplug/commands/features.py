"""`kerasplug features RUN_DIR DATA.csv`: activations of intermediate layers for raw rows."""

from __future__ import annotations

import argparse
import sys

from kerasplug.commands import add_trust_option, plugin_args, warn_unknown_disabled

NAME = "features"
HELP = "write the activations of a trained run's layers for the rows of a CSV file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="the run directory of a completed run")
    parser.add_argument("data", help="CSV file of raw rows with the run's feature columns")
    parser.add_argument(
        "--layer",
        action="append",
        default=[],
        metavar="NAME",
        help="a layer to read (repeatable); default: every layer",
    )
    parser.add_argument("-o", "--output", required=True, help="the CSV file to write")
    add_trust_option(parser)


def main(args: argparse.Namespace) -> int:
    from kerasplug.commands.predict import read_rows
    from kerasplug.runs import load_run

    frame = read_rows(args.data)
    run = load_run(args.run_dir, trust=args.trust, out=sys.stderr, **plugin_args(args))
    warn_unknown_disabled(run.pm)
    features = run.features(frame, args.layer)
    features.to_csv(args.output, index=False)
    print(
        f"wrote {features.shape[0]} rows x {features.shape[1]} features to {args.output}",
        file=sys.stderr,
    )
    return 0
