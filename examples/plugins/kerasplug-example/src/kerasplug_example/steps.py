"""The example's preprocessing step: a scikit-learn transformer (imports scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class Winsorizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip each column to its `quantile` and `1 - quantile` quantiles, learned in `fit`.

    Fitted on training rows only (the core sees to that), so an extreme value in the test
    rows is clipped to a bound that the training rows set: no leak.
    """

    def __init__(self, quantile: float = 0.01) -> None:
        self.quantile = quantile

    def fit(self, X: Any, y: Any = None) -> Winsorizer:
        if not 0.0 <= self.quantile < 0.5:
            raise ValueError(f"quantile = {self.quantile!r} must be in [0, 0.5)")
        values = validate_data(self, X, dtype="float64", ensure_all_finite="allow-nan")
        self.lower_ = np.nanquantile(values, self.quantile, axis=0)
        self.upper_ = np.nanquantile(values, 1.0 - self.quantile, axis=0)
        return self

    def transform(self, X: Any) -> Any:
        check_is_fitted(self, ("lower_", "upper_"))
        values = validate_data(self, X, dtype="float64", ensure_all_finite="allow-nan", reset=False)
        return np.clip(values, self.lower_, self.upper_)
