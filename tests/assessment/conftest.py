"""A trained Boston run with explanations and the report, shared by the assessment tests."""

from __future__ import annotations

import pytest

from tests.helpers import EXAMPLES, FAST

#: Few explained rows and LIME samples keep the shared run quick; the methods are unchanged.
EXPLAIN_FAST = ["explain.rows=20", "explain.worst=2", "explain.lime_samples=300"]
#: LRP covers a single Dense/ReLU chain; the example's seed ensemble (an Average of branches)
#: is skipped by it with a warning, so the shared run trains one network.
SINGLE = ["model.ensemble=1"]


@pytest.fixture(scope="session")
def explained_run(tmp_path_factory: pytest.TempPathFactory):
    from kerasplug import Trainer

    run_dir = tmp_path_factory.mktemp("assessment") / "boston"
    trainer = Trainer(
        EXAMPLES / "housing" / "boston.toml",
        overrides=[*FAST, *EXPLAIN_FAST, *SINGLE, "train.verbose=0"],
        run_dir=run_dir,
        third_party=False,
    )
    return trainer.run()
