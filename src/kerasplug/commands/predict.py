"""`kerasplug predict RUN_DIR INPUT.csv -o OUT.csv`: a saved run's predictions for raw rows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kerasplug.commands import add_trust_option, plugin_args, warn_unknown_disabled
from kerasplug.errors import DataError, UsageError

NAME = "predict"
HELP = "predict raw rows of a CSV file with a completed run, in the target's original units"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="the run directory of a completed run")
    parser.add_argument("input", help="CSV file of raw rows with the run's feature columns")
    parser.add_argument("-o", "--output", required=True, help="the CSV file to write")
    add_trust_option(parser)
    parser.add_argument(
        "--unsafe",
        action="store_true",
        help="load a model with Python code and any skops type; only for runs you trust",
    )


def read_rows(path: str) -> Any:
    """Read a CSV of raw rows (pandas reads floats back exactly as they were written)."""
    import pandas as pd

    if not Path(path).is_file():
        raise DataError(f"input file {path!r} does not exist; check the path")
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"input file {path!r} is empty; give a header row and rows") from None
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"input file {path!r} could not be read as CSV: {first}") from None


def main(args: argparse.Namespace) -> int:
    from kerasplug.rundir import RunDir
    from kerasplug.runs import load_run

    output = Path(args.output)
    if not output.parent.is_dir():
        raise UsageError(f"the folder of --output {args.output!r} does not exist; create it first")
    frame = read_rows(args.input)
    run = load_run(
        args.run_dir,
        safe_mode=not args.unsafe,
        trust=args.trust,
        out=sys.stderr,
        **plugin_args(args),
    )
    warn_unknown_disabled(run.pm)
    predictions = run.predict(frame)
    predictions.insert(0, "row", range(len(predictions)))
    try:
        # Atomic, like every artifact: a kill leaves the old file or the new one.
        RunDir(output.parent).write_csv(output.name, predictions, index=False)
    except OSError as exc:
        raise UsageError(
            f"cannot write --output {args.output!r}: {exc.strerror or exc}; choose another file"
        ) from None
    print(f"wrote {len(predictions)} predictions of {run.target!r} to {output}", file=sys.stderr)
    return 0
