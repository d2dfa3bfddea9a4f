"""Exploratory report speed: `housing.eda` on the raw Ames table (2930 x 82, text and gaps).

    python benchmarks/eda.py [--repeats 3]

Target: under 5 s. Each repeat writes the whole `eda/` folder (statistics, heatmap, target
histogram, Markdown summary) into a fresh temporary run directory.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    from kerasplug_housing import eda
    from kerasplug_housing.data import load_ames_frame

    from kerasplug import RunContext
    from kerasplug.rundir import RunDir

    frame = load_ames_frame()
    config = {"eda": {k: o.default for k, o in eda.config_sections()["eda"].items()}}
    seconds = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            run = RunContext(config=config, pm=None, dir=RunDir(tmp))
            start = time.perf_counter()
            eda.write_report(run, frame, "price")
            seconds.append(time.perf_counter() - start)
    body = (
        f"Ames (openintro), {frame.shape[0]} rows x {frame.shape[1]} columns, default `[eda]`. "
        "Target: under 5 s.\n\n"
        "| measure | seconds |\n| --- | --- |\n"
        f"| median of {args.repeats} | {statistics.median(seconds):.2f} |\n"
        f"| each | {', '.join(f'{s:.2f}' for s in seconds)} |\n"
    )
    print(body)
    write_section("Exploratory report", "python benchmarks/eda.py", body)


if __name__ == "__main__":
    main()
