"""A trained Boston run with explanations and the report, shared by the assessment tests."""

from __future__ import annotations

import pytest

from tests.helpers import EXAMPLES, FAST

#: Few explained rows and LIME samples keep the shared run quick; the methods are unchanged.
EXPLAIN_FAST = ["explain.rows=20", "explain.worst=2", "explain.lime_samples=300"]
#: The shared run trains one network rather than the example's seed ensemble, to stay quick
#: (the explainers' own tests cover ensembles and wide & deep networks).
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
