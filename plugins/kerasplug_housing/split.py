"""Row splits: a shuffled holdout, (repeated) K-fold, or a time-ordered holdout.

Every split keeps a validation part carved out of its training rows (`split.valid_size`), which
early stopping and learning-rate schedules watch; the test part is never seen while fitting.
The core fits preprocessing on each split's training rows, so K-fold refits it in every fold.
"""

from __future__ import annotations

from typing import Any

from kerasplug import ConfigError, DataError, Option, Split, hookimpl


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "split": {
            "test_size": Option(
                0.2, float, "fraction of rows held out for testing (holdout)", min=0.0, max=0.9
            ),
            "valid_size": Option(
                0.2,
                float,
                "fraction of the remaining rows used for validation",
                min=0.0,
                max=0.9,
            ),
            "shuffle": Option(True, bool, "shuffle rows before splitting"),
            "folds": Option(0, int, "K-fold cross-validation with this many folds (0: holdout)"),
            "repeats": Option(1, int, "repetitions of K-fold, each with other folds", min=1),
            "time_column": Option(
                "", str, "hold out the latest rows by this date/year column ('': no time order)"
            ),
            "seed": Option(
                None,
                int,
                "seed of the row shuffles (unset: run.seed); fix it to keep the same splits "
                "while run.seed draws other networks",
            ),
        }
    }


@hookimpl
def configure(config: dict[str, Any]) -> None:
    cfg = config["split"]
    if cfg["folds"] == 1 or cfg["folds"] < 0:
        raise ConfigError(
            f"split.folds = {cfg['folds']} is not allowed; use at least 2 folds, or 0 for holdout"
        )
    if cfg["repeats"] > 1 and not cfg["folds"]:
        raise ConfigError(
            f"split.repeats = {cfg['repeats']} needs K-fold; set split.folds (e.g. 5) "
            "or split.repeats = 1"
        )
    if cfg["time_column"] and cfg["folds"]:
        raise ConfigError(
            f"split.time_column = {cfg['time_column']!r} makes a time-ordered holdout; "
            "set split.folds = 0"
        )


def _carve_valid(train: Any, valid_size: float, rng: Any) -> tuple[Any, Any]:
    """Split training positions into (train, valid) at random."""
    import numpy as np

    n_valid = round(len(train) * valid_size)
    order = rng.permutation(train)
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


def _check_train(n_train: int, n_rows: int) -> None:
    if n_train < 2:
        raise ConfigError(
            f"only {n_train} training rows are left of {n_rows}; lower split.test_size or "
            "split.valid_size, or use more data"
        )


def holdout(n_rows: int, test_size: float, valid_size: float, seed: int, shuffle: bool) -> Split:
    """One train/valid/test split of `n_rows` positions."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(n_rows) if shuffle else np.arange(n_rows)
    n_test = round(n_rows * test_size)
    n_valid = round((n_rows - n_test) * valid_size)
    _check_train(n_rows - n_test - n_valid, n_rows)
    test, valid, train = np.split(order, [n_test, n_test + n_valid])
    return Split("holdout", np.sort(train), np.sort(valid), np.sort(test))


def kfold(
    y: Any, folds: int, repeats: int, valid_size: float, seed: int, stratify: bool
) -> list[Split]:
    """`repeats` x `folds` splits; each fold is the test part once per repeat.

    Repeat `r` shuffles with seed `seed + r`, so the folds are reproducible and any other
    model can be scored on exactly the same ones. Classification targets are stratified.
    """
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold

    n_rows = len(y)
    if folds > n_rows:
        raise ConfigError(f"split.folds = {folds} is more than the {n_rows} rows; use fewer folds")
    splits = []
    for r in range(repeats):
        kind = StratifiedKFold if stratify else KFold
        splitter = kind(n_splits=folds, shuffle=True, random_state=seed + r)
        rng = np.random.default_rng(seed + r)
        for k, (train, test) in enumerate(splitter.split(np.zeros(n_rows), y), start=1):
            train, valid = _carve_valid(train, valid_size, rng)
            _check_train(len(train), n_rows)
            name = f"fold{k}" if repeats == 1 else f"repeat{r + 1}-fold{k}"
            splits.append(Split(name, train, valid, np.sort(test)))
    return splits


def _latest(order: Any, values: Any, size: float) -> int:
    """How many of the time-sorted positions `order` to take from the end for a `size` part.

    The cut moves back to the first row of its time value, so no time value is on both sides.
    """
    n_take = round(len(order) * size)
    if n_take == 0:
        return 0
    cut = len(order) - n_take
    while cut > 0 and values[order[cut - 1]] == values[order[cut]]:
        cut -= 1
    return len(order) - cut


def time_holdout(times: Any, test_size: float, valid_size: float) -> Split:
    """Train on the earliest rows, validate on later ones, test on the latest ones."""
    import numpy as np

    if times.isna().any():
        raise DataError(
            f"split.time_column {times.name!r} has {int(times.isna().sum())} missing values; "
            "fill or drop those rows"
        )
    values = times.to_numpy()
    order = np.argsort(values, kind="stable")
    n_test = _latest(order, values, test_size)
    rest = order[: len(order) - n_test]
    n_valid = _latest(rest, values, valid_size)
    train, valid = rest[: len(rest) - n_valid], rest[len(rest) - n_valid :]
    _check_train(len(train), len(order))
    return Split("time-holdout", np.sort(train), np.sort(valid), np.sort(order[len(rest) :]))


@hookimpl(trylast=True)
def make_splits(run: Any, frame: Any, target: str) -> list[Split]:
    cfg = run.config["split"]
    seed = run.config["run"]["seed"] if cfg["seed"] is None else cfg["seed"]
    if cfg["time_column"]:
        column = cfg["time_column"]
        if column not in frame.columns:
            raise ConfigError(
                f"split.time_column = {column!r} is not a column of the table; name a date or "
                "year column"
            )
        split = time_holdout(frame[column], cfg["test_size"], cfg["valid_size"])
        if len(split.test):
            first = frame[column].iloc[split.test].min()
            run.echo(f"time-ordered holdout by {column!r}: the test rows are {first} or later")
        return [split]
    if cfg["folds"]:
        return kfold(
            frame[target].to_numpy(),
            cfg["folds"],
            cfg["repeats"],
            cfg["valid_size"],
            seed,
            stratify=run.task != "regression",
        )
    return [holdout(len(frame), cfg["test_size"], cfg["valid_size"], seed, cfg["shuffle"])]
