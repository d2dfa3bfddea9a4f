"""The housing preprocessing steps as scikit-learn transformers (imported lazily: heavy).

Every class follows scikit-learn's rules: `__init__` only stores its arguments, learned state
ends in `_`, `fit` returns `self`, `get_feature_names_out` names the output columns and
`set_output(transform="pandas")` is honoured. Learned state is kept in plain dicts, lists and
floats so that skops saves and reloads it without executing code (see `TRUSTED_TYPES`).

Each class also offers `column_notes()`: which input columns it dropped and why, and which
output columns it derived from which inputs. `preprocessing.json` is assembled from them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import QuantileTransformer

from kerasplug.errors import ConfigError, DataError

YES = ("yes", "y", "true", "t")
NO = ("no", "n", "false", "f")
MISSING_LABEL = "(missing)"


class UnseenCategoryWarning(UserWarning):
    """A category that never occurred in the training rows was met at transform time."""


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`, ... if it is already taken; the result is added."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


class FrameTransformer(TransformerMixin, BaseEstimator):
    """Shared plumbing: frames in, frames out, the columns seen in `fit` checked in `transform`."""

    def _frame(self, X: Any, fitting: bool) -> pd.DataFrame:
        frame = X.copy() if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        frame.columns = [str(c) for c in frame.columns]
        if frame.columns.duplicated().any():
            dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise DataError(f"the table has duplicate column names {dupes}; rename them")
        if fitting:
            if frame.empty:
                raise DataError("there are no training rows or no feature columns to fit on")
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
            self.n_features_in_ = frame.shape[1]
            return frame
        expected = list(self.feature_names_in_)
        missing = [c for c in expected if c not in frame.columns]
        if missing:
            raise DataError(f"columns {missing[:5]} seen in training are missing; add them back")
        return frame[expected]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)

    def column_notes(self) -> dict[str, Any]:
        """`{"dropped": {column: reason}, "derived": {output: {"from": [...], "how": ...}}}`."""
        return {"dropped": dict(getattr(self, "dropped_", {})), "derived": {}}


# --- typing ----------------------------------------------------------------------------------


class ColumnTyper(FrameTransformer):
    """Decides for each column whether it is numeric, a yes/no flag or categorical.

    Numbers stay numbers (non-finite values become missing), yes/no text and booleans become
    0/1, number-like text becomes numbers, any other text is categorical. Integer columns with
    more than two and at most `max_int_categories` distinct values are categorical (codes such
    as a zoning class); `categorical` and `numeric` override the guess per column.
    """

    def __init__(
        self,
        categorical: Sequence[str] = (),
        numeric: Sequence[str] = (),
        max_int_categories: int = 0,
    ) -> None:
        self.categorical = categorical
        self.numeric = numeric
        self.max_int_categories = max_int_categories

    def fit(self, X: Any, y: Any = None) -> ColumnTyper:
        frame = self._frame(X, fitting=True)
        for key, names in (("categorical", self.categorical), ("numeric", self.numeric)):
            unknown = [n for n in names if n not in frame.columns]
            if unknown:
                raise ConfigError(
                    f"preprocess.{key} names {unknown} which are not feature columns; "
                    f"remove them (columns: {', '.join(list(frame.columns)[:8])}, ...)"
                )
        self.kinds_ = {column: self._kind(column, frame[column]) for column in frame.columns}
        self.feature_names_out_ = list(frame.columns)
        return self

    def _kind(self, column: str, series: pd.Series) -> str:
        if column in self.categorical:
            return "categorical"
        if column in self.numeric:
            return "numeric"
        if pd.api.types.is_bool_dtype(series):
            return "flag"
        values = series.dropna()
        if is_numeric(series):
            finite = values[np.isfinite(values.astype("float64"))]
            integral = bool((finite == np.round(finite)).all())
            distinct = finite.nunique()
            return (
                "categorical" if integral and 2 < distinct <= self.max_int_categories else "numeric"
            )
        text = values.map(lambda v: str(v).strip().lower())
        if len(text) and text.isin(YES + NO).all():
            return "flag"
        if len(values) and pd.to_numeric(values, errors="coerce").notna().all():
            return "numeric"
        return "categorical"

    def transform(self, X: Any) -> pd.DataFrame:
        frame = self._frame(X, fitting=False)
        out = {column: self._convert(frame[column], self.kinds_[column]) for column in frame}
        return pd.DataFrame(out, index=frame.index)

    @staticmethod
    def _convert(series: pd.Series, kind: str) -> pd.Series:
        if kind == "categorical":
            return pd.Series(
                [None if pd.isna(v) else _label(v) for v in series],
                index=series.index,
                dtype=object,
            )
        if kind == "flag":
            if pd.api.types.is_bool_dtype(series):
                return series.astype("float64")
            text = series.map(lambda v: v if pd.isna(v) else str(v).strip().lower())
            return pd.Series(
                np.where(text.isin(YES), 1.0, np.where(text.isin(NO), 0.0, np.nan)),
                index=series.index,
            )
        if pd.api.types.is_bool_dtype(series):
            series = series.astype("float64")
        values = pd.to_numeric(series, errors="coerce").astype("float64")
        return values.where(np.isfinite(values))

    def column_notes(self) -> dict[str, Any]:
        return {"dropped": {}, "derived": {}, "kinds": dict(self.kinds_)}


def _label(value: Any) -> str:
    """A category's label: 20.0 and 20 and "20" are the same category."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- outliers --------------------------------------------------------------------------------


