"""Data sources: `boston` (the embedded 506-row table), `csv` and `parquet` files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kerasplug import DataError, hookimpl


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


def read_table(path: str, kind: str) -> Any:
    """Read a user's CSV or Parquet file with one-line errors for the common failures."""
    import pandas as pd

    if not path:
        raise DataError(f"data.source = {kind!r} needs data.path: set it to your file")
    file = Path(path)
    if not file.is_file():
        raise DataError(f"data file {path!r} does not exist; check data.path")
    try:
        frame = pd.read_csv(file) if kind == "csv" else pd.read_parquet(file)
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {path!r} is empty; give a table with a header row") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"data file {path!r} could not be read as {kind}: {exc}") from None
    if frame.empty:
        raise DataError(f"data file {path!r} has no rows")
    return frame


@hookimpl(trylast=True)
def load_data(config: dict[str, Any]) -> Any:
    source = config["data"]["source"]
    if source == "boston":
        return load_boston_frame()
    if source in ("csv", "parquet"):
        return read_table(config["data"]["path"], source)
    return None
