"""The Trainer end to end: lifecycle order, run directory, seeds, stopping, failures."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest

from kerasplug import (
    DataError,
    Explanation,
    PluginError,
    Split,
    Stage,
    Step,
    Trainer,
    UsageError,
    hookimpl,
)
from tests.helpers import EXAMPLES, LEAN, builtin_plugin_names, run_cli

ARTIFACTS = {
    "config.toml",
    "plugins.json",
    "model.keras",
    "preprocessing.skops",
    "metrics.json",
    "history.csv",
    "predictions.csv",
    "run.log",
    "status.json",
}


def tiny_frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = 3 * frame["a"] - frame["b"] + rng.normal(scale=0.1, size=n)
    return frame


class Recorder:
    """Implements every lifecycle hook and records the order of the calls."""

    def __init__(self):
        self.calls = []

    def _note(self, name, detail=""):
        self.calls.append(f"{name}{detail}")

    @hookimpl
    def before_run(self, run):
        self._note("before_run")

    @hookimpl(tryfirst=True)
    def load_data(self):
        self._note("load_data")
        return tiny_frame()

    @hookimpl
    def explore_data(self, frame, target):
        self._note("explore_data", f":{target}:{len(frame)}")

    @hookimpl(tryfirst=True)
    def make_splits(self, frame):
        self._note("make_splits")
        n = len(frame)
        return [Split("half", range(0, 30), range(30, 45), range(45, n))]

    @hookimpl
    def preprocessing_steps(self, frame):
        from sklearn.preprocessing import StandardScaler

        self._note("preprocessing_steps", f":{len(frame)}")
        return [Step("mine", StandardScaler(), order=10)]

    @hookimpl(tryfirst=True)
    def target_transformer(self, y):
        self._note("target_transformer", f":{len(y)}")

    @hookimpl(tryfirst=True)
    def build_model(self, n_features, task):
        import keras

        self._note("build_model", f":{n_features}:{task}")
        return keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(1, name="out")])

    @hookimpl
    def training_stages(self):
        self._note("training_stages")
        return [Stage("first", 2, 0.01), Stage("second", 1, 0.001)]

    @hookimpl
    def freeze_layers(self, model, stage):
        self._note("freeze_layers", f":{stage.name}")

    @hookimpl(tryfirst=True)
    def compile_options(self, stage):
        import keras

        self._note("compile_options", f":{stage.learning_rate}")
        return {"optimizer": keras.optimizers.SGD(stage.learning_rate), "loss": "mse"}

    @hookimpl
    def training_callbacks(self, stage):
        self._note("training_callbacks", f":{stage.name}")
        return []

    @hookimpl
    def before_fit(self, stage):
        self._note("before_fit", f":{stage.name}")

    @hookimpl
    def after_fit(self, history, stage):
        self._note("after_fit", f":{stage.name}:{len(history.epoch)}")

    @hookimpl
    def compute_metrics(self, split, y_true, y_pred):
        self._note("compute_metrics", f":{split}")
        return {"n": len(y_true)}

    @hookimpl
    def explain(self, rows, background):
        self._note("explain", f":{len(rows)}:{len(background)}")
        return [Explanation("zeros", rows * 0.0, base_value=0.0)]

    @hookimpl
    def report(self, run, result):
        self._note("report", f":{len(result.explanations)}")

    @hookimpl
    def after_run(self, result):
        self._note("after_run")


@pytest.mark.hook("before_run")
@pytest.mark.hook("load_data")
@pytest.mark.hook("explore_data")
@pytest.mark.hook("make_splits")
@pytest.mark.hook("preprocessing_steps")
@pytest.mark.hook("target_transformer")
@pytest.mark.hook("build_model")
@pytest.mark.hook("training_stages")
@pytest.mark.hook("freeze_layers")
@pytest.mark.hook("compile_options")
@pytest.mark.hook("training_callbacks")
@pytest.mark.hook("before_fit")
@pytest.mark.hook("after_fit")
@pytest.mark.hook("compute_metrics")
@pytest.mark.hook("explain")
@pytest.mark.hook("report")
@pytest.mark.hook("after_run")
def test_the_lifecycle_calls_every_hook_in_order(tmp_path):
    recorder = Recorder()
    result = Trainer(
        {"data": {"target": "y"}, "train": {"verbose": 0}},
        plugins=[("recorder", recorder)],
        disable=builtin_plugin_names(),
        run_dir=tmp_path / "run",
        third_party=False,
    ).run()
    assert recorder.calls == [
        "before_run",
        "load_data",
        "explore_data:y:60",
        "make_splits",
        "preprocessing_steps:30",
        "target_transformer:30",
        "build_model:2:regression",
        "training_stages",
        "freeze_layers:first",
        "compile_options:0.01",
        "training_callbacks:first",
        "before_fit:first",
        "after_fit:first:2",
        "freeze_layers:second",
        "compile_options:0.001",
        "training_callbacks:second",
        "before_fit:second",
        "after_fit:second:1",
        "compute_metrics:train",
        "compute_metrics:valid",
        "compute_metrics:test",
        "explain:15:30",
        "report:1",
        "after_run",
    ]
    assert result.metrics["test"]["n"] == 15
    assert list(result.history["stage"]) == ["first", "first", "second"]
    assert list(result.history["epoch"]) == [1, 2, 3]


def test_boston_run_writes_a_complete_run_directory(boston_run):
    assert {p.name for p in boston_run.run_dir.iterdir()} >= ARTIFACTS
    metrics = json.loads((boston_run.run_dir / "metrics.json").read_text())
    for part in ("train", "valid", "test"):
        assert {"mse", "rmse", "mae", "r2"} <= set(metrics[part])
    assert metrics["status"] == "completed"
    assert json.loads((boston_run.run_dir / "status.json").read_text())["status"] == "completed"
    plugins = json.loads((boston_run.run_dir / "plugins.json").read_text())
    (model_plugin,) = [p for p in plugins if p["name"] == "housing.model"]
    assert model_plugin["builtin"] and "build_model" in model_plugin["hooks"]
    assert "[train]\nepochs = 6" in (boston_run.run_dir / "config.toml").read_text()


def test_predictions_are_in_original_units_for_every_row(boston_run):
    predictions = pd.read_csv(boston_run.run_dir / "predictions.csv")
    assert sorted(predictions["row"]) == list(range(506))
    assert set(predictions["split"]) == {"train", "valid", "test"}
    test = predictions[predictions["split"] == "test"]
    rmse = float(np.sqrt(((test["y_true"] - test["y_pred"]) ** 2).mean()))
    assert rmse == pytest.approx(boston_run.metrics["test"]["rmse"], rel=1e-6)
    assert 5 < predictions["y_pred"].mean() < 50  # dollars in thousands, not standardized units


def test_history_has_one_row_per_epoch(boston_run):
    history = pd.read_csv(boston_run.run_dir / "history.csv")
    assert list(history["epoch"]) == list(range(1, len(history) + 1))
    assert {"loss", "val_loss", "mae", "val_mae", "stage"} <= set(history.columns)


def test_the_same_seed_gives_the_same_metrics(tmp_path):
    def once(name):
        metrics = (
            Trainer(
                EXAMPLES / "housing" / "boston.toml",
                overrides=[*LEAN, "train.epochs=3", "train.verbose=0"],
                run_dir=tmp_path / name,
                third_party=False,
            )
            .run()
            .metrics
        )
        return {part: metrics[part] for part in ("train", "valid", "test")}

    assert once("a") == once("b")


STOP_AFTER_3 = """
    from kerasplug import hookimpl

    @hookimpl
    def should_stop(epoch):
        return "three epochs are enough" if epoch == 2 else None