class OutlierHandler(FrameTransformer):
    """Finds per-column bounds on the training rows and clips or flags values beyond them.

    `rule="sigma"`: mean ± threshold·std; `rule="iqr"`: quartiles ± threshold·IQR. Only numeric
    columns with more than two distinct values are checked (0/1 flags have no outliers).
    `action="clip"` clips to the bounds, `"flag"` adds `<col>_outlier` (0/1) for the columns
    that had outliers in training, `"drop"` leaves values as they are: the training rows
    themselves are removed before fitting (see `outside`), never rows to be predicted.
    """

    def __init__(self, rule: str = "sigma", threshold: float = 3.0, action: str = "clip") -> None:
        self.rule = rule
        self.threshold = threshold
        self.action = action

    def fit(self, X: Any, y: Any = None) -> OutlierHandler:
        frame = self._frame(X, fitting=True)
        self.bounds_: dict[str, list[float]] = {}
        self.counts_: dict[str, int] = {}
        for column in frame.columns:
            series = frame[column]
            if not is_numeric(series):
                continue
            values = series[np.isfinite(series.astype("float64"))].astype("float64")
            if values.nunique() <= 2:
                continue
            if self.rule == "iqr":
                q1, q3 = np.percentile(values, [25, 75])
                low, high = q1 - self.threshold * (q3 - q1), q3 + self.threshold * (q3 - q1)
            else:
                mean, std = float(values.mean()), float(values.std(ddof=0))
                low, high = mean - self.threshold * std, mean + self.threshold * std
            if not (math.isfinite(low) and math.isfinite(high)) or low == high:
                continue
            self.bounds_[column] = [float(low), float(high)]
            self.counts_[column] = int(((values < low) | (values > high)).sum())
        taken = set(frame.columns)
        self.flags_ = {
            column: unique_name(f"{column}_outlier", taken)
            for column, count in self.counts_.items()
            if count and self.action == "flag"
        }
        self.feature_names_out_ = [*frame.columns, *self.flags_.values()]
        return self

    def outside(self, X: Any) -> np.ndarray:
        """A boolean array: which rows have a value beyond the bounds in any column."""
        frame = self._frame(X, fitting=False)
        mask = np.zeros(len(frame), dtype=bool)
        for column, (low, high) in self.bounds_.items():
            values = frame[column].to_numpy(dtype="float64")
            mask |= (values < low) | (values > high)
        return mask

    def transform(self, X: Any) -> pd.DataFrame:
        frame = self._frame(X, fitting=False)
        flags = {}
        for column, (low, high) in self.bounds_.items():
            values = frame[column].astype("float64")
            if column in self.flags_:
                flags[self.flags_[column]] = ((values < low) | (values > high)).astype("float64")
            if self.action == "clip":
                frame[column] = values.clip(low, high)
        return pd.concat([frame, pd.DataFrame(flags, index=frame.index)], axis=1)

    def column_notes(self) -> dict[str, Any]:
        derived = {
            flag: {"from": [column], "how": f"outlier flag ({self.rule}, {self.threshold})"}
            for column, flag in self.flags_.items()
        }
        details = {
            column: {"outlier_bounds": bounds, "training_outliers": self.counts_[column]}
            for column, bounds in self.bounds_.items()
        }
        return {"dropped": {}, "derived": derived, "details": details}


