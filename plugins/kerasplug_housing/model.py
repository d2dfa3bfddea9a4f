"""The network: an MLP built from `[model]`, its loss and optimizer, and seed ensembles.

The output layer follows the task: one linear unit for regression, one sigmoid unit for a
binary target, a softmax over the classes otherwise; the loss matches it.

An ensemble (`model.ensemble = N`) is one Keras model holding N independently initialised
copies of the MLP side by side. For training its output is the N members' predictions
concatenated, and the loss averages every member's loss against the target, L1/L2 penalty
included (each member's penalty is divided by the number of members, as Keras adds them all):
as the members share no weights, each one's gradient is its own loss's, divided by the number
of members, exactly as if it were trained alone (on the same batches). After fitting,
`run.model` becomes a view of the same layers whose output averages the members, so
predictions, metrics and the saved `model.keras` are the averaged ensemble, built from stock
layers only (it loads with `safe_mode=True`). With several training stages, stages after the
first train that averaged view.

Two regularisers for small tables: `model.input_noise` adds Gaussian noise to the scaled
inputs while training (Keras's `GaussianNoise`, off at inference), and `model.ema` makes the
optimizer keep an exponential moving average of the weights (Keras's `use_ema`, Polyak
averaging). With `model.ema` the averaged weights are the ones validated, kept by early
stopping, checkpointed and returned (`AveragedWeights`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kerasplug import ConfigError, Option, hookimpl

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("auto", "mse", "mae", "huber")
#: Name of the layer that joins the members of an ensemble while it trains.
MEMBERS = "members"


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
            "l1": Option(
                0.0, float, "L1 penalty on hidden kernels (of each member of an ensemble)", min=0.0
            ),
            "l2": Option(
                0.0, float, "L2 penalty on hidden kernels (of each member of an ensemble)", min=0.0
            ),
            "loss": Option(
                "auto",
                str,
                "regression loss ('auto': mse); classification always uses crossentropy",
                choices=LOSSES,
            ),
            "huber_delta": Option(1.0, float, "where the huber loss turns linear", min=0.0),
            "optimizer": Option("adam", str, "optimizer", choices=OPTIMIZERS),
            "weight_decay": Option(0.004, float, "decoupled weight decay of adamw", min=0.0),
            "momentum": Option(0.0, float, "momentum of sgd", min=0.0, max=1.0),
            "ensemble": Option(
                1, int, "members trained side by side from different seeds, averaged", min=1
            ),
            "linear": Option(
                False,
                bool,
                "wide & deep: a linear map of the inputs is added to the output layer's "
                "pre-activation, so the network learns what a linear model misses",
            ),
            "input_noise": Option(
                0.0,
                float,
                "std of Gaussian noise added to the scaled inputs while training (0: none)",
                min=0.0,
            ),
            "ema": Option(
                False,
                bool,
                "the optimizer keeps a moving average of the weights; validation, early "
                "stopping and the final network use the averaged weights",
            ),
            "ema_momentum": Option(
                0.99,
                float,
                "model.ema: the share of the average kept at each step",
                min=0.0,
                max=1.0,
            ),
        },
        "train": {
            "steps_per_execution": Option(
                1, int, "batches run per call into TensorFlow (model.compile)", min=1
            ),
        },
    }


def kernel_penalty(keras: Any, cfg: dict[str, Any]) -> Any:
    """The L1/L2 kernel regularizer that `[model]` keys `l1` and `l2` ask for (None for none);
    for plugins that build their own layers from `[model]`."""
    return keras.regularizers.L1L2(l1=cfg["l1"], l2=cfg["l2"]) if cfg["l1"] or cfg["l2"] else None


def _tower(keras: Any, inputs: Any, cfg: dict[str, Any], prefix: str) -> Any:
    regularizer = kernel_penalty(keras, cfg)
    x = inputs
    if cfg.get("input_noise"):
        x = keras.layers.GaussianNoise(cfg["input_noise"], name=f"{prefix}input_noise")(x)
    for i, units in enumerate(cfg["hidden"], start=1):
        x = keras.layers.Dense(
            units,
            kernel_initializer=cfg["initializer"],
            kernel_regularizer=regularizer,
            name=f"{prefix}dense_{i}",
        )(x)
        if cfg["batch_norm"]:
            x = keras.layers.BatchNormalization(name=f"{prefix}batch_norm_{i}")(x)
        x = keras.layers.Activation(cfg["activation"], name=f"{prefix}activation_{i}")(x)
        if cfg["dropout"]:
            x = keras.layers.Dropout(cfg["dropout"], name=f"{prefix}dropout_{i}")(x)
    return x


def _head(
    keras: Any, x: Any, task: str, n_classes: int, name: str, cfg: dict[str, Any], inputs: Any
) -> Any:
    units = n_classes if task == "multiclass" else 1
    activation = {"regression": None, "binary": "sigmoid"}.get(task, "softmax")
    if not cfg.get("linear"):
        return keras.layers.Dense(units, activation=activation, name=name)(x)
    # Wide & deep: the tower's output plus a linear map of the inputs, then the activation.
    deep = keras.layers.Dense(units, name=f"{name}_deep")(x)
    wide = keras.layers.Dense(
        units, kernel_regularizer=kernel_penalty(keras, cfg), name=f"{name}_linear"
    )(inputs)
    if activation is None:
        return keras.layers.Add(name=name)([deep, wide])
    summed = keras.layers.Add(name=f"{name}_logit")([deep, wide])
    return keras.layers.Activation(activation, name=name)(summed)


def build_mlp(
    n_features: int,
    task: str,
    n_classes: int,
    cfg: dict[str, Any],
    stem: Callable[[Any, str], Any] | None = None,
) -> Any:
    """The MLP (or its ensemble) from `keras.Input`, so `summary()` works before training.

    `stem(inputs, prefix)`, if given, maps the input tensor to what each member's hidden layers
    take instead (an embedding of the inputs, say); `prefix` ("" or "m1_", ...) keeps its layer
    names apart between members. The wide & deep path (`model.linear`) still reads the inputs.
    """
    import keras

    def tower(inputs: Any, member: dict[str, Any], prefix: str) -> Any:
        return _tower(keras, stem(inputs, prefix) if stem else inputs, member, prefix)

    inputs = keras.Input(shape=(n_features,), name="features")
    members = cfg["ensemble"]
    if members == 1:
        outputs = _head(keras, tower(inputs, cfg, ""), task, n_classes, "output", cfg, inputs)
        return keras.Model(inputs, outputs, name="mlp")
    if task == "multiclass":
        raise ConfigError(
            f"model.ensemble = {members} supports regression and binary targets only; "
            "set model.ensemble = 1 for a multiclass target"
        )
    # The loss averages the members' losses while Keras adds every layer's penalty, so each
    # member's penalty is divided by their number: the total is then the mean of what each
    # member would minimise alone, and `model.l1` / `model.l2` mean the same for any ensemble.
    member = cfg | {"l1": cfg["l1"] / members, "l2": cfg["l2"] / members}
    heads = []
    for m in range(1, members + 1):
        x = tower(inputs, member, f"m{m}_")
        heads.append(_head(keras, x, task, n_classes, f"m{m}_output", member, inputs))
    outputs = keras.layers.Concatenate(name=MEMBERS)(heads)
    return keras.Model(inputs, outputs, name=f"mlp_ensemble_{members}")


def is_ensemble(model: Any) -> bool:
    """Whether `model` is an ensemble as it trains (members side by side, not averaged)."""
    return any(layer.name == MEMBERS for layer in model.layers)


def averaging_view(model: Any) -> Any:
    """The ensemble `model` with its members' outputs averaged (shares every layer)."""
    import keras

    heads = model.get_layer(MEMBERS).input
    return keras.Model(
        model.input, keras.layers.Average(name="output")(heads), name=f"{model.name}_mean"
    )


