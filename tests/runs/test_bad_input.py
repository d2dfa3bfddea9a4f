"""Every bad input gets one line that names the problem and the fix, exit code 2, no traceback."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from kerasplug.cli import main as cli_main
from tests.helpers import run_cli
from tests.runs.conftest import slow_plugins

DISABLE = [a for name in slow_plugins() for a in ("-p", f"no:{name}")]


def table(n=40):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = frame["a"] - frame["b"]
    return frame


def run(tmp_path, capsys, *args, config='[data]\ntarget = "y"\n'):
    """`kerasplug run` in this process; returns the exit code and the standard error lines."""
    path = tmp_path / "config.toml"
    path.write_text(config)
    code = cli_main(["run", str(path), "--run-dir", str(tmp_path / "run"), *DISABLE, *args])
    return code, capsys.readouterr().err.strip().splitlines()


def csv_run(tmp_path, capsys, frame, *args):
    frame.to_csv(tmp_path / "data.csv", index=False)
    return run(
        tmp_path,
        capsys,
        "--set",
        "data.source=csv",
        "--set",
        f"data.path={tmp_path / 'data.csv'}",
        "--set",
        "train.epochs=1",
        *args,
    )


def test_malformed_toml(tmp_path, capsys):
    code, err = run(tmp_path, capsys, config="[train\nepochs = 3\n")
    assert code == 2
    assert err == [
        f"kerasplug: error: config file '{tmp_path / 'config.toml'}' is not valid TOML: "
        "Expected ']' at the end of a table declaration (at line 1, column 7)"
    ]


def test_unknown_key(tmp_path, capsys):
    code, err = run(tmp_path, capsys, config="[train]\nepoch = 3\n")
    assert code == 2
    assert len(err) == 1
    assert err[0].startswith(
        "kerasplug: error: unknown config key train.epoch (did you mean 'epochs'?); keys of "
        "[train]: "
    )


def test_wrong_value_type(tmp_path, capsys):
    code, err = run(tmp_path, capsys, config='[train]\nepochs = "ten"\n')
    assert code == 2
    assert err == [
        "kerasplug: error: train.epochs = 'ten' has the wrong type (str); expected an integer"
    ]


def test_missing_data_file(tmp_path, capsys):
    code, err = run(tmp_path, capsys, "--set", "data.source=csv", "--set", "data.path=nowhere.csv")
    assert code == 2
    assert err == ["kerasplug: error: data file 'nowhere.csv' does not exist; check data.path"]


def test_empty_data_file(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    path = str(tmp_path / "empty.csv")
    code, err = run(tmp_path, capsys, "--set", "data.source=csv", "--set", f"data.path={path}")
    assert code == 2
    assert err == [f"kerasplug: error: data file '{path}' is empty; give a table with a header row"]


def test_an_all_missing_column(tmp_path, capsys):
    frame = table()
    frame["c"] = np.nan
    code, err = csv_run(tmp_path, capsys, frame)
    assert code == 2
    assert err == [
        "kerasplug: error: column(s) ['c'] have no values (every cell is missing); drop them "
        'with data.drop = ["c"] or fill them in'
    ]


def test_a_non_numeric_target(tmp_path, capsys):
    frame = table().astype({"y": object})
    frame.loc[7, "y"] = "unknown"
    code, err = csv_run(tmp_path, capsys, frame)
    assert code == 2
    assert err == [
        "kerasplug: error: the target 'y' is not numeric: 1 value(s) such as 'unknown' are not "
        "numbers; fix or remove those rows, or set data.task = 'multiclass' to treat the values "
        "as classes"
    ]


def test_infinite_values(tmp_path, capsys):
    frame = table()
    frame.loc[5, "b"] = np.inf
    code, err = csv_run(tmp_path, capsys, frame)
    assert code == 2
    assert err == [
        "kerasplug: error: column 'b' holds infinite values (e.g. row 5); replace them with "
        "finite numbers or empty cells"
    ]


def test_a_single_row(tmp_path, capsys):
    code, err = csv_run(tmp_path, capsys, table(1))
    assert code == 2
    assert err == [
        "kerasplug: error: the table has only 1 row with a value for the target 'y'; training "
        "needs at least 2 rows (and more to hold some out for testing)"
    ]


def test_a_constant_target(tmp_path, capsys):
    frame = table()
    frame["y"] = 5.0
    code, err = csv_run(tmp_path, capsys, frame)
    assert code == 2
    assert err == [
        "kerasplug: error: the target 'y' is constant (every row is 5.0); there is nothing to "
        "learn: choose another data.target"
    ]


def test_a_non_writable_output_directory(tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    path = tmp_path / "config.toml"
    path.write_text(f'[run]\noutput_dir = "{tmp_path / "a-file"}"\n[data]\ntarget = "MEDV"\n')
    code = cli_main(["run", str(path), *DISABLE])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    start = f"kerasplug: error: cannot write the run directory '{tmp_path}/a-file/"
    assert err[0].startswith(start)
    assert err[0].endswith(": Not a directory; choose a writable run.output_dir or --run-dir")


def test_an_existing_run_directory_is_kept(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "mine.txt").write_text("keep")
    code, err = run(tmp_path, capsys)
    assert code == 2
    assert err == [
        f"kerasplug: error: run directory '{tmp_path / 'run'}' already exists; choose another "
        "--run-dir or pass --overwrite to replace it"
    ]
    assert (tmp_path / "run" / "mine.txt").read_text() == "keep"


def test_a_bad_input_in_a_real_process_prints_one_line_and_no_traceback(tmp_path):
    frame = table()
    frame.loc[3, "a"] = -np.inf
    frame.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "config.toml").write_text(
        f'[data]\nsource = "csv"\npath = "{tmp_path / "data.csv"}"\ntarget = "y"\n'
    )
    done = run_cli("run", str(tmp_path / "config.toml"), "--run-dir", str(tmp_path / "r"), *DISABLE)
    assert done.returncode == 2
    assert done.stderr == (
        "kerasplug: error: column 'a' holds infinite values (e.g. row 3); replace them with "
        "finite numbers or empty cells\n"
    )
    status = json.loads((tmp_path / "r" / "status.json").read_text())
    assert status["status"] == "failed" and status["error"].startswith("column 'a' holds")


def test_a_missing_or_foreign_run_directory_is_named_for_loading_and_resuming(tmp_path):
    import pytest

    from kerasplug import UsageError, checkpoint, load_run

    missing, foreign = tmp_path / "nowhere", tmp_path / "photos"
    foreign.mkdir()
    with pytest.raises(UsageError, match=r"^run '.*nowhere': no such run directory; check"):
        load_run(missing)
    with pytest.raises(UsageError, match=r"^--resume '.*nowhere': no such run directory"):
        checkpoint.reopen(missing, {})
    with pytest.raises(UsageError, match=r"^--resume '.*photos' is not a kerasplug run dir"):
        checkpoint.reopen(foreign, {})