# --- missing values --------------------------------------------------------------------------


class MissingHandler(FrameTransformer):
    """Fills missing values with statistics of the training rows; adds `<col>_missing` flags.

    Columns missing in more than `max_missing` of the training rows (or entirely) are dropped.
    Numeric columns are filled by `strategy` (mean, median, most_frequent or constant
    `fill_value`), categorical ones by `categorical_strategy`: "constant" makes missing its
    own category (so no indicator is added), "most_frequent" uses the commonest category.
    """

    def __init__(
        self,
        strategy: str = "median",
        fill_value: float = 0.0,
        categorical_strategy: str = "constant",
        max_missing: float = 0.5,
        indicators: bool = True,
    ) -> None:
        self.strategy = strategy
        self.fill_value = fill_value
        self.categorical_strategy = categorical_strategy
        self.max_missing = max_missing
        self.indicators = indicators

    def fit(self, X: Any, y: Any = None) -> MissingHandler:
        frame = self._frame(X, fitting=True)
        self.rates_ = {c: float(frame[c].isna().mean()) for c in frame.columns}
        self.dropped_ = {
            c: f"missing in {rate:.0%} of training rows (more than {self.max_missing:.0%})"
            for c, rate in self.rates_.items()
            if rate > self.max_missing or rate == 1.0
        }
        kept = [c for c in frame.columns if c not in self.dropped_]
        self.fills_ = {c: self._statistic(frame[c]) for c in kept}
        taken = set(kept)
        self.indicators_ = {
            c: unique_name(f"{c}_missing", taken)
            for c in kept
            if self.indicators
            and self.rates_[c] > 0
            and not (self._categorical(frame[c]) and self.categorical_strategy == "constant")
        }
        self.feature_names_out_ = [*kept, *self.indicators_.values()]
        return self

    @staticmethod
    def _categorical(series: pd.Series) -> bool:
        return not (is_numeric(series) or pd.api.types.is_bool_dtype(series))

    def _statistic(self, series: pd.Series) -> Any:
        values = series.dropna()
        if self._categorical(series):
            if self.categorical_strategy == "constant":
                return MISSING_LABEL
            return _label(values.astype(str).value_counts().index[0])
        values = values.astype("float64")
        if self.strategy == "mean":
            return float(values.mean())
        if self.strategy == "median":
            return float(values.median())
        if self.strategy == "most_frequent":
            return float(values.value_counts().sort_index(kind="stable").idxmax())
        return float(self.fill_value)

    def transform(self, X: Any) -> pd.DataFrame:
        frame = self._frame(X, fitting=False)
        out = {}
        for column, fill in self.fills_.items():
            series = frame[column]
            if isinstance(fill, str):
                series = series.astype(object)
            else:
                series = pd.to_numeric(series, errors="coerce").astype("float64")
            out[column] = series.where(series.notna(), fill)
        for column, name in self.indicators_.items():
            out[name] = frame[column].isna().astype("float64")
        return pd.DataFrame(out, index=frame.index)

    def column_notes(self) -> dict[str, Any]:
        derived = {
            name: {"from": [column], "how": "missing-value indicator"}
            for column, name in self.indicators_.items()
        }
        details = {
            c: {"missing_rate": self.rates_[c], "fill_value": fill}
            for c, fill in self.fills_.items()
            if self.rates_[c] > 0
        }
        return {"dropped": dict(self.dropped_), "derived": derived, "details": details}


# --- categories ------------------------------------------------------------------------------


