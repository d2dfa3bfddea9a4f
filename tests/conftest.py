"""Shared fixtures: trained runs are made once per session and shared by the tests."""

from __future__ import annotations

import os

import pytest

from tests.helpers import EXAMPLES, FAST

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def boston_run(tmp_path_factory: pytest.TempPathFactory):
    """One short training on the embedded Boston table through the Python API."""
    from kerasplug import Trainer

    run_dir = tmp_path_factory.mktemp("runs") / "boston"
    trainer = Trainer(
        EXAMPLES / "housing" / "boston.toml",
        overrides=FAST,
        run_dir=run_dir,
        third_party=False,
    )
    return trainer.run()
