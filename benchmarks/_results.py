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


def write_section(name: str, command: str, body: str) -> None:
    """Replace (or add) the section `name` of RESULTS.md with `body` and its command."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    section = (
        f"<!-- {name}:start -->\n## {name}\n\n"
        f"Command: `{command}`  \n"
        f"Measured {date.today().isoformat()} on {platform.machine()} "
        f"({platform.python_implementation()} {platform.python_version()}).\n\n"
        f"{body.strip()}\n<!-- {name}:end -->\n"
    )
    pattern = re.compile(
        rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->\n", re.S
    )
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text + "\n" + section
    RESULTS.write_text(text, encoding="utf-8")
