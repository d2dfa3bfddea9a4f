"""Data sources: Ames, keras_boston (from a cache file, never downloaded), files and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kerasplug_housing import data

from kerasplug import DataError
from tests.data.conftest import train


@pytest.mark.hook("load_data")
def test_ames_keeps_text_categories_and_missing_values():
    frame = data.load_data(config={"data": {"source": "ames"}})
    assert frame.shape == (2930, 82)
    assert frame.attrs["target"] == "price"
    text = [c for c in frame if not pd.api.types.is_numeric_dtype(frame[c])]
    assert len(text) == 43
    assert int((frame.isna().sum() > 0).sum()) == 27


def fake_keras_file(folder):
    """A boston_housing.npz of the real file's layout: x (n, 13) floats, y (n,)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 13))
    x[:, 0] = np.arange(50)  # row ids, to follow rows through the shuffle
    y = rng.uniform(5, 50, size=50)
    (folder / "datasets").mkdir(parents=True)
    np.savez(folder / "datasets" / "boston_housing.npz", x=x, y=y)
    return x, y


def test_keras_boston_reads_the_cache_and_splits_exactly_like_keras(tmp_path, monkeypatch):
    import keras
    from keras.src.datasets import boston_housing

    fake_keras_file(tmp_path)
    frame = data.load_keras_boston(str(tmp_path))
    assert list(frame.columns) == [*data.BOSTON_COLUMNS, "MEDV"]
    # Keras's own loader on the same file (its download replaced by the file: no network).
    monkeypatch.setattr(
        boston_housing,
        "get_file",
        lambda *a, **k: str(tmp_path / "datasets" / "boston_housing.npz"),
    )
    (x_train, y_train), (x_test, _) = keras.datasets.boston_housing.load_data()
    cut = frame.attrs[data.TEST_FROM]
    assert cut == len(x_train) == 40
    np.testing.assert_array_equal(frame.iloc[:cut, :13].to_numpy(), x_train)
    np.testing.assert_array_equal(frame.iloc[cut:, :13].to_numpy(), x_test)
    np.testing.assert_array_equal(frame["MEDV"].iloc[:cut].to_numpy(), y_train)


@pytest.mark.hook("make_splits")
def test_keras_boston_runs_with_the_standard_test_rows(tmp_path):
    fake_keras_file(tmp_path / "cache")
    result = train(
        {"data": {"source": "keras_boston", "keras_cache_dir": str(tmp_path / "cache")}},
        tmp_path / "run",
    )
    predictions = result.predictions
    test_rows = set(predictions.loc[predictions["split"] == "test", "row"])
    assert test_rows == set(range(40, 50))
    assert len(predictions) == 50


def test_keras_boston_without_file_or_network_says_what_to_do(tmp_path):
    import socket

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", no_network)
        with pytest.raises(DataError, match="place the file in the Keras cache"):
            data.load_keras_boston(str(tmp_path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist; check data.path"),
        ("", "is empty"),
        ("a,b,MEDV\n", "has no rows"),
        ("a,a,MEDV\n1,2,3\n", r"duplicate column names \['a'\]"),
    ],
    ids=["missing", "empty-file", "no-rows", "duplicate-columns"],
)
def test_csv_errors_are_one_clear_line(tmp_path, content, message):
    path = tmp_path / "table.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        data.read_table(str(path), "csv")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("column", "task", "message"),
    [
        (
            "MEDVV",
            "auto",
            r"data.target = 'MEDVV' is not a column of the table \(did you mean 'MEDV'",
        ),
        ("text", "regression", "the target 'text' is not numeric"),
        ("empty", "auto", "'empty'"),
    ],
    ids=["unknown-target", "text-target", "all-missing-target"],
)
def test_target_errors_name_the_problem(tmp_path, column, task, message):
    frame = pd.DataFrame({"x": np.arange(20.0), "MEDV": np.arange(20.0)})
    if column == "text":
        frame["text"] = ["a", "b"] * 10
    if column == "empty":
        frame["empty"] = np.nan
    frame.to_parquet(tmp_path / "t.parquet")
    path = str(tmp_path / "t.parquet")
    config = {"data": {"source": "parquet", "path": path, "target": column, "task": task}}
    with pytest.raises(DataError, match=message) as info:
        train(config, tmp_path / "run")
    assert "\n" not in str(info.value)
