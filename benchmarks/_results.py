"""Write a benchmark's section of benchmarks/RESULTS.md (replacing its previous figures).

Set KERASPLUG_RESULTS to another file to keep a trial run's figures out of RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import re
from datetime import date
from pathlib import Path

RESULTS = Path(os.environ.get("KERASPLUG_RESULTS") or Path(__file__).with_name("RESULTS.md"))
HEADER = (
    "# Benchmark results\n\nEach section is written by the command it names; rerun it to refresh.\n"
)


def machine() -> str:
    """The processor and the cores this process may use, e.g. "Intel(R) Xeon(R) Processor, 2
    cores" (the model name from /proc/cpuinfo where there is one)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores"


def write_section(name: str, command: str, body: str) -> None:
    """Replace (or add) the section `name` of RESULTS.md with `body` and its command."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    section = (
        f"<!-- {name}:start -->\n## {name}\n\n"
        f"Command: `{command}`  \n"
        f"Measured {date.today().isoformat()} on {platform.machine()} ({machine()}; "
        f"{platform.python_implementation()} {platform.python_version()}).\n\n"
        f"{body.strip()}\n<!-- {name}:end -->\n"
    )
    pattern = re.compile(
        rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->\n", re.S
    )
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text + "\n" + section
    RESULTS.write_text(text, encoding="utf-8")
