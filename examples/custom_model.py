"""Your own Keras model in kerasplug: a Sequential built with `keras.Input` and `add()`.

The model is answered through the `build_model` hook by a plugin object registered with the
Python API; `[[stages]]` first train its head with the first block frozen, then everything at
a lower rate. The first stage's layer table (trainable and frozen) is in layers.txt.

    python examples/custom_model.py [--epochs 20] [--run-dir runs/custom]
"""

from __future__ import annotations

import argparse
from typing import Any

from kerasplug import Trainer, hookimpl


class MyModel:
    """A plugin that answers `build_model` with a hand-written Sequential network."""

    @hookimpl(tryfirst=True)
    def build_model(self, n_features: int) -> Any:
        import keras

        model = keras.Sequential(name="my_model")
        model.add(keras.Input(shape=(n_features,), name="features"))
        model.add(keras.layers.Dense(32, activation="relu", name="block1_dense"))
        model.add(keras.layers.BatchNormalization(name="block1_norm"))
        model.add(keras.layers.Dense(16, activation="relu", name="block2_dense"))
        model.add(keras.layers.Dense(1, name="price"))
        model.summary()
        return model


def main() -> None:
    parser = argparse.ArgumentParser(description="train your own Sequential model")
    parser.add_argument("--epochs", type=int, default=20, help="epochs of each stage")
    parser.add_argument("--run-dir", default=None, help="the run directory")
    args = parser.parse_args()
    config = {
        "run": {"name": "custom"},
        "train": {"batch_size": 64, "verbose": 0},
        "stages": [
            {
                "name": "frozen_block1",
                "epochs": args.epochs,
                "learning_rate": 1e-2,
                "freeze_regex": "^block1_",
            },
            {"name": "all", "epochs": args.epochs, "learning_rate": 1e-3},
        ],
    }
    result = Trainer(
        config, plugins=[("my_model", MyModel())], run_dir=args.run_dir, overwrite=True
    ).run()
    print(f"test RMSE {result.metrics['test']['rmse']:.3f}")
    print("epochs per stage:", result.history.groupby("stage", sort=False).size().to_dict())


if __name__ == "__main__":
    main()
