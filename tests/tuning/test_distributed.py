"""Distributed tuning: a chief serves the search over gRPC and worker processes run its trials.

One search really runs in two processes (the chief and the worker it starts); the other tests
drive the chief's coordinator and the command line in this process, without training.
"""

from __future__ import annotations

import json
import socket

import pytest

from kerasplug import Trainer
from kerasplug.cli import main as cli
from kerasplug.config import read_toml
from kerasplug.rundir import RunDir
from tests.helpers import EXAMPLES, run_cli
from tests.tuning.conftest import DISABLE, TINY

BOSTON = EXAMPLES / "housing" / "boston.toml"
BAYESIAN = [
    "tune.method=bayesian",
    "tune.trials=4",
    "tune.initial_points=2",
    'tune.space={"train.learning_rate" = {low = 0.001, high = 0.05, log = true}, '
    '"model.hidden" = [[8], [16]]}',
]
GRID = ["tune.method=grid", "tune.trials=10", 'tune.space={"model.dropout" = [0.0, 0.1, 0.2]}']


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def options(overrides: list[str]) -> list[str]:
    return [*(f"--set={o}" for o in [*TINY, *overrides]), *(f"-p=no:{n}" for n in DISABLE)]


def tune(*argv: str, overrides: list[str] = GRID) -> list[str]:
    """`kerasplug tune` arguments: the tiny Boston search, `argv`, then `overrides`."""
    return ["tune", str(BOSTON), *argv, *options(overrides)]


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory):
    """Bayesian optimisation served at a free local port: the chief and one worker it starts."""
    run_dir = tmp_path_factory.mktemp("distributed") / "bayesian"
    port = free_port()
    result = run_cli(
        "tune",
        str(BOSTON),
        "--chief",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--run-dir",
        str(run_dir),
        *options(BAYESIAN),
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result, run_dir, port


def test_the_chief_serves_the_search_and_both_processes_run_trials(two_processes):
    result, run_dir, port = two_processes
    assert f"serving the search at 127.0.0.1:{port}" in result.stdout
    trials = json.loads((run_dir / "tuning.json").read_text())["trials"]
    assert len(trials) == 4
    assert {t["worker"] for t in trials} == {"chief", "worker-1"}
    assert all(t["status"] == "completed" for t in trials)
    log = (run_dir / "workers" / "worker-1.log").read_text()
    ran = sum(t["worker"] == "worker-1" for t in trials)
    assert f"worker-1 ran {ran} trials; the chief writes the summary in {run_dir}" in log


def test_no_trial_is_run_twice_and_each_has_its_own_folder(two_processes):
    _, run_dir, _ = two_processes
    trials = json.loads((run_dir / "tuning.json").read_text())["trials"]
    names = [t["trial"] for t in trials]
    assert names == ["trial-000", "trial-001", "trial-002", "trial-003"]
    assert sorted(p.name for p in (run_dir / "trials").iterdir()) == names
    assert len({json.dumps(t["values"], sort_keys=True) for t in trials}) == 4
    for trial in trials:
        trial_dir = run_dir / "trials" / trial["trial"]
        assert RunDir(trial_dir).status()["status"] == "completed"
        metrics = json.loads((trial_dir / "metrics.json").read_text())
        assert metrics["valid"]["rmse"] == trial["value"]
        config = read_toml(trial_dir / "config.toml")
        assert config["model"]["hidden"] == trial["values"]["model.hidden"]
        assert config["train"]["learning_rate"] == trial["values"]["train.learning_rate"]


def test_the_chief_alone_writes_the_summary_and_best_config_once(two_processes, tmp_path):
    result, run_dir, _ = two_processes
    assert list(run_dir.rglob("best.toml")) == [run_dir / "best.toml"]
    assert result.stdout.count("best config:") == 1
    assert RunDir(run_dir).status()["status"] == "completed"
    rows = (run_dir / "trials.csv").read_text().splitlines()
    assert rows[0].endswith(",worker") and len(rows) == 5
    summary = json.loads((run_dir / "tuning.json").read_text())
    best = min(summary["trials"], key=lambda t: t["value"])
    assert summary["best"]["trial"] == best["trial"]
    assert summary["stop_reason"] == "ran tune.trials = 4 trials"
    # the best config runs, and reproduces its trial (same config, same seed)
    again = Trainer(
        run_dir / "best.toml",
        overrides=["explain.methods=[]", "eda.enabled=false"],
        disable=DISABLE,
        third_party=False,
        run_dir=tmp_path / "again",
    ).run()
    assert again.metrics["valid"]["rmse"] == pytest.approx(best["value"], rel=1e-6)


# --- the chief's coordinator, in this process ----------------------------------------------


@pytest.fixture
def grid_chief(tmp_path):
    """A chief's coordinator of a three-point grid, with no server and nothing trained."""
    from kerasplug.distributed_tuning import Coordinator, served_oracle
    from kerasplug.tuning import Search, TimeBudget

    base = Trainer(BOSTON, overrides=[*TINY, *GRID], disable=DISABLE, third_party=False)
    search = Search(base)
    search.context.dir = RunDir(tmp_path)
    oracle = served_oracle(search.strategy, search.cfg["trials"])
    return Coordinator(search, TimeBudget(0), oracle, [], join_timeout=5.0), search


def finished(search, trial, worker, loss):
    from kerasplug.distributed_tuning import trial_values
    from kerasplug.tuning import TrialResult

    number = int(trial.trial_id)
    values = trial_values(search, trial.hyperparameters.values)
    return TrialResult(number, f"trial-{number:03d}", values, "completed", loss, loss, 1.0, 2)


def test_a_served_grid_gives_concurrent_workers_different_points_until_it_is_exhausted(
    grid_chief,
):
    from kerasplug.distributed_tuning import trial_values

    coordinator, search = grid_chief
    first, second = coordinator.create_trial("a"), coordinator.create_trial("b")
    assert first.trial_id != second.trial_id
    coordinator.finish("b", second.trial_id, finished(search, second, "b", 2.0))
    third = coordinator.create_trial("b")
    points = [trial_values(search, t.hyperparameters.values) for t in (first, second, third)]
    assert points == [{"model.dropout": 0.0}, {"model.dropout": 0.1}, {"model.dropout": 0.2}]
    coordinator.finish("b", third.trial_id, finished(search, third, "b", 1.0))
    assert coordinator.create_trial("b").status == "STOPPED"
    # worker a still runs the first point; when it stops without a result, the trial failed
    coordinator.leave("a", "a exited with code 1: out of memory")
    assert [(t.name, t.status, t.worker) for t in search.trials] == [
        ("trial-000", "failed", "a"),
        ("trial-001", "completed", "b"),
        ("trial-002", "completed", "b"),
    ]
    assert search.trials[0].error == "a exited with code 1: out of memory"
    assert coordinator.wait_until_done() == "the search space is exhausted"
    assert coordinator.oracle.trials[first.trial_id].status == "FAILED"


def test_a_trial_reported_by_a_worker_that_does_not_run_it_is_refused(grid_chief):
    from kerasplug import UsageError

    coordinator, search = grid_chief
    trial = coordinator.create_trial("a")
    with pytest.raises(UsageError, match=f"b reported trial {trial.trial_id}, which it was not"):
        coordinator.finish("b", trial.trial_id, finished(search, trial, "b", 1.0))


def test_no_trial_starts_before_the_local_workers_join_and_one_that_dies_fails_the_search(
    grid_chief,
):
    from kerasplug import UsageError
    from kerasplug.distributed_tuning import Coordinator

    coordinator, search = grid_chief
    waiting = Coordinator(search, coordinator.clock, coordinator.oracle, ["worker-1"], 5.0)
    waiting.leave("worker-1", "worker-1 exited with code 2: no data")
    with pytest.raises(UsageError, match="local worker worker-1 did not join: worker-1 exited"):
        waiting.create_trial("chief")
    assert coordinator.oracle.trials == {}


def test_a_worker_is_compared_with_the_chief_key_by_key_and_plugin_by_plugin():
    from kerasplug.distributed_tuning import mismatch

    chief = {"version": "1", "config": {"train": {"epochs": 2}}, "plugins": ["a", "b"]}
    assert mismatch(chief, dict(chief)) is None
    assert mismatch(chief, {**chief, "config": {"train": {"epochs": 3}}}) == (
        "this worker's config differs from the chief's at train.epochs (3 here, 2 at the "
        "chief); start every process with the same config file and --set options"
    )
    assert "plugins differ from the chief's: c (worker only), b (chief only)" in mismatch(
        chief, {**chief, "plugins": ["a", "c"]}
    )
    assert "runs kerasplug 0, the chief 1" in mismatch(chief, {**chief, "version": "0"})


# --- errors on the command line: one line, exit code 2 ---------------------------------------


def test_a_worker_with_another_config_is_turned_away(grid_chief, capsys):
    from kerasplug.distributed_tuning import serve

    coordinator, _ = grid_chief
    server, port = serve(coordinator, "127.0.0.1", 0)
    try:
        code = cli(tune("--worker", f"127.0.0.1:{port}", overrides=[*GRID, "train.epochs=3"]))
    finally:
        server.stop(grace=None)
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2
    assert error == (
        "kerasplug: error: this worker's config differs from the chief's at train.epochs "
        "(3 here, 2 at the chief); start every process with the same config file and --set "
        "options"
    )


def test_a_worker_that_finds_no_chief_gives_up_after_the_join_timeout(capsys):
    port = free_port()
    code = cli(tune("--worker", f"127.0.0.1:{port}", "--join-timeout", "0.5"))
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"kerasplug: error: no tuning chief answered at 127.0.0.1:{port} within 0.5 s; start "
        f"`kerasplug tune CONFIG --chief 127.0.0.1:{port}` first, or check the address "
        "(--join-timeout waits longer)"
    )


