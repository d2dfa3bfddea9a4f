"""Trained runs shared by the tests of saved runs, prediction, resuming and bad input."""

from __future__ import annotations

import pytest

from tests.helpers import FAST, builtins_except

#: The shipped plugins a run needs here; the others (explanations, plots, reports, TensorBoard
#: logs) only make it slower and are tested where they live.
ESSENTIAL = (
    "terminal",
    "housing.data",
    "housing.split",
    "housing.preprocess",
    "housing.model",
    "housing.stopping",
    "housing.metrics",
)


def slow_plugins() -> list[str]:
    """The other shipped plugins, by the names `-p no:NAME` accepts."""
    return builtins_except(*ESSENTIAL)


@pytest.fixture(scope="session")
def boston_saved(tmp_path_factory: pytest.TempPathFactory):
    """A short, completed run on the embedded Boston table, and the table it was trained on."""
    from kerasplug_housing.data import load_boston_frame

    from kerasplug import Trainer

    run_dir = tmp_path_factory.mktemp("saved") / "boston"
    result = Trainer(
        None,
        overrides=[*FAST, "data.target=MEDV", "train.verbose=0"],
        run_dir=run_dir,
        disable=slow_plugins(),
        third_party=False,
    ).run()
    return result, load_boston_frame()
