"""Trained runs shared by the transfer tests: one staged run and one run started from it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kerasplug_housing import REPORTING_PLUGINS

from kerasplug import Trainer, hookimpl

#: A Boston run in three stages on an MLP with batch normalization: the head alone on a frozen
#: base, gradual unfreezing (one more block per epoch), then everything at a lower rate.
STAGED = {
    "model": {"hidden": [16, 8], "batch_norm": True},
    "train": {"batch_size": 64, "verbose": 0},
    "early_stopping": {"enabled": False},
    "stages": [
        {"name": "head", "epochs": 2, "learning_rate": 0.01, "train_last": 1},
        {
            "name": "gradual",
            "epochs": 2,
            "learning_rate": 0.005,
            "train_last": 2,
            "unfreeze_every": 1,
        },
        {"name": "all", "epochs": 2, "learning_rate": 0.002},
    ],
}
#: Exploration, explanation and reporting plugins: not what these tests are about, and slow.
QUIET = ["housing.eda", *REPORTING_PLUGINS]


class Recorder:
    """Records each stage's weights before and after it, trainability and learning rates."""

    def __init__(self) -> None:
        self.before: dict[str, dict[str, list[Any]]] = {}
        self.after: dict[str, dict[str, list[Any]]] = {}
        self.trainable: dict[str, dict[str, bool]] = {}
        self.rates: dict[str, list[float]] = {}

    @staticmethod
    def weights(model: Any) -> dict[str, list[Any]]:
        return {layer.name: [np.array(w) for w in layer.get_weights()] for layer in model.layers}

    @hookimpl
    def before_fit(self, model: Any, stage: Any) -> None:
        self.before[stage.name] = self.weights(model)
        self.trainable[stage.name] = {layer.name: layer.trainable for layer in model.layers}

    @hookimpl
    def on_epoch_end(self, run: Any, stage: Any) -> None:
        rate = run.model.optimizer.learning_rate
        self.rates.setdefault(stage.name, []).append(float(np.asarray(rate)))

    @hookimpl
    def after_fit(self, model: Any, stage: Any) -> None:
        self.after[stage.name] = self.weights(model)


class Scaling:
    """Standard scaling of features and target (the housing.preprocess plugin is disabled).

    Only scikit-learn types are saved, so a later run can reuse them without vouching for any
    plugin's own transformer classes.
    """

    @hookimpl
    def preprocessing_steps(self) -> list[Any]:
        from sklearn.preprocessing import StandardScaler

        from kerasplug import Step

        return [Step("scale", StandardScaler(), order=700)]

    @hookimpl
    def target_transformer(self) -> Any:
        from sklearn.preprocessing import StandardScaler

        return StandardScaler()


@pytest.fixture(scope="session")
def staged_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Recorder]:
    recorder = Recorder()
    result = Trainer(
        STAGED,
        plugins=[("recorder", recorder), ("scaling", Scaling())],
        disable=[*QUIET, "housing.preprocess"],
        run_dir=tmp_path_factory.mktemp("runs") / "staged",
        third_party=False,
    ).run()
    return result, recorder


@pytest.fixture(scope="session")
def transferred_run(tmp_path_factory, staged_run) -> tuple[Any, Recorder]:
    """A run started from the staged run's network with a new head, trained on a frozen base."""
    recorder = Recorder()
    config = {
        "train": {"batch_size": 64, "verbose": 0},
        "early_stopping": {"enabled": False},
        "transfer": {"init_from": str(staged_run[0].run_dir), "replace_head": True},
        "stages": [{"name": "head", "epochs": 2, "learning_rate": 0.01, "train_last": 1}],
    }
    result = Trainer(
        config,
        plugins=[("recorder", recorder)],
        disable=[*QUIET, "housing.preprocess"],
        run_dir=tmp_path_factory.mktemp("runs") / "transferred",
        third_party=False,
    ).run()
    return result, recorder
