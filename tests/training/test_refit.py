"""`early_stopping.refit` and the `refit_epochs` hook: a fresh network on all fitting rows."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from kerasplug import ConfigError, hookimpl
from tests.helpers import EXAMPLES, LEAN


def run(tmp_path, overrides, plugins=()):
    from kerasplug import Trainer

    trainer = Trainer(
        EXAMPLES / "housing" / "boston.toml",
        overrides=[*LEAN, "model.ensemble=1", "train.verbose=0", *overrides],
        plugins=plugins,
        run_dir=tmp_path / "run",
        third_party=False,
    )
    return trainer, trainer.run()


@pytest.fixture(scope="module")
def refit_run(tmp_path_factory):
    """Holdout Boston stopped early for sure, then a refit.

    With a huge `min_delta` only the first epoch counts as an improvement: early stopping
    stops after epoch 3 (patience 2) and restores epoch 1's weights.
    """
    tmp = tmp_path_factory.mktemp("refit")
    return run(
        tmp,
        [
            "early_stopping.refit=true",
            "train.epochs=12",
            "early_stopping.patience=2",
            "early_stopping.min_delta=1e9",
        ],
    )


def test_the_refit_trains_on_training_and_validation_rows_for_the_scaled_best_epoch(refit_run):
    trainer, result = refit_run
    split = trainer.context.splits[0]
    n_train, n_valid = len(split.train), len(split.valid)
    saved = json.loads((result.run_dir / "metrics.json").read_text())
    refit = saved["refit"]
    assert result.metrics["refit"] == refit
    assert refit["rows"] == n_train + n_valid
    assert refit["best_epoch"] == 1
    assert refit["epochs"] == math.ceil(1 * (n_train + n_valid) / n_train) == 2
    # The first fit's early stopping is what is reported as the stop.
    assert "did not improve for 2 epochs" in saved["stop_reason"]
    assert saved["stop_epoch"] == saved["epochs"] == 3
    history = pd.read_csv(result.run_dir / "history.csv")
    refit_rows = history[history["stage"] == "refit"]
    assert len(refit_rows) == refit["epochs"]
    assert "val_loss" not in refit_rows.dropna(axis=1, how="all")
    # Every training and validation row is now a training row; the test rows are untouched.
    parts = result.predictions.groupby("split").size().to_dict()
    assert parts == {"train": n_train + n_valid, "test": len(split.test)}
    assert set(saved) >= {"train", "test"} and "valid" not in saved


def test_the_saved_network_and_preprocessing_are_the_refitted_ones(refit_run):
    from kerasplug_housing.data import load_boston_frame

    from kerasplug import load_run

    _, result = refit_run
    loaded = load_run(result.run_dir)
    test = result.predictions[result.predictions["split"] == "test"]
    frame = load_boston_frame().drop(columns=["MEDV"]).loc[test["row"]]
    np.testing.assert_allclose(np.ravel(loaded.predict(frame)), test["y_pred"], rtol=1e-5)


def test_the_diagnosis_and_the_learning_curves_use_the_first_fit(refit_run):
    _, result = refit_run
    diagnosis = json.loads((result.run_dir / "metrics.json").read_text())["diagnosis"]
    assert diagnosis["verdict"] != "unknown"
    assert (result.run_dir / "plots" / "learning_curves.png").is_file()


class FixedRefit:
    def __init__(self) -> None:
        self.seen: list[tuple[int | None, bool]] = []

    @hookimpl
    def refit_epochs(self, run):
        return 3

    @hookimpl
    def before_fit(self, run, stage):
        self.seen.append((stage.name, run.refit, "valid" in run.parts))


@pytest.mark.hook("refit_epochs")
def test_a_plugin_answering_refit_epochs_gets_a_refit_of_that_length(tmp_path):
    plugin = FixedRefit()
    _, result = run(tmp_path, ["train.epochs=2"], plugins=[("fixed-refit", plugin)])
    assert plugin.seen == [("train", False, True), ("refit", True, False)]
    assert result.metrics["refit"]["epochs"] == 3
    assert result.metrics["epochs"] == 2  # the first fit's epochs


def test_refit_with_stages_is_a_one_line_config_error(tmp_path):
    with pytest.raises(
        ConfigError, match=r"early_stopping\.refit does not combine with \[\[stages\]\]"
    ):
        run(
            tmp_path,
            ["early_stopping.refit=true", 'stages=[{name="a", epochs=1}, {name="b", epochs=1}]'],
        )


def test_refit_without_early_stopping_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"early_stopping\.refit needs early stopping"):
        run(tmp_path, ["early_stopping.refit=true", "early_stopping.enabled=false"])
