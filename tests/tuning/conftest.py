"""Searches shared by the tuning tests: each is run once per session."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, FAST, run_cli

#: Trials of a few seconds: a tiny network trained for two epochs, nothing explained.
TINY = [
    *FAST,
    "train.epochs=2",
    "train.verbose=0",
    'tune.trial_overrides=["explain.methods=[]", "eda.enabled=false"]',
]
#: Reporting plugins whose figures these tests do not look at.
DISABLE = [
    "housing.tensorboard",
    "housing.plots",
    "housing.report_html",
    "housing.agreement",
    "housing.diagnosis",
]


def search(config: Path, overrides: list[str], run_dir: Path, plugins=()):
    """Run a search in-process; return (its Search object, its result, its printed output)."""
    from kerasplug import Trainer
    from kerasplug.tuning import Search

    out = io.StringIO()
    base = Trainer(
        config,
        overrides=[*TINY, *overrides],
        plugins=plugins,
        disable=DISABLE,
        third_party=False,
        out=out,
    )
    found = Search(base, run_dir=run_dir)
    return found, found.run(), out.getvalue()


@pytest.fixture(scope="session")
def random_cli(tmp_path_factory: pytest.TempPathFactory):
    """`kerasplug tune` on the shipped example: a random search of two two-epoch trials."""
    run_dir = tmp_path_factory.mktemp("tune") / "random"
    args = [f"--set={o}" for o in [*FAST, "train.epochs=2", "tune.trials=2"]]
    result = run_cli(
        "tune",
        str(EXAMPLES / "housing" / "tune.toml"),
        "--run-dir",
        str(run_dir),
        *(f"-p=no:{name}" for name in DISABLE),
        *args,
    )
    return result, run_dir


@pytest.fixture(scope="session")
def bayesian_search(tmp_path_factory: pytest.TempPathFactory):
    """Keras Tuner's Bayesian optimisation: two random trials, then one from the GP."""
    return search(
        EXAMPLES / "housing" / "boston.toml",
        [
            "tune.method=bayesian",
            "tune.trials=3",
            "tune.initial_points=2",
            'tune.space={"train.learning_rate" = {low = 0.001, high = 0.05, log = true}, '
            '"model.hidden" = [[8], [16]]}',
        ],
        tmp_path_factory.mktemp("tune") / "bayesian",
    )
