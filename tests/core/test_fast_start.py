"""`import kerasplug`, `kerasplug --help` and `kerasplug plugins` stay fast: no heavy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "keras", "shap", "lime", "sklearn", "pandas")

PROBE = """
import sys, contextlib, io
import kerasplug
from kerasplug import cli
with contextlib.redirect_stdout(io.StringIO()):
    for argv in ({argvs}):
        try:
            cli.main(argv)
        except SystemExit:
            pass
print(",".join(sorted(m for m in {heavy} if m in sys.modules)))
"""


@pytest.mark.parametrize(
    "argvs",
    [["--help"], ["plugins"], ["plugins", "--all", "--json"], ["run", "--help"]],
    ids=["help", "plugins", "plugins-all", "run-help"],
)
def test_no_heavy_module_is_imported(argvs):
    code = PROBE.format(argvs=repr(argvs) + ",", heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