"""


def test_a_local_stopping_plugin_stops_the_cli_run_after_three_epochs(tmp_path):
    plugin = tmp_path / "stop3.py"
    plugin.write_text(textwrap.dedent(STOP_AFTER_3))
    args = [a for o in LEAN for a in ("--set", o)]
    result = run_cli(
        "run",
        str(EXAMPLES / "housing" / "boston.toml"),
        "-p",
        str(plugin),
        "--run-dir",
        str(tmp_path / "run"),
        *args,
        "--set",
        "train.epochs=50",
    )
    assert result.returncode == 0, result.stderr
    assert "stopped after epoch 3: three epochs are enough" in result.stdout
    assert "run directory:" in result.stdout and "rmse" in result.stdout
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["stop_reason"] == "three epochs are enough"
    assert metrics["epochs"] == 3 and metrics["stop_epoch"] == 3


@pytest.mark.hook("on_run_error")
def test_a_plugin_that_raises_is_named_and_the_run_marked_failed(tmp_path):
    cleaned = []

    class Faulty:
        @hookimpl
        def explore_data(self, frame):
            raise ZeroDivisionError("division by zero")

        @hookimpl
        def on_run_error(self, error):
            cleaned.append(error)

    with pytest.raises(PluginError) as info:
        Trainer({}, plugins=[("faulty", Faulty())], run_dir=tmp_path / "r", third_party=False).run()
    assert str(info.value) == (
        "plugin 'faulty' failed in hook 'explore_data': ZeroDivisionError: division by zero"
    )
    assert cleaned == [info.value]
    assert json.loads((tmp_path / "r" / "status.json").read_text())["status"] == "failed"
    assert "ZeroDivisionError" in (tmp_path / "r" / "run.log").read_text()


def test_cli_reports_a_plugin_fault_in_one_line_with_exit_code_1(tmp_path):
    plugin = tmp_path / "faulty.py"
    plugin.write_text(
        "from kerasplug import hookimpl\n\n@hookimpl\ndef explore_data(frame):\n"
        "    raise KeyError('nope')\n"
    )
    result = run_cli(
        "run",
        str(EXAMPLES / "housing" / "boston.toml"),
        "-p",
        str(plugin),
        "--run-dir",
        str(tmp_path / "r"),
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "kerasplug: error: plugin 'faulty' failed in hook 'explore_data': KeyError: 'nope'"
    )


def test_a_missing_target_lists_the_close_matches(tmp_path):
    with pytest.raises(DataError, match=r"data.target = 'MEDVV' is not a column.*'MEDV'"):
        Trainer({"data": {"target": "MEDVV"}}, run_dir=tmp_path / "r", third_party=False).run()


def test_an_existing_run_directory_is_never_overwritten(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "precious.txt").write_text("keep me")
    with pytest.raises(UsageError, match="already exists; choose another --run-dir"):
        Trainer({}, run_dir=tmp_path / "mine", third_party=False).run()
    with pytest.raises(UsageError, match="not a kerasplug run directory"):
        Trainer({}, run_dir=tmp_path / "mine", overwrite=True, third_party=False).run()
    assert (tmp_path / "mine" / "precious.txt").read_text() == "keep me"


def test_cli_bad_config_is_one_line_with_exit_code_2(tmp_path):
    result = run_cli("run", str(EXAMPLES / "housing" / "boston.toml"), "--set", "train.epochs=x")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "kerasplug: error: train.epochs = 'x' has the wrong type (str); expected an integer"
    )
    debug = run_cli(
        "run", str(EXAMPLES / "housing" / "boston.toml"), "--set", "train.epochs=x", "--debug"
    )
    assert "Traceback" in debug.stderr