def test_a_chief_on_a_port_in_use_says_so_before_making_its_directory(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli(tune("--chief", f"127.0.0.1:{port}", "--run-dir", str(tmp_path / "t")))
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"kerasplug: error: --chief 127.0.0.1:{port}: port {port} is in use; choose another "
        "port or stop the process that holds it"
    )
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--worker", "localhost"], "--worker 'localhost': give HOST:PORT"),
        (["--workers", "0"], "--workers 0: give at least 1"),
        (["--worker", "h:1", "--workers", "2"], "--workers and --overwrite are the chief's"),
    ],
)
def test_bad_distribution_options_are_one_line_errors(argv, message, capsys):
    assert cli(tune(*argv)) == 2
    assert message in capsys.readouterr().err


def test_keras_tuner_environment_variables_choose_the_role(monkeypatch):
    from kerasplug.cli import build_parser
    from kerasplug.commands.tune import _role

    parser, _ = build_parser()
    args = parser.parse_args(["tune", "c.toml"])
    assert _role(args) == (None, "")
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "10.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
    assert _role(args) == ("chief", "10.0.0.1:8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    assert _role(args) == ("worker", "10.0.0.1:8000")
    assert _role(parser.parse_args(["tune", "c.toml", "--chief", "h:9"])) == ("chief", "h:9")
