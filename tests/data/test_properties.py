"""Random frames through the steps: a correct transform, or one of the documented errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kerasplug_housing import transformers as t
from kerasplug_housing.preprocess import build_steps, options
from sklearn.pipeline import Pipeline

from kerasplug import UsageError

DEFAULTS = {key: option.default for key, option in options().items()}
CELLS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.integers(-5, 5),
    st.sampled_from(["a", "b", "yes", "no", "1.5", ""]),
    st.booleans(),
)


@st.composite
def frames(draw):
    n_rows = draw(st.integers(1, 12))
    n_cols = draw(st.integers(1, 5))
    names = draw(
        st.lists(st.sampled_from(["p", "q", "r", "s", "t", "u"]), min_size=n_cols, max_size=n_cols)
    )
    columns = [draw(st.lists(CELLS, min_size=n_rows, max_size=n_rows)) for _ in range(n_cols)]
    frame = pd.DataFrame(dict(enumerate(columns)))
    frame.columns = names  # names may repeat: duplicate columns
    y = draw(st.lists(st.floats(-100, 100), min_size=n_rows, max_size=n_rows))
    return frame, pd.Series(y)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frames(), other=frames(), select=st.sampled_from([[], ["filter"]]))
def test_steps_transform_correctly_or_raise_a_documented_error(data, other, select):
    frame, y = data
    steps = build_steps({**DEFAULTS, "select": select}, seed=0)
    pipeline = Pipeline([(s.name, s.transformer) for s in steps]).set_output(transform="pandas")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", t.UnseenCategoryWarning)
            pipeline.fit(frame, y)
            # New rows: other values (unseen categories, NaN, inf) under the training names.
            new = other[0].set_axis(range(other[0].shape[1]), axis=1)
            new = new.reindex(columns=range(frame.shape[1]))
            new.columns = frame.columns
            out = pipeline.transform(new)
    except UsageError as error:
        assert "\n" not in str(error)
        return
    assert list(out.columns) == list(pipeline.get_feature_names_out())
    assert out.shape[0] == len(new)
    assert np.isfinite(out.to_numpy(dtype="float64")).all()
