"""Bayesian optimisation and Hyperband for `kerasplug tune`, proposed by Keras Tuner's oracles.

Keras Tuner's `Oracle` decides which values to try next; kerasplug runs each trial as an
ordinary run and reports the tuned metric back, so a trial is the same whichever method
proposed it. Hyperband's rounds set `train.epochs` to the round's epoch budget (up to the
base config's `train.epochs`) and train from scratch: Keras Tuner would warm-start a promoted
trial from the earlier round's weights, but kerasplug runs are independent of each other.

keras_tuner imports TensorFlow, so it is imported only when one of these methods is chosen.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from typing import Any

from kerasplug import ConfigError, Option, hookimpl

METHODS = ("bayesian", "hyperband")
#: Hyperparameters HyperbandOracle adds to each trial's values.
HYPERBAND_KEYS = ("tuner/epochs", "tuner/initial_epoch", "tuner/bracket", "tuner/round")


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "tune": {
            "initial_points": Option(
                0,
                int,
                "bayesian: random trials before the Gaussian process proposes "
                "(0: Keras Tuner's default, 3 per dimension)",
                min=0,
            ),
            "hyperband_factor": Option(
                3, int, "hyperband: each round keeps 1/factor of the trials", min=2
            ),
        }
    }


class OracleStrategy:
    """A `kerasplug.tuning.Strategy` that asks a Keras Tuner oracle for each trial's values.

    A distributed search serves `oracle` itself to its workers and decodes their trials with
    `values()`; `propose()` and `report()` are for a search in one process.
    """

    def __init__(self, oracle: Any, decode: dict[str, dict[str, Any]]) -> None:
        self.oracle = oracle
        self.decode = decode
        self.trial: Any = None
        # The oracle keeps its own bookkeeping files; they stay out of the run directory,
        # whose files are all written atomically by kerasplug.
        self._workdir = tempfile.TemporaryDirectory(prefix="kerasplug-oracle-")
        oracle._set_project_dir(self._workdir.name, "oracle")
        oracle.verbose = 0

    def propose(self) -> dict[str, Any] | None:
        self.trial = self.oracle.create_trial("kerasplug")
        if self.trial.status != "RUNNING":
            return None
        return self.values(self.trial.hyperparameters.values)

    def values(self, hp_values: Mapping[str, Any]) -> dict[str, Any]:
        """The config values of an oracle trial's hyperparameter values (also a served oracle's).

        Encoded choices are decoded; Hyperband's epoch budget becomes `train.epochs`.
        """
        proposed = {
            key: self.decode[key].get(value, value) if key in self.decode else value
            for key, value in hp_values.items()
            if not key.startswith("tuner/")
        }
        if "tuner/epochs" in hp_values:
            proposed["train.epochs"] = int(hp_values["tuner/epochs"])
        return proposed

    def report(self, values: dict[str, Any], loss: float | None) -> None:
        if loss is None:
            self.trial.status, self.trial.message = "FAILED", "the kerasplug trial failed"
        else:
            self.oracle.update_trial(self.trial.trial_id, {"loss": loss})
            self.trial.status = "COMPLETED"
        self.oracle.end_trial(self.trial)


def hyperparameters(space: dict[str, Any]) -> tuple[Any, dict[str, dict[str, Any]]]:
    """Keras Tuner hyperparameters for the space, and how to decode encoded choices.

    A Keras Tuner `Choice` holds numbers, strings or booleans of one type; numeric choices
    stay numbers (ordered, which Bayesian optimisation uses), any other list of values becomes
    a choice among their JSON texts, decoded back by the returned table.
    """
    import keras_tuner

    from kerasplug.tuning import Choice

    hp = keras_tuner.HyperParameters()
    decode: dict[str, dict[str, Any]] = {}
    for key, dim in space.items():
        if isinstance(dim, Choice):
            values = list(dim.values)
            numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            if numbers:
                kind = int if all(isinstance(v, int) for v in values) else float
                hp.Choice(key, [kind(v) for v in values], ordered=True)
            else:
                texts = [json.dumps(v, sort_keys=True) for v in values]
                decode[key] = dict(zip(texts, values, strict=True))
                hp.Choice(key, texts, ordered=False)
        else:
            make = hp.Int if dim.integer else hp.Float
            make(
                key,
                min_value=dim.low,
                max_value=dim.high,
                step=dim.step,
                sampling="log" if dim.log else "linear",
            )
    return hp, decode


def make_oracle(method: str, config: dict[str, Any], hp: Any) -> Any:
    import keras_tuner

    tune = config["tune"]
    common = {
        "objective": keras_tuner.Objective("loss", direction="min"),
        "hyperparameters": hp,
        "allow_new_entries": False,
        "tune_new_entries": False,
        # Keras Tuner treats seed 0 as "no seed"; shift so that every run.seed is one.
        "seed": config["run"]["seed"] + 1,
        # A failed trial is recorded by kerasplug and must not end the search.
        "max_consecutive_failed_trials": tune["trials"] + 1,
    }
    if method == "bayesian":
        return keras_tuner.oracles.BayesianOptimizationOracle(
            max_trials=tune["trials"],
            num_initial_points=tune["initial_points"] or None,
            **common,
        )
    return keras_tuner.oracles.HyperbandOracle(
        max_epochs=config["train"]["epochs"],
        factor=tune["hyperband_factor"],
        hyperband_iterations=1,
        **common,
    )


@hookimpl
def tuning_strategy(run: Any, method: str, space: dict[str, Any]) -> OracleStrategy | None:
    if method not in METHODS:
        return None
    if method == "hyperband" and "train.epochs" in space:
        raise ConfigError(
            'tune.space."train.epochs": Hyperband sets each round\'s epochs itself, up to '
            "train.epochs; remove it from the space"
        )
    hp, decode = hyperparameters(space)
    return OracleStrategy(make_oracle(method, run.config, hp), decode)
