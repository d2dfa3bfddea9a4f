"""The network: an MLP built from `[model]`, and its loss and optimizer."""

from __future__ import annotations

from typing import Any

from kerasplug import Option, hookimpl

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("auto", "mse", "mae", "huber")


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "model": {
            "hidden": Option([64, 64], list, "units of each hidden layer", item=int),
            "activation": Option("relu", str, "activation of the hidden layers"),
            "initializer": Option("he_normal", str, "kernel initializer of the hidden layers"),
            "batch_norm": Option(False, bool, "batch normalization after each hidden layer"),
            "dropout": Option(
                0.0, float, "dropout rate after each hidden layer", min=0.0, max=0.95
            ),
            "l1": Option(0.0, float, "L1 penalty on hidden kernels", min=0.0),
            "l2": Option(0.0, float, "L2 penalty on hidden kernels", min=0.0),
            "loss": Option("auto", str, "regression loss ('auto': mse)", choices=LOSSES),
            "optimizer": Option("adam", str, "optimizer", choices=OPTIMIZERS),
        }
    }


def build_mlp(n_features: int, task: str, n_classes: int, cfg: dict[str, Any]) -> Any:
    """A Sequential MLP starting from `keras.Input`, so `summary()` works before training."""
    import keras

    regularizer = (
        keras.regularizers.L1L2(l1=cfg["l1"], l2=cfg["l2"]) if cfg["l1"] or cfg["l2"] else None
    )
    model = keras.Sequential(name="mlp")
    model.add(keras.Input(shape=(n_features,), name="features"))
    for i, units in enumerate(cfg["hidden"], start=1):
        model.add(
            keras.layers.Dense(
                units,
                kernel_initializer=cfg["initializer"],
                kernel_regularizer=regularizer,
                name=f"dense_{i}",
            )
        )
        if cfg["batch_norm"]:
            model.add(keras.layers.BatchNormalization(name=f"batch_norm_{i}"))
        model.add(keras.layers.Activation(cfg["activation"], name=f"activation_{i}"))
        if cfg["dropout"]:
            model.add(keras.layers.Dropout(cfg["dropout"], name=f"dropout_{i}"))
    if task == "regression":
        model.add(keras.layers.Dense(1, name="output"))
    elif task == "binary":
        model.add(keras.layers.Dense(1, activation="sigmoid", name="output"))
    else:
        model.add(keras.layers.Dense(n_classes, activation="softmax", name="output"))
    return model


def make_optimizer(name: str, learning_rate: float) -> Any:
    import keras

    classes = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }
    return classes[name](learning_rate=learning_rate)


@hookimpl(trylast=True)
def build_model(run: Any, n_features: int, task: str) -> Any:
    return build_mlp(n_features, task, len(run.classes or []), run.config["model"])


@hookimpl(trylast=True)
def compile_options(run: Any, stage: Any) -> dict[str, Any]:
    cfg = run.config["model"]
    rate = (
        stage.learning_rate
        if stage.learning_rate is not None
        else (run.config["train"]["learning_rate"])
    )
    if run.task == "regression":
        loss = "mse" if cfg["loss"] == "auto" else cfg["loss"]
        metrics = ["mae"]
    elif run.task == "binary":
        loss, metrics = "binary_crossentropy", ["accuracy"]
    else:
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    return {"optimizer": make_optimizer(cfg["optimizer"], rate), "loss": loss, "metrics": metrics}