def make_optimizer(cfg: dict[str, Any], learning_rate: float) -> Any:
    import keras

    name = cfg["optimizer"]
    common = {"learning_rate": learning_rate}
    if cfg.get("ema"):
        common |= {"use_ema": True, "ema_momentum": cfg["ema_momentum"]}
    if name == "adamw":
        return keras.optimizers.AdamW(weight_decay=cfg["weight_decay"], **common)
    if name == "sgd":
        return keras.optimizers.SGD(momentum=cfg["momentum"], **common)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(**common)
    return keras.optimizers.Adam(**common)


def averaged_weights() -> Any:
    """A fresh `AveragedWeights` callback (the class needs Keras, imported here)."""
    import keras

    class AveragedWeights(keras.callbacks.SwapEMAWeights):
        """Keras's `SwapEMAWeights(swap_on_epoch=True)`, right also when training stops early.

        The averaged weights are in the model from each epoch's end to the next epoch's start,
        so validation, the early-stopping plugin's best weights and the checkpoint hold them.
        Keras keeps them at the end only when `fit` runs its last epoch: when a callback
        stops training earlier, the optimizer's final step copies the raw weights back. So the
        averages of the last finished epoch are kept and put back when training ends.
        """

        def __init__(self) -> None:
            super().__init__(swap_on_epoch=True)
            self.averages: list[Any] | None = None

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            # Resumed from a checkpoint, the model holds the averages: kept if no epoch is left.
            resumed = self._ema_weights_in_model
            self.averages = [v.numpy() for v in self.model.trainable_variables] if resumed else None

        def resumed(self) -> None:
            """The model was restored from a checkpoint, which holds the averaged weights."""
            self._ema_weights_in_model = True  # swapped back at the first epoch's start

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            super().on_epoch_end(epoch, logs)
            self.averages = [v.numpy() for v in self.model.trainable_variables]

        def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
            if self.averages is not None:
                for variable, value in zip(
                    self.model.trainable_variables, self.averages, strict=True
                ):
                    variable.assign(value)

    return AveragedWeights()


