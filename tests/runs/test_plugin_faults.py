"""A plugin that raises inside a hook: one line naming it, exit code 1, the run marked failed."""

from __future__ import annotations

import json

from kerasplug.cli import main as cli_main
from tests.runs.conftest import slow_plugins

FAULTY = """
from pathlib import Path

from kerasplug import hookimpl


@hookimpl
def on_epoch_end(epoch):
    if epoch == 1:
        raise ValueError("boom")


@hookimpl
def on_run_error(run, error):
    Path(run.dir, "cleaned-up.txt").write_text(str(error))
"""


def test_a_fault_inside_training_names_plugin_and_hook_and_debug_shows_the_traceback(
    tmp_path, capsys
):
    (tmp_path / "faulty.py").write_text(FAULTY)
    (tmp_path / "config.toml").write_text('[data]\ntarget = "MEDV"\n[train]\nepochs = 3\n')
    disable = [a for name in slow_plugins() for a in ("-p", f"no:{name}")]
    line = "kerasplug: error: plugin 'faulty' failed in hook 'on_epoch_end': ValueError: boom"
    for debug in ([], ["--debug"]):
        run_dir = tmp_path / f"run{len(debug)}"
        args = ["run", str(tmp_path / "config.toml"), "--run-dir", str(run_dir)]
        code = cli_main([*args, "-p", str(tmp_path / "faulty.py"), *disable, *debug])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1
        assert err[-1] == line
        assert ("Traceback (most recent call last):" in err) == bool(debug)
        if not debug:
            assert err == [line]
        status = json.loads((run_dir / "status.json").read_text())
        assert status == {"status": "failed", "error": line.removeprefix("kerasplug: error: ")}
        log = (run_dir / "run.log").read_text()
        assert "Traceback (most recent call last):" in log and "ValueError: boom" in log
        assert (run_dir / "cleaned-up.txt").read_text() == line.removeprefix("kerasplug: error: ")