class CategoryEncoder(FrameTransformer):
    """One-hot encodes the non-numeric columns; numeric columns pass through.

    Categories seen in fewer than `min_frequency` of the training rows (a share below 1, a
    count from 1) are grouped into one `<col>_rare` column. A category never seen in training
    gets all zeros and an `UnseenCategoryWarning`.
    """

    def __init__(self, min_frequency: float = 0.01) -> None:
        self.min_frequency = min_frequency

    def fit(self, X: Any, y: Any = None) -> CategoryEncoder:
        frame = self._frame(X, fitting=True)
        limit = self.min_frequency * len(frame) if self.min_frequency < 1 else self.min_frequency
        taken: set[str] = {c for c in frame.columns if is_numeric(frame[c])}
        self.columns_: dict[str, dict[str, str]] = {}
        self.rare_: dict[str, list[str]] = {}
        self.rare_names_: dict[str, str] = {}
        outputs: list[str] = []
        for column in frame.columns:
            if is_numeric(frame[column]):
                outputs.append(column)
                continue
            counts = self._labels(frame[column]).value_counts(sort=False)
            frequent = sorted(str(v) for v, n in counts.items() if n >= limit)
            self.columns_[column] = {v: unique_name(f"{column}_{v}", taken) for v in frequent}
            self.rare_[column] = sorted(str(v) for v, n in counts.items() if n < limit)
            outputs.extend(self.columns_[column].values())
            if self.rare_[column]:
                self.rare_names_[column] = unique_name(f"{column}_rare", taken)
                outputs.append(self.rare_names_[column])
        self.feature_names_out_ = outputs
        return self

    @staticmethod
    def _labels(series: pd.Series) -> pd.Series:
        return series.map(lambda v: MISSING_LABEL if pd.isna(v) else _label(v)).astype(object)

    def transform(self, X: Any) -> pd.DataFrame:
        frame = self._frame(X, fitting=False)
        blocks: list[np.ndarray] = []
        unseen: dict[str, list[str]] = {}
        for column in frame.columns:
            if column not in self.columns_:
                blocks.append(frame[column].to_numpy(dtype="float64")[:, None])
                continue
            labels = self._labels(frame[column])
            frequent = list(self.columns_[column])
            codes = pd.Categorical(labels.where(labels.isin(frequent)), categories=frequent).codes
            blocks.append((codes[:, None] == np.arange(len(frequent))).astype("float64"))
            rare = labels.isin(self.rare_[column]).to_numpy()
            if column in self.rare_names_:
                blocks.append(rare.astype("float64")[:, None])
            new = labels[(codes < 0) & ~rare]
            if len(new):
                unseen[column] = sorted(set(new))[:5]
        if unseen:
            warnings.warn(
                f"categories not seen in training were encoded as all zeros: {unseen}",
                UnseenCategoryWarning,
                stacklevel=2,
            )
        values = np.hstack(blocks) if blocks else np.empty((len(frame), 0))
        return pd.DataFrame(values, index=frame.index, columns=self.feature_names_out_)

    def column_notes(self) -> dict[str, Any]:
        derived: dict[str, Any] = {}
        for column, names in self.columns_.items():
            for value, name in names.items():
                derived[name] = {"from": [column], "how": f"one-hot: {column} == {value!r}"}
            if column in self.rare_names_:
                derived[self.rare_names_[column]] = {
                    "from": [column],
                    "how": f"one-hot: rare categories {self.rare_[column][:10]}",
                }
        return {"dropped": {}, "derived": derived}


# --- feature generation ----------------------------------------------------------------------


class FeatureGenerator(FrameTransformer):
    """Adds generated features of named numeric columns; all input columns pass through.

    `log`: `log_<col>` = log1p(max(col, 0)); `ratios` ("a/b"): `a_per_b` (0 where b is 0);
    `products` ("a*b"): `a_x_b`; `interactions`: all degree-2 products (squares included) of
    the listed columns.
    """

    def __init__(
        self,
        log: Sequence[str] = (),
        ratios: Sequence[str] = (),
        products: Sequence[str] = (),
        interactions: Sequence[str] = (),
    ) -> None:
        self.log = log
        self.ratios = ratios
        self.products = products
        self.interactions = interactions

    def fit(self, X: Any, y: Any = None) -> FeatureGenerator:
        frame = self._frame(X, fitting=True)
        taken = set(frame.columns)
        specs: list[list[str]] = []
        for column in self.log:
            specs.append(["log", column, "", unique_name(f"log_{column}", taken)])
        for key, separator, kind, word in (
            ("ratios", "/", "ratio", "per"),
            ("products", "*", "product", "x"),
        ):
            for text in getattr(self, key):
                a, b = parse_pair(text, separator, key)
                specs.append([kind, a, b, unique_name(f"{a}_{word}_{b}", taken)])
        columns = list(self.interactions)
        for i, a in enumerate(columns):
            for b in columns[i:]:
                name = f"{a}_sq" if a == b else f"{a}_x_{b}"
                specs.append(["product", a, b, unique_name(name, taken)])
        for kind, a, b, _ in specs:
            for column in (a, b) if b else (a,):
                if column not in frame.columns or not is_numeric(frame[column]):
                    raise ConfigError(
                        f"preprocess feature generation ({kind}) names {column!r}, which is not "
                        "a numeric feature at that point; check the name (or its data.drop)"
                    )
        self.specs_ = specs
        self.feature_names_out_ = [*frame.columns, *(s[3] for s in specs)]
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        frame = self._frame(X, fitting=False)
        out = {}
        for kind, a, b, name in self.specs_:
            x = frame[a].to_numpy(dtype="float64")
            if kind == "log":
                out[name] = np.log1p(np.clip(x, 0.0, None))
            elif kind == "ratio":
                z = frame[b].to_numpy(dtype="float64")
                out[name] = np.divide(x, z, out=np.zeros_like(x), where=z != 0)
            else:
                out[name] = x * frame[b].to_numpy(dtype="float64")
        return pd.concat([frame, pd.DataFrame(out, index=frame.index)], axis=1)

    def column_notes(self) -> dict[str, Any]:
        derived = {
            name: {"from": [a, b] if b else [a], "how": kind} for kind, a, b, name in self.specs_
        }
        return {"dropped": {}, "derived": derived}


