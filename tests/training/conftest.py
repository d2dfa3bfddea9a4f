"""Trained runs shared by the training tests: made once per session, small and fast."""

from __future__ import annotations

import pytest
from kerasplug_housing import REPORTING_PLUGINS

from kerasplug import hookimpl
from tests.helpers import EXAMPLES, FAST

#: Plugins that explain and report; these tests do not need their (slow) output.
REPORTING = ("housing.eda", *REPORTING_PLUGINS)


class ExpensiveHouses:
    """A local plugin: Boston with a binary target, whether the price is above the median."""

    @hookimpl(tryfirst=True)
    def load_data(self):
        from kerasplug_housing.data import load_boston_frame

        frame = load_boston_frame()
        price = frame.pop("MEDV")
        frame["expensive"] = (price > price.median()).map({True: "yes", False: "no"})
        return frame


def train(tmp_path_factory, name, overrides, plugins=()):
    from kerasplug import Trainer

    run_dir = tmp_path_factory.mktemp("runs") / name
    trainer = Trainer(
        EXAMPLES / "housing" / "boston.toml",
        overrides=[*FAST, "model.hidden=[16]", "model.ensemble=1", "train.verbose=0", *overrides],
        plugins=plugins,
        disable=REPORTING,
        run_dir=run_dir,
        third_party=False,
    )
    return trainer.run()


@pytest.fixture(scope="session")
def kfold_ensemble_run(tmp_path_factory):
    """3-fold cross-validation of a 2-member ensemble, each fold stopped by a target value; the
    plateau schedule watches a metric (`val_mse`), not the loss."""
    return train(
        tmp_path_factory,
        "kfold",
        [
            "split.folds=3",
            "model.ensemble=2",
            "train.schedule=plateau",
            "train.plateau_monitor=val_mse",
            "early_stopping.stop_when=val_loss < 1000",
        ],
    )


@pytest.fixture(scope="session")
def binary_run(tmp_path_factory):
    """A binary target derived from Boston, a 2-member ensemble, balanced class weights and
    a cosine schedule."""
    return train(
        tmp_path_factory,
        "binary",
        [
            "data.target=expensive",
            "data.task=binary",
            "model.ensemble=2",
            "train.class_weight=balanced",
            "train.schedule=cosine",
            "model.optimizer=adamw",
            "train.steps_per_execution=2",
            "early_stopping.monitor=val_accuracy",
        ],
        plugins=[ExpensiveHouses()],
    )
