"""Fixtures of the data tests: trained runs shared by the session, with only the plugins the
data workflow needs (so that explainers and reporters of other modules cost nothing here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EXAMPLES, builtins_except

NEEDED = {
    "terminal",
    "housing.data",
    "housing.split",
    "housing.preprocess",
    "housing.eda",
    "housing.model",
    "housing.training",  # the Ames example sets its learning-rate schedule
    "housing.stopping",
    "housing.metrics",
}
QUICK = [
    "train.epochs=2",
    "train.batch_size=128",
    "model.hidden=[8]",
    "train.verbose=0",
    "early_stopping.refit=false",
]


def others() -> list[str]:
    """Every built-in plugin this workflow does not need, to disable."""
    return builtins_except(*NEEDED)


def train(config: Any, run_dir: Path, overrides: list[str] = (), plugins: list[Any] = ()) -> Any:
    """One short run with the data workflow's plugins (and `plugins`) only."""
    from kerasplug import Trainer

    trainer = Trainer(
        config,
        overrides=[*QUICK, *overrides],
        plugins=plugins,
        disable=others(),
        run_dir=run_dir,
        third_party=False,
    )
    return trainer.run()


@pytest.fixture(scope="session")
def ames_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`examples/housing/ames.toml`, end to end, two epochs."""
    return train(EXAMPLES / "housing" / "ames.toml", tmp_path_factory.mktemp("runs") / "ames")
