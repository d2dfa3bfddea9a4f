"""Row splits: a shuffled holdout with a validation part."""

from __future__ import annotations

from typing import Any

from kerasplug import ConfigError, Option, Split, hookimpl


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "split": {
            "test_size": Option(
                0.2, float, "fraction of rows held out for testing", min=0.0, max=0.9
            ),
            "valid_size": Option(
                0.2,
                float,
                "fraction of the remaining rows used for validation",
                min=0.0,
                max=0.9,
            ),
            "shuffle": Option(True, bool, "shuffle rows before splitting"),
        }
    }


def holdout(n_rows: int, test_size: float, valid_size: float, seed: int, shuffle: bool) -> Split:
    """One train/valid/test split of `n_rows` positions."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(n_rows) if shuffle else np.arange(n_rows)
    n_test = round(n_rows * test_size)
    n_valid = round((n_rows - n_test) * valid_size)
    if n_rows - n_test - n_valid < 2:
        raise ConfigError(
            f"only {n_rows - n_test - n_valid} training rows are left of {n_rows}; lower "
            "split.test_size or split.valid_size, or use more data"
        )
    test, valid, train = np.split(order, [n_test, n_test + n_valid])
    return Split("holdout", np.sort(train), np.sort(valid), np.sort(test))


@hookimpl(trylast=True)
def make_splits(run: Any, frame: Any) -> list[Split]:
    cfg = run.config["split"]
    return [
        holdout(
            len(frame),
            cfg["test_size"],
            cfg["valid_size"],
            run.config["run"]["seed"],
            cfg["shuffle"],
        )
    ]
