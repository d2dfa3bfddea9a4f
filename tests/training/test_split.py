"""Splits: holdout, repeated K-fold with per-fold metrics, and a time-ordered holdout."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from kerasplug_housing.split import kfold, make_splits, time_holdout

from kerasplug import ConfigError, Trainer


def test_each_row_is_tested_once_per_repeat_and_never_trained_on_in_its_fold():
    y = np.arange(50, dtype=float)
    splits = kfold(y, folds=5, repeats=2, valid_size=0.25, seed=3, stratify=False)
    assert [s.name for s in splits[:2]] == ["repeat1-fold1", "repeat1-fold2"]
    for repeat in (splits[:5], splits[5:]):
        tested = np.concatenate([s.test for s in repeat])
        assert sorted(tested) == list(range(50))
    for s in splits:
        assert not set(s.train) & set(s.test) and not set(s.valid) & set(s.test)
        assert not set(s.train) & set(s.valid)
        assert len(s.train) + len(s.valid) + len(s.test) == 50 and len(s.valid) == 10
    assert [list(s.test) for s in splits[:5]] != [list(s.test) for s in splits[5:]]


def test_the_same_seed_gives_the_same_folds():
    y = np.arange(30, dtype=float)
    first = kfold(y, 3, 2, 0.2, seed=11, stratify=False)
    again = kfold(y, 3, 2, 0.2, seed=11, stratify=False)
    assert all(np.array_equal(a.test, b.test) for a, b in zip(first, again, strict=True))


@pytest.mark.parametrize("folds", [0, 4])
def test_split_seed_keeps_the_splits_while_run_seed_changes(folds):
    frame = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40.0)})

    def tests(run_seed, split_seed):
        cfg = {"test_size": 0.25, "valid_size": 0.2, "shuffle": True, "folds": folds}
        cfg.update(repeats=1, time_column="", seed=split_seed)
        run = SimpleNamespace(config={"run": {"seed": run_seed}, "split": cfg}, task="regression")
        return [list(s.test) for s in make_splits(run, frame, "y")]

    assert tests(1, 7) == tests(2, 7) == tests(7, None)
    assert tests(1, None) != tests(2, None)


def test_classification_folds_are_stratified():
    y = np.array([0] * 40 + [1] * 10)
    for s in kfold(y, 5, 1, 0.0, seed=0, stratify=True):
        assert list(np.bincount(y[s.test])) == [8, 2]


def test_time_holdout_tests_on_later_sales_than_it_trains_on():
    years = pd.Series([2006, 2010, 2007, 2008, 2009, 2010, 2006, 2008, 2007, 2009] * 10)
    split = time_holdout(years, test_size=0.15, valid_size=0.2)
    train, valid, test = (years.iloc[list(p)] for p in (split.train, split.valid, split.test))
    assert train.max() < valid.min() and valid.max() < test.min()
    # 15% is 15 rows; the cut moves back to the first row of 2010, so all of 2010 is tested.
    assert set(test) == {2010} and len(test) == 20 and set(valid) == {2009}


def test_time_holdout_refuses_missing_times():
    with pytest.raises(Exception, match="missing values"):
        time_holdout(pd.Series([2006.0, None, 2007.0]), 0.2, 0.2)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["split.folds=1"], "split.folds = 1"),
        (["split.repeats=3"], "split.repeats = 3 needs K-fold"),
        (["split.folds=5", "split.time_column=AGE"], "split.time_column = 'AGE'"),
    ],
)
def test_contradictory_split_settings_are_one_line_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message) as info:
        Trainer(overrides=overrides, third_party=False)
    assert "\n" not in str(info.value)


@pytest.mark.hook("make_splits")
def test_kfold_reports_each_fold_and_the_mean_and_std(kfold_ensemble_run):
    metrics = kfold_ensemble_run.metrics
    folds = metrics["folds"]
    assert [f["name"] for f in folds] == ["fold1", "fold2", "fold3"]
    rmse = [f["metrics"]["test"]["rmse"] for f in folds]
    assert metrics["test"]["rmse"] == pytest.approx(np.mean(rmse))
    assert metrics["test_std"]["rmse"] == pytest.approx(np.std(rmse))
    predictions = kfold_ensemble_run.predictions
    tested = predictions[predictions["split"] == "test"]
    assert sorted(tested["row"]) == list(range(506))


def test_a_time_ordered_run_tests_on_the_latest_rows(tmp_path):
    frame = pd.DataFrame({"year": np.repeat(np.arange(2000, 2010), 10)})
    frame["x"] = np.random.default_rng(0).normal(size=len(frame))
    frame["y"] = frame["x"] * 2 + (frame["year"] - 2000) * 0.1
    frame.to_csv(tmp_path / "sales.csv", index=False)
    result = Trainer(
        overrides=[
            "data.source=csv",
            f"data.path={tmp_path / 'sales.csv'}",
            "data.target=y",
            "split.time_column=year",
            "split.test_size=0.2",
            "train.epochs=2",
            "train.verbose=0",
            "model.hidden=[4]",
        ],
        run_dir=tmp_path / "run",
        third_party=False,
    ).run()
    rows = result.predictions.groupby("split")["row"].agg(["min", "max"])
    assert rows.loc["test", "min"] == 80 and rows.loc["train", "max"] < rows.loc["valid", "min"]
