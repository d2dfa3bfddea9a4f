"""What each hook may return, so the kit can check a plugin's answers during a real run.

Lifecycle hooks (those whose docstring says `Returns: None.`) must return `None`; every other
hook may return `None` ("no answer") or the kind listed here. Types from pandas and Keras are
imported only when a value has to be checked, so importing the kit stays cheap.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

from kerasplug import hookspecs
from kerasplug.config import Option
from kerasplug.types import Explanation, Split, Stage, Step


def _list_of(kind: type) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and all(isinstance(v, kind) for v in value)


def _frame(value: Any) -> bool:
    import pandas as pd

    return isinstance(value, pd.DataFrame)


def _config_sections(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(section, str)
        and isinstance(options, dict)
        and all(isinstance(o, Option) for o in options.values())
        for section, options in value.items()
    )


def _transformer(value: Any) -> bool:
    return all(callable(getattr(value, m, None)) for m in ("fit", "transform", "inverse_transform"))


def _plain_state(value: Any) -> bool:
    import numpy as np

    if value is None or isinstance(value, (str, bool, numbers.Real, np.ndarray)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_state(v) for k, v in value.items())
    return isinstance(value, list) and all(_plain_state(v) for v in value)


def _strategy(value: Any) -> bool:
    import tensorflow as tf

    return isinstance(value, tf.distribute.Strategy)


def _dataset(value: Any) -> bool:
    import tensorflow as tf

    return isinstance(value, tf.data.Dataset)


def _model(value: Any) -> bool:
    import keras

    return isinstance(value, keras.Model)


def _callbacks(value: Any) -> bool:
    import keras

    return _list_of(keras.callbacks.Callback)(value)


def _metrics(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, numbers.Real) for k, v in value.items()
    )


#: hook -> (what it returns, in words; a test of a non-None value).
KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "config_sections": ("a dict {section: {key: kerasplug.Option}}", _config_sections),
    "load_data": ("a pandas.DataFrame", _frame),
    "make_splits": ("a list of kerasplug.Split", _list_of(Split)),
    "preprocessing_steps": ("a list of kerasplug.Step", _list_of(Step)),
    "target_transformer": (
        "a transformer with fit, transform and inverse_transform",
        _transformer,
    ),
    "trusted_types": ("a list of class names (str)", _list_of(str)),
    "distribution_strategy": ("a tf.distribute.Strategy", _strategy),
    "build_model": ("a keras.Model", _model),
    "training_stages": ("a list of kerasplug.Stage", _list_of(Stage)),
    "compile_options": (
        "a dict of model.compile() keyword arguments",
        lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v),
    ),
    "training_callbacks": ("a list of keras.callbacks.Callback", _callbacks),
    "training_data": ("a tf.data.Dataset", _dataset),
    "refit_epochs": (
        "a whole number of epochs (int, 0 for none)",
        lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0,
    ),
    "should_stop": ("a str, the reason to stop", lambda v: isinstance(v, str)),
    "extract_features": ("a pandas.DataFrame", _frame),
    "compute_metrics": ("a dict of metric name (str) to number", _metrics),
    "explain": ("a list of kerasplug.Explanation", _list_of(Explanation)),
    "checkpoint_state": (
        "plain data: dicts, lists, str, numbers, bools, None and numpy arrays",
        _plain_state,
    ),
    "tuning_strategy": (
        "an object with propose() and report(values, loss)",
        lambda v: callable(getattr(v, "propose", None)) and callable(getattr(v, "report", None)),
    ),
}


def is_lifecycle(hook: str) -> bool:
    """Whether the contract says `hook` returns nothing."""
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    returns = doc.split("Returns:", 1)[-1].strip().split("\n\n", 1)[0].strip()
    return returns == "None."


def kind_problem(hook: str, value: Any) -> str | None:
    """Why `value` is not a valid answer of `hook`, or None if it is.

    Raises KeyError for a hook whose kind the kit does not know (tests keep `KINDS` complete).
    """
    if is_lifecycle(hook):
        if value is None:
            return None
        return f"returned {_short(value)} but is a lifecycle hook: return None"
    expected, accepts = KINDS[hook]
    if value is None or accepts(value):
        return None
    return f"returned {_short(value)}; expected {expected} or None"


def _short(value: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{type(value).__name__} {text}"
