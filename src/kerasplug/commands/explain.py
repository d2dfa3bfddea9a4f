"""`kerasplug explain RUN_DIR DATA.csv`: explain a saved run's predictions for new rows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kerasplug.commands import add_trust_option, plugin_args, warn_unknown_disabled
from kerasplug.errors import UsageError

NAME = "explain"
HELP = "explain a trained run's predictions for the rows of a CSV file (SHAP, LIME, LRP)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="the run directory of a completed run")
    parser.add_argument("data", help="CSV file of raw rows with the run's feature columns")
    parser.add_argument(
        "--rows", default="", help="rows to explain by position: '0,4,9' or '0:20' (default: all)"
    )
    parser.add_argument(
        "--method",
        action="append",
        default=[],
        metavar="NAME",
        help="an explanation method (repeatable), e.g. shap, lime, lrp; default: the run's",
    )
    parser.add_argument(
        "-o", "--output-dir", help="folder for the attribution CSVs and plots (default: none)"
    )
    parser.add_argument("--top", type=int, default=5, help="features printed per row")
    add_trust_option(parser)


def select_rows(frame: Any, spec: str) -> Any:
    """The rows of `frame` named by position: `"0,4,9"`, `"0:20"` or both mixed."""
    if not spec.strip():
        return frame
    positions: list[int] = []
    try:
        for part in spec.split(","):
            if ":" in part:
                start, stop = (int(p) if p.strip() else None for p in part.split(":", 1))
                positions += list(range(len(frame)))[start:stop]
            else:
                positions.append(int(part))
    except ValueError:
        raise UsageError(
            f"--rows {spec!r} is not a list of positions; write e.g. 0,4,9 or 0:20"
        ) from None
    bad = [p for p in positions if not -len(frame) <= p < len(frame)]
    if bad:
        raise UsageError(f"--rows {bad} are outside the file's {len(frame)} rows (0-based)")
    return frame.iloc[positions]


def main(args: argparse.Namespace) -> int:
    from kerasplug.commands.predict import read_rows
    from kerasplug.runs import load_run

    frame = select_rows(read_rows(args.data), args.rows)
    run = load_run(args.run_dir, trust=args.trust, out=sys.stderr, **plugin_args(args))
    warn_unknown_disabled(run.pm)
    if "explain" in run.config:
        # The rows were chosen on the command line: explain every one of them.
        run.config["explain"]["rows"] = 0
    saved = Path(args.run_dir) / "explanations" / "background.csv"
    background = read_rows(str(saved)) if saved.is_file() else None
    if background is None:
        print("note: the run saved no background; the given rows are their own", file=sys.stderr)
    if args.output_dir:
        Path(args.output_dir).mkdir(parents=True, exist_ok=True)
    explanations = run.explain(
        frame, args.method, background=background, output_dir=args.output_dir
    )
    if not explanations:
        raise UsageError("no plugin explained the rows; enable housing.shap, .lime or .lrp")
    for explanation in explanations:
        print(f"== {explanation.method}")
        prediction = explanation.extras.get("prediction")
        for label, row in explanation.values.iterrows():
            top = row.abs().sort_values(ascending=False).index[: args.top]
            head = f"row {label}"
            if prediction is not None:
                head += f": prediction {prediction[label]:.4g}"
            print(f"{head}  " + ", ".join(f"{name} {row[name]:+.3g}" for name in top))
    if args.output_dir:
        print(f"attributions and plots: {args.output_dir}", file=sys.stderr)
    return 0
