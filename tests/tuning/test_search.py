"""Searches that train: every trial is a real run on the Boston table (tiny and short)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from kerasplug import ConfigError, PluginError, hookimpl
from kerasplug.config import read_toml
from kerasplug.rundir import RunDir
from kerasplug.tuning import Choice
from tests.helpers import EXAMPLES, run_cli
from tests.tuning.conftest import DISABLE, search

BOSTON = EXAMPLES / "housing" / "boston.toml"


def read_trials(run_dir):
    return list(csv.DictReader(io.StringIO((run_dir / "trials.csv").read_text())))


# --- `kerasplug tune` with the built-in random search -----------------------------------------


def test_tune_runs_a_random_search_and_prints_one_line_per_trial(random_cli):
    result, run_dir = random_cli
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    progress = [line for line in lines if line.startswith("trial ")]
    assert [line.split()[1] for line in progress] == ["1/2", "2/2"]
    assert all("valid.rmse" in line and "model.hidden=" in line for line in progress)
    assert any(line.startswith("best trials by valid.rmse (min); 2 run") for line in lines)
    assert f"best config: {run_dir / 'best.toml'}" in result.stdout
    assert RunDir(run_dir).status()["status"] == "completed"


def test_every_trial_is_a_run_whose_metrics_the_summary_collects(random_cli):
    _, run_dir = random_cli
    rows = read_trials(run_dir)
    assert [r["trial"] for r in rows] == ["trial-000", "trial-001"]
    summary = json.loads((run_dir / "tuning.json").read_text())
    for row, trial in zip(rows, summary["trials"], strict=True):
        trial_dir = run_dir / "trials" / row["trial"]
        metrics = json.loads((trial_dir / "metrics.json").read_text())
        assert float(row["valid.rmse"]) == metrics["valid"]["rmse"] == trial["value"]
        config = read_toml(trial_dir / "config.toml")
        assert (
            json.loads(row["model.hidden"])
            == config["model"]["hidden"]
            == trial["values"]["model.hidden"]
        )
        assert config["train"]["learning_rate"] == pytest.approx(
            float(row["train.learning_rate"]), rel=1e-12
        )
    best = min(summary["trials"], key=lambda t: t["value"])
    assert summary["best"]["trial"] == best["trial"]
    assert summary["stop_reason"] == "ran tune.trials = 2 trials"
    # the trials-only overrides applied to the trials
    assert read_toml(run_dir / "trials/trial-000/config.toml")["explain"]["methods"] == []


def test_the_best_config_runs_and_reproduces_the_best_trial(random_cli, tmp_path):
    _, run_dir = random_cli
    best = json.loads((run_dir / "tuning.json").read_text())["best"]
    config = read_toml(run_dir / "best.toml")
    assert "tune" not in config
    assert config["model"]["hidden"] == best["values"]["model.hidden"]
    assert config["explain"]["methods"] != []  # the trials-only overrides are left out
    again = run_cli(
        "run",
        str(run_dir / "best.toml"),
        "--run-dir",
        str(tmp_path / "again"),
        "--set=explain.methods=[]",
        "--set=eda.enabled=false",
        *(f"-p=no:{name}" for name in DISABLE),
    )
    assert again.returncode == 0, again.stderr[-2000:]
    metrics = json.loads((tmp_path / "again" / "metrics.json").read_text())
    # Same config, same seed, deterministic ops: the same model and the same figures.
    assert metrics["valid"]["rmse"] == pytest.approx(best["value"], rel=1e-6)


# --- Keras Tuner ------------------------------------------------------------------------------


def test_keras_tuner_bayesian_optimisation_proposes_and_hears_every_trial(bayesian_search):
    found, result, output = bayesian_search
    assert [t.status for t in result.trials] == ["completed"] * 3
    oracle = found.strategy.oracle
    scores = sorted(t.score for t in oracle.trials.values())
    assert scores == sorted(t.value for t in result.trials)
    assert oracle.get_best_trials()[0].score == result.best.value
    for trial in result.trials:
        assert 0.001 <= trial.values["train.learning_rate"] <= 0.05
        assert trial.values["model.hidden"] in ([8], [16])
    assert "Search: Running Trial" not in output  # Keras Tuner's own display stays quiet


def test_the_best_bayesian_config_is_a_complete_run_config(bayesian_search):
    from kerasplug import Trainer

    _, result, _ = bayesian_search
    config = read_toml(result.best_config)
    assert config["model"]["hidden"] == result.best.values["model.hidden"]
    assert (
        Trainer(result.best_config, third_party=False).config["train"]["learning_rate"]
        == (result.best.values["train.learning_rate"])
    )


def test_hyperband_promotes_the_best_trial_to_more_epochs(tmp_path):
    _, result, _ = search(
        BOSTON,
        [
            "train.epochs=2",
            "tune.method=hyperband",
            "tune.hyperband_factor=2",
            "tune.trials=3",
            'tune.space={"model.hidden" = [[4], [8], [16]]}',
        ],
        tmp_path / "hyperband",
    )
    epochs = [t.values["train.epochs"] for t in result.trials]
    # factor 2 and 2 epochs: two one-epoch trials, then the better of them for two epochs
    assert epochs == [1, 1, 2]
    first_round = result.trials[:2]
    assert first_round[0].values["model.hidden"] != first_round[1].values["model.hidden"]
    promoted = min(first_round, key=lambda t: t.value)
    assert result.trials[2].values["model.hidden"] == promoted.values["model.hidden"]


# --- the strategy hook, failures and the budget ----------------------------------------------


class Scripted:
    """A hand-written strategy: proposes the listed values in turn and keeps what it hears."""

    def __init__(self, proposals):
        self.proposals = list(proposals)
        self.heard = []

    def propose(self):
        return self.proposals.pop(0) if self.proposals else None

    def report(self, values, loss):
        self.heard.append((values, loss))


class ScriptedPlugin:
    def __init__(self, strategy):
        self.strategy = strategy
        self.space = None

    @hookimpl
    def tuning_strategy(self, method, space):
        if method == "scripted":
            self.space = space
            return self.strategy


@pytest.mark.hook("tuning_strategy")
def test_a_plugin_strategy_proposes_trials_and_a_failing_one_is_recorded(tmp_path):
    strategy = Scripted([{"model.activation": "tanh"}, {"model.activation": "no_such_activation"}])
    plugin = ScriptedPlugin(strategy)
    _, result, output = search(
        BOSTON,
        [
            "tune.method=scripted",
            "tune.trials=5",
            "tune.metric=valid.r2",
            'tune.space={"model.activation" = ["tanh", "no_such_activation"]}',
        ],
        tmp_path / "scripted",
        plugins=[("scripted", plugin)],
    )
    assert plugin.space == {"model.activation": Choice(("tanh", "no_such_activation"))}
    ok, failed = result.trials
    assert (ok.status, failed.status) == ("completed", "failed")
    assert failed.error.startswith("PluginError: plugin 'housing.model' failed in hook")
    # r2 is maximised, so the strategy hears it negated; a failed trial is heard as None
    assert strategy.heard == [(ok.values, -ok.value), (failed.values, None)]
    assert result.best is ok
    assert result.stop_reason == "the search space is exhausted"
    assert "failed" in [r["status"] for r in read_trials(result.run_dir)]
    assert "trial   2/5  failed" in output


def test_when_every_trial_fails_the_first_error_is_raised(tmp_path):
    with pytest.raises(PluginError, match="build_model"):
        search(
            BOSTON,
            ['tune.space={"model.activation" = ["no_such_activation"]}'],
            tmp_path / "failing",
        )
    assert RunDir(tmp_path / "failing").status()["status"] == "failed"
    assert read_trials(tmp_path / "failing")[0]["status"] == "failed"


def test_the_time_budget_stops_the_running_trial_and_starts_no_other(tmp_path):
    _, result, _ = search(
        BOSTON,
        [
            "train.epochs=20",
            "tune.trials=3",
            "tune.time_budget=0.5",
            'tune.space={"model.dropout" = [0.0, 0.1, 0.2]}',
        ],
        tmp_path / "budget",
    )
    assert len(result.trials) == 1
    assert result.trials[0].epochs == 1
    assert result.trials[0].stop_reason == "the tuning time budget of 0.5 s is spent"
    assert result.stop_reason == "the time budget of 0.5 s is spent"


def test_a_metric_the_trials_do_not_have_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        search(
            BOSTON,
            ["tune.metric=valid.accuracy", 'tune.space={"model.dropout" = [0.0]}'],
            tmp_path / "nometric",
        )
    assert "tune.metric = 'valid.accuracy' is not among the trials' metrics" in str(info.value)
    assert "valid.rmse" in str(info.value)
