"""Saving and safe loading of artifacts; trusted types come from plugins."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from kerasplug import UnsafeArtifactError, create_manager, hookimpl
from kerasplug.artifacts import (
    load_preprocessing,
    plugin_trusted_types,
    save_preprocessing,
)
from kerasplug.rundir import RunDir


class Doubler(TransformerMixin, BaseEstimator):
    def fit(self, x, y=None):
        return self

    def transform(self, x):
        return np.asarray(x) * 2


DOUBLER = f"{__name__}.Doubler"


class VouchesForDoubler:
    @hookimpl
    def trusted_types(self):
        return [DOUBLER]


@pytest.fixture
def saved(tmp_path):
    pipeline = Pipeline([("double", Doubler()), ("scale", StandardScaler())])
    pipeline.fit(np.arange(12.0).reshape(6, 2))
    save_preprocessing(RunDir(tmp_path), {"pipeline": pipeline})
    return tmp_path / "preprocessing.skops", pipeline


@pytest.mark.hook("trusted_types")
def test_a_type_loads_only_when_a_plugin_vouches_for_it(saved):
    path, pipeline = saved
    with pytest.raises(UnsafeArtifactError, match=f"no installed plugin vouches for: {DOUBLER}"):
        load_preprocessing(path, plugin_trusted_types(create_manager(third_party=False)))
    pm = create_manager(third_party=False, plugins=[("vouch", VouchesForDoubler())])
    assert DOUBLER in plugin_trusted_types(pm)
    loaded = load_preprocessing(path, plugin_trusted_types(pm))["pipeline"]
    x = np.ones((2, 2))
    np.testing.assert_array_equal(loaded.transform(x), pipeline.transform(x))


def test_a_pickle_in_place_of_the_skops_file_is_refused_without_running_it(tmp_path):
    class Payload:
        def __reduce__(self):
            return (open, (str(tmp_path / "payload-ran"), "w"))

    path = tmp_path / "preprocessing.skops"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(UnsafeArtifactError, match="not a skops file"):
        load_preprocessing(path)
    assert not (tmp_path / "payload-ran").exists()


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    run_dir = RunDir(tmp_path)
    run_dir.write_text("metrics.json", "old")
    with pytest.raises(RuntimeError), run_dir.atomic("metrics.json") as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert (tmp_path / "metrics.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