#: This process's `AveragedWeights` of the stage that trains now, for `restore_state`.
_averaging: list[Any] = []


def make_loss(cfg: dict[str, Any], task: str) -> Any:
    import keras

    if task == "binary":
        return keras.losses.BinaryCrossentropy()
    if task == "multiclass":
        return keras.losses.SparseCategoricalCrossentropy()
    if cfg["loss"] == "mae":
        return keras.losses.MeanAbsoluteError()
    if cfg["loss"] == "huber":
        return keras.losses.Huber(delta=cfg["huber_delta"])
    return keras.losses.MeanSquaredError()


def make_metrics(task: str) -> dict[str, Any]:
    """The metric functions watched besides the loss, by log name.

    Regression logs `mse` beside `mae`: the loss Keras logs (`val_loss`) includes the L2
    penalty, which can keep falling while the validation error no longer does; `val_mse` is
    that error alone, for early stopping or the plateau schedule to watch.
    """
    import keras

    if task == "binary":
        return {"accuracy": keras.metrics.binary_accuracy}
    if task == "multiclass":
        return {"accuracy": keras.metrics.sparse_categorical_accuracy}
    return {"mae": keras.metrics.mean_absolute_error, "mse": keras.metrics.mean_squared_error}


def per_member(fn: Any) -> Any:
    """`fn(y_true, y_pred)` applied to every member's column of an ensemble's output."""
    import keras

    def call(y_true: Any, y_pred: Any) -> Any:
        # One target column per member: Keras's crossentropies refuse an (n, 1) target against
        # an (n, members) output, and no loss broadcasts an (n,) one.
        y = keras.ops.reshape(keras.ops.cast(y_true, y_pred.dtype), (-1, 1))
        return fn(keras.ops.broadcast_to(y, keras.ops.shape(y_pred)), y_pred)

    return call


@hookimpl(trylast=True)
def build_model(run: Any, n_features: int, task: str) -> Any:
    return build_mlp(n_features, task, len(run.classes or []), run.config["model"])


@hookimpl(trylast=True)
def compile_options(run: Any, model: Any, stage: Any) -> dict[str, Any]:
    import keras

    cfg = run.config["model"]
    rate = stage.learning_rate
    if rate is None:
        rate = run.config["train"]["learning_rate"]
    loss = make_loss(cfg, run.task)
    metrics = make_metrics(run.task)
    if is_ensemble(model):
        # Per-example losses (`call`), so Keras still applies sample and class weights.
        loss = per_member(loss.call)
        metrics = {name: per_member(fn) for name, fn in metrics.items()}
    return {
        "optimizer": make_optimizer(cfg, rate),
        "loss": loss,
        "metrics": [keras.metrics.MeanMetricWrapper(fn, name=name) for name, fn in metrics.items()],
        "steps_per_execution": run.config["train"]["steps_per_execution"],
    }


@hookimpl
def training_callbacks(run: Any) -> list[Any]:
    _averaging.clear()
    if run.config["model"]["ema"]:
        _averaging.append(averaged_weights())
    return list(_averaging)


@hookimpl
def checkpoint_state() -> dict[str, Any] | None:
    # A checkpoint is taken at an epoch's end, when the averaged weights are in the model.
    return {"averaged_weights_in_model": True} if _averaging else None


@hookimpl
def restore_state(state: dict[str, Any]) -> None:
    if state.get("averaged_weights_in_model") and _averaging:
        _averaging[0].resumed()


@hookimpl
def before_fit(run: Any, model: Any) -> None:
    if run.fold == 0 and run.epoch == 0:
        lines: list[str] = []
        model.summary(print_fn=lines.append, expand_nested=True)
        run.dir.write_text("model_summary.txt", "\n".join(lines) + "\n")


@hookimpl
def after_fit(run: Any, model: Any) -> None:
    if is_ensemble(model):
        run.model = averaging_view(model)
