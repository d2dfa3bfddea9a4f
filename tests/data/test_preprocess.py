"""The preprocessing steps: behaviour of each, leakage, refitting per fold, safe reload."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kerasplug_housing import transformers as t
from kerasplug_housing.preprocess import build_steps, options
from sklearn.pipeline import Pipeline

from kerasplug import Split, hookimpl
from kerasplug.artifacts import load_preprocessing
from tests.data.conftest import train

DEFAULTS = {key: option.default for key, option in options().items()}


def pipeline(**cfg):
    steps = build_steps({**DEFAULTS, **cfg}, seed=0)
    return Pipeline([(s.name, s.transformer) for s in steps]).set_output(transform="pandas")


def test_typing_handles_yes_no_numeric_text_and_overrides():
    frame = pd.DataFrame(
        {
            "air": ["Y", "N", "y", None],
            "num": ["1", "2.5", "3", "4"],
            "code": [20, 30, 20, 60],
            "town": ["a", "b", "a", "c"],
        }
    )
    typer = t.ColumnTyper(categorical=["code"]).fit(frame)
    assert typer.kinds_ == {
        "air": "flag",
        "num": "numeric",
        "code": "categorical",
        "town": "categorical",
    }
    out = typer.transform(frame)
    assert out["air"].tolist()[:3] == [1.0, 0.0, 1.0] and np.isnan(out["air"].iloc[3])
    assert out["num"].tolist() == [1.0, 2.5, 3.0, 4.0]
    assert out["code"].tolist() == ["20", "30", "20", "60"]
    assert t.ColumnTyper(max_int_categories=5).fit(frame).kinds_["code"] == "categorical"
    assert t.ColumnTyper().fit(frame).kinds_["code"] == "numeric"


@pytest.mark.parametrize("action", ["clip", "flag", "drop"])
def test_outliers_are_clipped_or_flagged_by_training_bounds(action):
    values = [0.0, 1.0, 2.0, 3.0] * 5 + [30.0]
    handler = t.OutlierHandler("iqr", 1.0, action).fit(pd.DataFrame({"v": values}))
    q1, q3 = np.percentile(values, [25, 75])
    assert handler.bounds_["v"] == [q1 - (q3 - q1), q3 + (q3 - q1)]
    assert handler.counts_["v"] == 1
    new = pd.DataFrame({"v": [100.0, 0.5]})
    out = handler.transform(new)
    assert out["v"].iloc[0] == (q3 + (q3 - q1) if action == "clip" else 100.0)
    assert out.get("v_outlier", pd.Series()).tolist() == ([1.0, 0.0] if action == "flag" else [])
    assert handler.outside(new).tolist() == [True, False]


def test_missing_values_are_filled_flagged_or_dropped():
    frame = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0, 5.0], "b": [np.nan] * 3 + [1.0], "c": ["x", None, "x", "y"]}
    )
    handler = t.MissingHandler("median", max_missing=0.5).fit(frame)
    assert handler.dropped_ == {"b": "missing in 75% of training rows (more than 50%)"}
    out = handler.transform(frame)
    assert list(out.columns) == ["a", "c", "a_missing"]
    assert out["a"].tolist() == [1.0, 3.0, 3.0, 5.0]
    assert out["c"].tolist() == ["x", t.MISSING_LABEL, "x", "y"]
    assert out["a_missing"].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_one_hot_groups_rare_categories_and_warns_about_unseen_ones():
    frame = pd.DataFrame({"town": ["a"] * 5 + ["b"] * 4 + ["c"], "x": np.arange(10.0)})
    encoder = t.CategoryEncoder(min_frequency=2).fit(frame)
    assert list(encoder.get_feature_names_out()) == ["town_a", "town_b", "town_rare", "x"]
    with pytest.warns(t.UnseenCategoryWarning, match="'town': \\['zzz'\\]"):
        out = encoder.transform(pd.DataFrame({"town": ["c", "zzz"], "x": [1.0, 2.0]}))
    assert out.loc[0].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert out.loc[1].tolist() == [0.0, 0.0, 0.0, 2.0]


def test_generated_features():
    frame = pd.DataFrame({"a": [0.0, 1.0, np.e - 1], "b": [2.0, 0.0, 1.0]})
    gen = t.FeatureGenerator(log=["a"], ratios=["a/b"], products=["a*b"], interactions=["a", "b"])
    out = gen.fit_transform(frame)
    assert list(out.columns) == ["a", "b", "log_a", "a_per_b", "a_x_b", "a_sq", "a_x_b_2", "b_sq"]
    np.testing.assert_allclose(out["log_a"], [0.0, np.log(2), 1.0])
    np.testing.assert_allclose(out["a_per_b"], [0.0, 0.0, np.e - 1])


@pytest.mark.hook("target_transformer")
def test_log_target_is_inverted_exactly():
    from kerasplug_housing.preprocess import make_target_transformer

    y = np.array([[10.0], [200.0], [3000.0]])
    transform = make_target_transformer({**DEFAULTS, "log_target": True}).fit(y)
    np.testing.assert_allclose(transform.inverse_transform(transform.transform(y)), y)
    with pytest.raises(Exception, match="log_target needs target values above -1"):
        make_target_transformer({**DEFAULTS, "log_target": True}).fit(np.array([[-5.0]]))


@pytest.mark.hook("target_transformer")
def test_clip_predictions_keeps_predictions_in_the_training_targets_range(tmp_path):
    from kerasplug_housing.preprocess import make_target_transformer

    from kerasplug.artifacts import save_preprocessing
    from kerasplug.rundir import RunDir

    y = np.array([[5.0], [20.0], [50.0]])
    for log in (False, True):
        transform = make_target_transformer(
            {**DEFAULTS, "clip_predictions": True, "log_target": log}
        ).fit(y)
        # Training is untouched: the same transformed targets as without the clip.
        plain = make_target_transformer({**DEFAULTS, "log_target": log}).fit(y)
        np.testing.assert_allclose(transform.transform(y), plain.transform(y))
        beyond = plain.transform(np.array([[2.0], [30.0], [80.0]]))
        np.testing.assert_allclose(transform.inverse_transform(beyond).ravel(), [5, 30, 50])
    # It is saved and safely reloaded with the plugin's trusted types.
    save_preprocessing(RunDir(tmp_path), {"target": transform})
    state = load_preprocessing(tmp_path / "preprocessing.skops", t.TRUSTED_TYPES)
    np.testing.assert_allclose(state["target"].inverse_transform(beyond).ravel(), [5, 30, 50])


@pytest.mark.hook("explore_data")
def test_the_report_suggests_clipping_a_target_that_piles_up_at_its_largest_value():
    from kerasplug_housing import eda
    from kerasplug_housing.data import load_boston_frame

    cfg = {key: option.default for key, option in eda.config_sections()["eda"].items()}
    boston = load_boston_frame()
    text = eda.markdown(boston, "MEDV", eda.column_summary(boston, "MEDV"), cfg)
    assert "16 rows share the target's largest value, 50: it may be capped; consider" in text
    text = eda.markdown(
        boston, "MEDV", eda.column_summary(boston, "MEDV"), cfg, {"clip_predictions": True}
    )
    assert "it may be capped; predictions are clipped to the training targets' range" in text
    spread = boston.assign(MEDV=np.arange(len(boston), dtype=float))
    text = eda.markdown(spread, "MEDV", eda.column_summary(spread, "MEDV"), cfg)
    assert "clip_predictions" not in text


@pytest.mark.hook("preprocessing_steps")
@pytest.mark.hook("explore_data")
def test_ames_example_runs_end_to_end_with_report_and_column_record(ames_run):
    run_dir = ames_run.run_dir
    for name in ("summary.csv", "summary.json", "summary.md", "correlation.png", "target.png"):
        assert (run_dir / "eda" / name).stat().st_size > 0
    summary = pd.read_csv(run_dir / "eda" / "summary.csv", index_col="column")
    assert summary.loc["Pool.QC", "missing_rate"] == pytest.approx(2917 / 2930)
    assert "`Pool.QC`: 99.6%" in (run_dir / "eda" / "summary.md").read_text()
    record = ames_run_json(run_dir)
    columns = record["columns"]
    assert columns["Pool.QC"]["status"] == "dropped"
    assert "missing in" in columns["Pool.QC"]["reasons"][0]
    assert columns["Neighborhood"]["status"] == "transformed"
    assert "Lot.Frontage_missing" in columns["Lot.Frontage"]["outputs"]
    assert set(columns) == set(pd.read_csv(run_dir / "eda" / "summary.csv")["column"]) - {"price"}
    assert np.isfinite(ames_run.metrics["test"]["rmse"])


def ames_run_json(run_dir):
    import json

    return json.loads((run_dir / "preprocessing.json").read_text())


@pytest.mark.hook("trusted_types")
def test_reloaded_steps_reproduce_the_training_features_exactly(tmp_path):
    from kerasplug import create_manager
    from kerasplug.artifacts import plugin_trusted_types

    frame = table(False).assign(town=["a", "b", None, "c"] * 25)
    frame.to_csv(tmp_path / "t.csv", index=False)
    spy = FixedSplits(1)
    config = {"data": {"source": "csv", "path": str(tmp_path / "t.csv"), "target": "y"}}
    result = train(config, tmp_path / "r", plugins=[("spy", spy)])
    trusted = plugin_trusted_types(create_manager(third_party=False))
    state = load_preprocessing(result.run_dir / "preprocessing.skops", trusted)
    again = state["pipeline"].transform(spy.fitted[0]["raw"])
    np.testing.assert_array_equal(again.to_numpy(dtype="float32"), spy.fitted[0]["x"].to_numpy())
    assert list(again.columns) == ames_run_json(result.run_dir)["output_columns"]


class FixedSplits:
    """Fixed splits: rows 0-59 train, 60-79 valid, 80-99 test (and a second fold if asked)."""

    def __init__(self, folds):
        self.folds = folds
        self.fitted = []

    @hookimpl(tryfirst=True)
    def make_splits(self):
        splits = [Split("a", range(0, 60), range(60, 80), range(80, 100))]
        if self.folds == 2:
            splits.append(Split("b", range(40, 100), range(20, 40), range(0, 20)))
        return splits

    @hookimpl
    def before_fit(self, run):
        if run.epoch == 0:
            steps = run.pipeline.named_steps
            self.fitted.append(
                {
                    "fill": steps["missing"].fills_["x"],
                    "mean": steps["scale"].mean_.copy(),
                    "bounds": steps["outliers"].bounds_["x"],
                    "train": list(run.split.train),
                    "raw": run.parts["test"].raw,
                    "x": run.parts["test"].x,
                }
            )


def table(poison):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=100), "z": rng.normal(size=100)})
    frame.loc[::7, "x"] = np.nan
    frame["y"] = 2 * frame["x"].fillna(0) + frame["z"]
    if poison:
        frame.loc[85, "x"] = 1e9  # a huge value in a test row only
        frame.loc[86:99, "z"] = np.nan
    return frame


def test_statistics_come_from_training_rows_only(tmp_path):
    fitted = []
    for poison in (False, True):
        path = tmp_path / f"t{poison}.csv"
        table(poison).to_csv(path, index=False)
        spy = FixedSplits(1)
        train(
            {"data": {"source": "csv", "path": str(path), "target": "y"}},
            tmp_path / f"r{poison}",
            plugins=[("spy", spy)],
        )
        fitted.append(spy.fitted[0])
    clean, poisoned = fitted
    assert clean["fill"] == poisoned["fill"] == float(table(False)["x"].iloc[:60].median())
    np.testing.assert_array_equal(clean["mean"], poisoned["mean"])
    assert clean["bounds"] == poisoned["bounds"]


def test_steps_are_refitted_for_every_split(tmp_path):
    path = tmp_path / "t.csv"
    table(False).to_csv(path, index=False)
    spy = FixedSplits(2)
    train(
        {"data": {"source": "csv", "path": str(path), "target": "y"}},
        tmp_path / "r",
        plugins=[("spy", spy)],
    )
    assert len(spy.fitted) == 2
    x = table(False)["x"]
    assert [f["fill"] for f in spy.fitted] == [
        float(x.iloc[:60].median()),
        float(x.iloc[40:].median()),
    ]


def test_drop_action_removes_outlier_training_rows_only(tmp_path):
    frame = table(False)
    frame.loc[[3, 70, 90], "z"] = 50.0  # one outlier in train, valid and test each
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    spy = FixedSplits(1)
    result = train(
        {
            "data": {"source": "csv", "path": str(path), "target": "y"},
            "preprocess": {"outliers": "drop"},
        },
        tmp_path / "r",
        plugins=[("spy", spy)],
    )
    assert 3 not in spy.fitted[0]["train"] and len(spy.fitted[0]["train"]) == 59
    assert {70, 90} <= set(result.predictions["row"])
    assert ames_run_json(result.run_dir)["dropped_training_rows"] == 1


def test_quantile_scaling_maps_training_quantiles_to_a_normal_and_clamps_new_values(tmp_path):
    import warnings

    from kerasplug.artifacts import save_preprocessing
    from kerasplug.rundir import RunDir

    rng = np.random.default_rng(0)
    x = pd.DataFrame({"skewed": rng.lognormal(sigma=1.5, size=200), "flat": rng.uniform(size=200)})
    pipe = pipeline(scaling="quantile", select=[], outliers="none")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 150 rows, fewer than the 1000 quantiles: no warning
        out = pipe.fit_transform(x.iloc[:150])
    for column in out:
        assert abs(out[column].median()) < 0.05
        assert 0.9 < out[column].std() < 1.3
    assert abs(out["skewed"].skew()) < 0.1 < x["skewed"].skew()
    # Beyond the training range a value maps to the nearest end: no extrapolation.
    beyond = pipe.transform(pd.DataFrame({"skewed": [1e9], "flat": [-7.0]}))
    assert beyond["skewed"].iloc[0] == pytest.approx(out["skewed"].max())
    assert beyond["flat"].iloc[0] == pytest.approx(out["flat"].min())
    # It is saved and safely reloaded with the plugin's trusted types.
    save_preprocessing(RunDir(tmp_path), {"pipeline": pipe})
    state = load_preprocessing(tmp_path / "preprocessing.skops", t.TRUSTED_TYPES)
    pd.testing.assert_frame_equal(
        state["pipeline"].transform(x.iloc[150:]), pipe.transform(x.iloc[150:])
    )
