"""Starting from a trained run: `[transfer] init_from = "runs/..."`.

The saved network is loaded in safe mode (no Python code runs) and, with `replace_head`, its
last layer is replaced by a fresh output layer for this run's task; the `[[stages]]` then train
it (e.g. the new head on a frozen base, then everything at a low rate). With
`reuse_preprocessing` the saved run's fitted preprocessing and target transform are used as they
are, not refitted, so the network sees inputs on the scale it was trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kerasplug import ConfigError, Option, Step, hookimpl
from kerasplug.artifacts import MODEL_FILE, PREPROCESSING_FILE


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "transfer": {
            "init_from": Option("", str, "run directory whose network to start from"),
            "replace_head": Option(
                False, bool, "replace the loaded network's last layer with a new output layer"
            ),
            "reuse_preprocessing": Option(
                True,
                bool,
                "use the saved run's fitted preprocessing and target transform unchanged "
                "(set preprocess.scaling = 'none' so nothing is fitted on top)",
            ),
        }
    }


@hookimpl
def configure(config: dict[str, Any]) -> None:
    source = config["transfer"]["init_from"]
    if source and not (Path(source) / MODEL_FILE).is_file():
        raise ConfigError(
            f"transfer.init_from = {source!r} is not a run directory with a {MODEL_FILE}; "
            "give the directory of a completed run"
        )


def _saved_state(run: Any) -> dict[str, Any] | None:
    cfg = run.config["transfer"]
    if not (cfg["init_from"] and cfg["reuse_preprocessing"]):
        return None
    from kerasplug.artifacts import load_preprocessing, plugin_trusted_types

    return load_preprocessing(
        Path(cfg["init_from"]) / PREPROCESSING_FILE, plugin_trusted_types(run.pm, run)
    )


@hookimpl
def preprocessing_steps(run: Any) -> list[Step] | None:
    state = _saved_state(run)
    if state is None:
        return None
    from kerasplug_housing.frozen import Frozen

    return [Step("pretrained", Frozen(state["pipeline"]), order=0)]


@hookimpl(tryfirst=True)
def target_transformer(run: Any) -> Any:
    state = _saved_state(run)
    if state is None:
        return None
    from sklearn.preprocessing import FunctionTransformer

    from kerasplug_housing.frozen import Frozen

    # An identity answer where the saved run had no transform, so no other plugin adds one.
    return Frozen(state["target_transform"] or FunctionTransformer().fit([[0.0]]))


@hookimpl
def trusted_types() -> list[str]:
    return ["kerasplug_housing.frozen.Frozen"]


def new_head(model: Any, task: str, n_classes: int) -> Any:
    """`model` with its last layer replaced by a fresh output layer for `task`."""
    import keras

    units, activation = {
        "regression": (1, None),
        "binary": (1, "sigmoid"),
        "multiclass": (n_classes, "softmax"),
    }[task]
    base_output = model.layers[-2].output
    head = keras.layers.Dense(units, activation=activation, name="head")
    return keras.Model(model.inputs, head(base_output), name=f"{model.name}_new_head")


@hookimpl(tryfirst=True)
def build_model(run: Any, n_features: int, task: str) -> Any:
    cfg = run.config["transfer"]
    if not cfg["init_from"]:
        return None
    from kerasplug.artifacts import load_model

    model = load_model(Path(cfg["init_from"]) / MODEL_FILE)
    width = model.inputs[0].shape[-1]
    if width != n_features:
        raise ConfigError(
            f"transfer.init_from = {cfg['init_from']!r} expects {width} input features but "
            f"the preprocessing gives {n_features}; reuse its preprocessing "
            "(transfer.reuse_preprocessing = true) and the same raw columns"
        )
    if cfg["replace_head"]:
        model = new_head(model, task, len(run.classes or []))
    run.echo(f"started from the network of {cfg['init_from']}")
    return model


@hookimpl
def before_fit(run: Any) -> None:
    cfg = run.config["transfer"]
    reused = cfg["init_from"] and cfg["reuse_preprocessing"]
    if run.epoch == 0 and reused and len(run.pipeline.steps) > 1:
        others = [name for name, _ in run.pipeline.steps if name != "pretrained"]
        run.warn(
            f"preprocessing steps {others} are fitted on top of the reused preprocessing of "
            "transfer.init_from; disable them (e.g. preprocess.scaling = 'none')"
        )