def parse_pair(text: str, separator: str, key: str) -> tuple[str, str]:
    """Split "a/b" (or "a*b") into its two column names, or raise a one-line ConfigError."""
    parts = [p.strip() for p in text.split(separator)]
    if len(parts) != 2 or not all(parts):
        raise ConfigError(
            f"preprocess.{key} item {text!r} is not of the form 'a{separator}b'; name two columns"
        )
    return parts[0], parts[1]


# --- feature selection -----------------------------------------------------------------------

SELECTION_METHODS = ("filter", "rfe", "lasso", "tree")


class FeatureSelector(FrameTransformer):
    """Keeps a subset of the (numeric) columns, chosen on the training rows.

    Methods, applied in the order given:
    - "filter": drops columns by missing rate (> `max_missing`), share of the most frequent
      value (≥ `max_single_value`), variance (≤ `min_variance`), |correlation| with the
      target (< `min_target_corr`) and, of each pair correlated above `max_corr`, the one
      less correlated with the target;
    - "rfe" (wrapper): recursive feature elimination with a linear or tree `estimator` down to
      `n_features` (0: half);
    - "lasso" (embedded): keeps the columns with a non-zero L1 coefficient (`alpha`) on
      standardized data;
    - "tree" (embedded): keeps columns whose random-forest importance is at least
      `importance_threshold` times the mean importance.
    """

    def __init__(
        self,
        methods: Sequence[str] = ("filter",),
        max_missing: float = 1.0,
        max_single_value: float = 1.0,
        min_variance: float = 0.0,
        max_corr: float = 1.0,
        min_target_corr: float = 0.0,
        estimator: str = "linear",
        n_features: int = 0,
        alpha: float = 0.01,
        importance_threshold: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.methods = methods
        self.max_missing = max_missing
        self.max_single_value = max_single_value
        self.min_variance = min_variance
        self.max_corr = max_corr
        self.min_target_corr = min_target_corr
        self.estimator = estimator
        self.n_features = n_features
        self.alpha = alpha
        self.importance_threshold = importance_threshold
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> FeatureSelector:
        frame = self._frame(X, fitting=True)
        text = [c for c in frame.columns if not is_numeric(frame[c])]
        if text:
            raise DataError(
                f"feature selection needs numeric columns but {text[:5]} are not; encode them "
                "first (preprocess.select runs after one-hot encoding)"
            )
        unknown = [m for m in self.methods if m not in SELECTION_METHODS]
        if unknown:
            raise ConfigError(
                f"preprocess.select has unknown methods {unknown}; use {SELECTION_METHODS}"
            )
        target = None if y is None else _target_codes(y)
        self.regression_ = target is None or _is_regression(y)
        if target is None and any(m != "filter" for m in self.methods):
            raise DataError("feature selection by rfe, lasso or tree needs the training target")
        self.dropped_: dict[str, str] = {}
        kept = list(frame.columns)
        for method in self.methods:
            if not kept:
                break
            x = frame[kept].astype("float64")
            reasons = getattr(self, f"_{method}")(x, target)
            self.dropped_.update(reasons)
            kept = [c for c in kept if c not in reasons]
        if not kept:
            raise DataError(
                "feature selection removed every column; relax the preprocess.select settings"
            )
        self.feature_names_out_ = kept
        return self

    def _filter(self, x: pd.DataFrame, y: np.ndarray | None) -> dict[str, str]:
        reasons: dict[str, str] = {}
        target_corr = _target_correlations(x, y)
        for column in x.columns:
            values = x[column]
            missing = float(values.isna().mean())
            share = float(np.unique(values.to_numpy(), return_counts=True)[1].max()) / len(values)
            variance = float(values.var(ddof=0)) if values.notna().any() else 0.0
            if missing > self.max_missing:
                reasons[column] = f"filter: missing rate {missing:.2f} > {self.max_missing}"
            elif share >= self.max_single_value:
                reasons[column] = (
                    f"filter: one value in {share:.1%} of rows "
                    f"(at least {self.max_single_value:.1%})"
                )
            elif not variance > self.min_variance:
                reasons[column] = f"filter: variance {variance:.3g} <= {self.min_variance}"
            elif y is not None and target_corr[column] < self.min_target_corr:
                reasons[column] = (
                    f"filter: |correlation with target| {target_corr[column]:.3f} "
                    f"< {self.min_target_corr}"
                )
        rest = [c for c in x.columns if c not in reasons]
        if self.max_corr < 1.0 and len(rest) > 1:
            corr = x[rest].fillna(x[rest].mean()).corr().abs().fillna(0.0).to_numpy()
            # Visit columns most related to the target first, so the better of a pair stays.
            order = sorted(range(len(rest)), key=lambda i: -target_corr.get(rest[i], 0.0))
            kept: list[int] = []
            for i in order:
                partner = next((j for j in kept if corr[i, j] > self.max_corr), None)
                if partner is None:
                    kept.append(i)
                else:
                    reasons[rest[i]] = (
                        f"filter: |correlation| {corr[i, partner]:.3f} with {rest[partner]!r} "
                        f"> {self.max_corr}"
                    )
        return reasons

    def _rfe(self, x: pd.DataFrame, y: np.ndarray) -> dict[str, str]:
        from sklearn.feature_selection import RFE

        target = self.n_features or max(1, x.shape[1] // 2)
        if target >= x.shape[1]:
            return {}
        rfe = RFE(self._model("rfe"), n_features_to_select=target, step=0.1)
        rfe.fit(_standardize(x), y)
        return {
            c: f"rfe ({self.estimator}): eliminated at rank {r}"
            for c, r in zip(x.columns, rfe.ranking_, strict=True)
            if r > 1
        }

    def _lasso(self, x: pd.DataFrame, y: np.ndarray) -> dict[str, str]:
        model = self._model("lasso")
        target = (y - y.mean()) / (y.std() or 1.0) if self.regression_ else y
        model.fit(_standardize(x), target)
        coef = np.abs(np.atleast_2d(model.coef_)).max(axis=0)
        return {
            c: f"lasso: L1 coefficient is zero (alpha {self.alpha})"
            for c, w in zip(x.columns, coef, strict=True)
            if w <= 1e-10
        }

    def _tree(self, x: pd.DataFrame, y: np.ndarray) -> dict[str, str]:
        model = self._model("tree")
        model.fit(x.fillna(x.mean()).to_numpy(), y)
        importances = model.feature_importances_
        limit = self.importance_threshold * float(importances.mean())
        return {
            c: f"tree: importance {w:.4f} < {limit:.4f}"
            for c, w in zip(x.columns, importances, strict=True)
            if w < limit
        }

    def _model(self, method: str) -> Any:
        from sklearn import ensemble, linear_model

        regression = self.regression_
        if method == "lasso":
            if regression:
                return linear_model.Lasso(alpha=self.alpha, max_iter=5000)
            return linear_model.LogisticRegression(
                penalty="l1", C=1.0 / max(self.alpha, 1e-12), solver="liblinear"
            )
        if method == "rfe" and self.estimator == "linear":
            return (
                linear_model.Ridge(alpha=1e-3) if regression else linear_model.LogisticRegression()
            )
        forest = ensemble.RandomForestRegressor if regression else ensemble.RandomForestClassifier
        return forest(n_estimators=100, max_depth=8, random_state=self.random_state, n_jobs=1)

    def transform(self, X: Any) -> pd.DataFrame:
        frame = self._frame(X, fitting=False)
        return frame[self.feature_names_out_]


def _target_codes(y: Any) -> np.ndarray:
    """The target as floats: numbers as they are, classes as integer codes."""
    values = pd.Series(np.asarray(y).ravel())
    if is_numeric(values):
        return values.to_numpy(dtype="float64")
    return pd.factorize(values.astype(str), sort=True)[0].astype("float64")


def _is_regression(y: Any) -> bool:
    """Numeric targets with many values, or any fractional one, are regression targets."""
    values = pd.Series(np.asarray(y).ravel())
    if not is_numeric(values):
        return False
    numbers = values.to_numpy(dtype="float64")
    return values.nunique() > 10 or not np.allclose(numbers, np.round(numbers))


def _standardize(x: pd.DataFrame) -> np.ndarray:
    values = x.fillna(x.mean()).to_numpy(dtype="float64")
    std = values.std(axis=0)
    return (values - values.mean(axis=0)) / np.where(std > 0, std, 1.0)


def _target_correlations(x: pd.DataFrame, y: np.ndarray | None) -> dict[str, float]:
    if y is None or np.std(y) == 0:
        return {c: 0.0 for c in x.columns}
    values = _standardize(x)
    target = (y - y.mean()) / y.std()
    corr = np.abs(values.T @ target) / len(target)
    return {c: float(v) for c, v in zip(x.columns, np.nan_to_num(corr), strict=True)}


# --- scaling ---------------------------------------------------------------------------------


class NormalQuantiles(QuantileTransformer):
    """Each feature mapped through its training quantiles onto a standard normal.

    scikit-learn's QuantileTransformer with a normal output and as many quantiles as training
    rows, up to 1000. Skew and outliers vanish, and a value beyond the training range maps to
    the nearest end (about ±5.2) instead of extrapolating, so a network meets no input far
    outside what it was trained on.
    """

    def __init__(
        self, *, n_quantiles: int = 1000, subsample: int = 10_000, random_state: Any = None
    ) -> None:
        super().__init__(
            n_quantiles=n_quantiles,
            output_distribution="normal",
            subsample=subsample,
            random_state=random_state,
        )

    def fit(self, X: Any, y: Any = None) -> NormalQuantiles:
        # With fewer rows than quantiles scikit-learn uses one per row, as wanted, and warns.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "n_quantiles .* greater than", UserWarning)
            return super().fit(X, y)


# --- target ----------------------------------------------------------------------------------


class LogTransform(TransformerMixin, BaseEstimator):
    """log1p of a target (for skewed prices), inverted with expm1 at prediction."""

    def fit(self, X: Any, y: Any = None) -> LogTransform:
        values = np.asarray(X, dtype="float64")
        if (values <= -1).any():
            raise DataError(
                f"preprocess.log_target needs target values above -1 (found {values.min():g}); "
                "set it to false"
            )
        self.n_features_in_ = values.shape[1] if values.ndim == 2 else 1
        return self

    def transform(self, X: Any) -> np.ndarray:
        return np.log1p(np.asarray(X, dtype="float64"))

    def inverse_transform(self, X: Any) -> np.ndarray:
        return np.expm1(np.asarray(X, dtype="float64"))


class TargetRange(TransformerMixin, BaseEstimator):
    """Keeps predictions inside the training targets' range, as a tree ensemble's are.

    `transform` leaves the target as it is; `inverse_transform` clips to [low_, high_], the
    smallest and largest training target. For a target capped in the data (Boston's MEDV at
    50), a prediction beyond the cap can only add error.
    """

    def fit(self, X: Any, y: Any = None) -> TargetRange:
        values = np.asarray(X, dtype="float64")
        self.n_features_in_ = values.shape[1] if values.ndim == 2 else 1
        self.low_, self.high_ = float(np.min(values)), float(np.max(values))
        return self

    def transform(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype="float64")

    def inverse_transform(self, X: Any) -> np.ndarray:
        return np.clip(np.asarray(X, dtype="float64"), self.low_, self.high_)


#: Every class above that can appear in a saved `preprocessing.skops`.
TRUSTED_TYPES = [
    f"{__name__}.{cls.__name__}"
    for cls in (
        ColumnTyper,
        OutlierHandler,
        MissingHandler,
        CategoryEncoder,
        FeatureGenerator,
        FeatureSelector,
        NormalQuantiles,
        LogTransform,
        TargetRange,
    )
]
