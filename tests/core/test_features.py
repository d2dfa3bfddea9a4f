"""Feature extraction goes through the `extract_features` hook."""

from __future__ import annotations

import pandas as pd
import pytest

from kerasplug import RunContext, UsageError, create_manager, hookimpl
from kerasplug.features import extract


@pytest.mark.hook("extract_features")
def test_the_first_answer_is_returned_and_no_answer_is_a_clear_error():
    class Identity:
        @hookimpl(tryfirst=True)
        def extract_features(self, x, layers):
            return x.add_prefix(f"{'+'.join(layers) or 'all'}_")

    x = pd.DataFrame({"a": [1.0, 2.0]})
    pm = create_manager(third_party=False, plugins=[("identity", Identity())])
    frame = extract(RunContext(config={}, pm=pm), model=None, x=x, layers=["dense"])
    assert list(frame.columns) == ["dense_a"]

    pm = create_manager(third_party=False, disable=["housing.features"])
    with pytest.raises(UsageError, match="no plugin answered extract_features"):
        extract(RunContext(config={}, pm=pm), model=None, x=x)
