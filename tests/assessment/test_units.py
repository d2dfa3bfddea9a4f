"""Metrics, fit diagnosis and feature grouping, on small hand-made inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kerasplug_housing.diagnosis import diagnose
from kerasplug_housing.explainers.common import choose_rows, group, source_columns
from kerasplug_housing.metrics import regression_metrics

SETTINGS = {"overfit_rise": 0.1, "overfit_gap": 2.0, "underfit_plateau": 0.01, "underfit_gap": 1.05}


def curve(train, valid):
    return [
        {"epoch": i + 1, "loss": t, "val_loss": v}
        for i, (t, v) in enumerate(zip(train, valid, strict=True))
    ]


def test_regression_metrics_include_median_error_and_mape():
    got = regression_metrics(np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]))
    assert got["medae"] == pytest.approx(0.5)
    assert got["mape"] == pytest.approx((0.5 / 1 + 0 + 1 / 4) / 3)
    assert got["rmse"] == pytest.approx(np.sqrt((0.25 + 0 + 1) / 3))


def test_rising_validation_loss_with_falling_training_loss_is_overfitting():
    train = [1.0 / (i + 1) for i in range(40)]
    valid = [1.0 - 0.04 * i for i in range(10)] + [0.64 + 0.02 * i for i in range(30)]
    result = diagnose(curve(train, valid), SETTINGS)
    assert result["verdict"] == "over-fitting"
    assert result["best_valid_epoch"] == 10
    assert result["valid_rise_after_best"] == pytest.approx((valid[-1] - 0.64) / 0.64)


def test_validation_loss_still_falling_at_the_end_is_underfitting():
    losses = [1.0 - 0.02 * i for i in range(30)]
    result = diagnose(curve(losses, [x + 0.01 for x in losses]), SETTINGS)
    assert result["verdict"] == "under-fitting"
    assert "still falling" in result["reasons"][0]


def test_levelled_curves_close_together_are_a_good_fit():
    train = [1.0 / (i + 1) + 0.2 for i in range(40)]
    valid = [t * 1.2 for t in train[:20]] + [train[19] * 1.2 + 0.0001 * i for i in range(20)]
    result = diagnose(curve(train, valid), SETTINGS)
    assert result["verdict"] == "good fit", result["reasons"]
    assert result["gap"] == pytest.approx(valid[-1] - train[-1])


def test_without_validation_loss_the_verdict_is_unknown():
    assert diagnose([{"epoch": 1, "loss": 1.0}], SETTINGS)["verdict"] == "unknown"


def test_one_hot_and_indicator_columns_are_summed_back_to_their_source():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    raw = pd.DataFrame(
        {
            "ZONE": ["a", "b", "a", "c"],
            "LOT_AREA": [1.0, np.nan, 3.0, 4.0],
            "LOT": [5.0, 6.0, 7.0, 8.0],
        }
    )
    pipeline = ColumnTransformer(
        [
            ("onehot", OneHotEncoder(sparse_output=False), ["ZONE"]),
            ("impute", SimpleImputer(add_indicator=True), ["LOT_AREA", "LOT"]),
        ]
    ).fit(raw)
    names = list(pipeline.get_feature_names_out())
    mapping = source_columns(names, raw.columns)
    assert mapping == {
        "onehot__ZONE_a": "ZONE",
        "onehot__ZONE_b": "ZONE",
        "onehot__ZONE_c": "ZONE",
        "impute__LOT_AREA": "LOT_AREA",
        "impute__LOT": "LOT",
        "impute__missingindicator_LOT_AREA": "LOT_AREA",
    }
    values = pd.DataFrame([np.arange(len(names), dtype=float)], columns=names)
    grouped = group(values, mapping)
    assert list(grouped.columns) == ["ZONE", "LOT_AREA", "LOT"]
    assert grouped.iloc[0].tolist() == [0 + 1 + 2, 3 + 5, 4]


def test_declared_sources_win_over_the_name_guess():
    assert source_columns(["x1"], ["ZONE", "x"], {"x1": "ZONE"}) == {"x1": "ZONE"}


def test_chosen_rows_always_include_the_worst():
    labels = pd.Index(range(100, 150))
    errors = pd.Series(np.arange(50.0), index=labels)
    chosen, worst = choose_rows(labels, errors, count=10, worst=3, seed=0)
    assert worst == [149, 148, 147]
    assert len(chosen) == 10 and set(worst) <= set(chosen)


def test_beeswarm_of_a_column_missing_in_every_row_draws_without_warning():
    import warnings
    from types import SimpleNamespace

    import matplotlib.pyplot as plt
    from kerasplug_housing.figures import shap_beeswarm

    rng = np.random.default_rng(0)
    values = pd.DataFrame(rng.normal(size=(20, 2)), columns=["LOT", "POOL_QC"])
    data = np.column_stack([rng.normal(size=20), np.full(20, np.nan)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fig = shap_beeswarm(SimpleNamespace(values=values, base_value=0.0), data)
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} == {"LOT", "POOL_QC"}
    plt.close(fig)
