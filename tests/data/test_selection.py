"""Feature selection on data whose right answer is known: noise out, the signal kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kerasplug_housing.transformers import FeatureSelector

from kerasplug import DataError


@pytest.fixture(scope="module")
def known():
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({f"noise{i}": rng.normal(size=n) for i in range(6)})
    frame["signal"] = rng.normal(size=n)
    frame["weak"] = rng.normal(size=n)
    y = 3 * frame["signal"] + 1.0 * frame["weak"] + 0.1 * rng.normal(size=n)
    return frame, y


def test_filter_drops_constant_near_duplicate_and_unrelated_columns(known):
    frame, y = known
    frame = frame.assign(const=1.0, twin=frame["signal"] * 2 + 0.001)
    selector = FeatureSelector(["filter"], max_corr=0.95, min_target_corr=0.2).fit(frame, y)
    kept = list(selector.get_feature_names_out())
    assert set(kept) == {"signal", "weak"} or set(kept) == {"twin", "weak"}
    assert (
        "const" in selector.dropped_ and "variance" in selector.dropped_["const"]
    ) or "one value" in selector.dropped_["const"]
    assert all(f"noise{i}" in selector.dropped_ for i in range(6))


@pytest.mark.parametrize(
    "settings",
    [
        {"methods": ["rfe"], "estimator": "linear", "n_features": 2},
        {"methods": ["rfe"], "estimator": "tree", "n_features": 2},
        {"methods": ["lasso"], "alpha": 0.1},
        {"methods": ["tree"], "importance_threshold": 1.0},
    ],
    ids=["rfe-linear", "rfe-tree", "lasso", "tree"],
)
def test_wrapper_and_embedded_methods_keep_the_informative_columns(known, settings):
    frame, y = known
    kept = set(FeatureSelector(**settings).fit(frame, y).get_feature_names_out())
    assert "signal" in kept
    assert not kept & {f"noise{i}" for i in range(6)}


def test_selecting_away_every_column_is_a_clear_error(known):
    frame, y = known
    with pytest.raises(DataError, match="removed every column"):
        FeatureSelector(["filter"], min_target_corr=0.99).fit(frame, y)
