"""Hyperparameter search: every trial is an ordinary run with some config keys changed.

`[tune]` names the search dimensions (`[tune.space]`: a list of values or a `{low, high}` range
for any config key), the method, the metric and the budget. A strategy proposes the values of
each trial and hears back how it did; grid and random search are built in, and the
`tuning_strategy` hook lets a plugin provide any other method (the shipped `housing.tuner` adds
Bayesian optimisation and Hyperband through Keras Tuner). Each trial runs as a normal `Trainer`
run in `trials/trial-NNN/` of the tuning directory, which also gets `trials.csv`, `tuning.json`
and `best.toml`, the best trial's complete config, ready for `kerasplug run`.
`kerasplug.distributed_tuning` spreads the trials of a `Search` over several processes.

Nothing heavy is imported here: the trials' `Trainer` imports TensorFlow when they run.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from kerasplug import config as configmod
from kerasplug import rundir
from kerasplug.config import Option
from kerasplug.context import RunContext
from kerasplug.errors import ConfigError, KerasplugError, UsageError
from kerasplug.manager import hookimpl
from kerasplug.trainer import Trainer

BUILTIN_METHODS = ("grid", "random")
#: Metric names where higher is better, for `tune.mode = "auto"`.
MAXIMIZED = ("r2", "accuracy", "auc", "roc_auc", "f1", "precision", "recall")
#: Metric parts a search may select on; the test rows must not influence the choice of model.
SELECTABLE_PARTS = ("valid", "train")
RANGE_KEYS = {"low", "high", "log", "step"}
#: Why a search ended, in tuning.json's `stop_reason` and the last table's heading.
EXHAUSTED = "the search space is exhausted"


def trials_done(total: int) -> str:
    return f"ran tune.trials = {total} trials"


def budget_spent(seconds: float) -> str:
    return f"the time budget of {seconds:g} s is spent"


def options() -> dict[str, Option]:
    """The `[tune]` keys the core owns (plugins may add keys for their own methods)."""
    return {
        "method": Option(
            "random",
            str,
            "search method: 'grid', 'random', or one a plugin provides ('bayesian', 'hyperband')",
        ),
        "trials": Option(10, int, "most trials to run", min=1),
        "time_budget": Option(
            0.0,
            float,
            "seconds for the whole search (0: no limit); a trial running when it is spent "
            "stops at the end of its epoch and no further trial starts",
            min=0.0,
        ),
        "metric": Option("valid.rmse", str, "the metric to optimise, as <part>.<name>"),
        "mode": Option(
            "auto", str, "whether lower or higher is better", choices=("auto", "min", "max")
        ),
        "space": Option(
            {}, dict, "search dimensions: config key = [values] or {low, high, log, step}"
        ),
        "trial_overrides": Option(
            [],
            list,
            "section.key=value overrides for the trials only, not for best.toml "
            "(e.g. turn explanations off while searching)",
            item=str,
        ),
    }


# --- the search space ------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A dimension that takes one of the listed values (in the order given)."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Range:
    """A numeric dimension from `low` to `high` inclusive.

    `integer` when both bounds are integers. `log` samples uniformly in log space. `step`
    quantizes the values: added to `low` on a linear scale, multiplied on a log scale
    (as Keras Tuner does).
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None
    integer: bool = False

    def grid(self) -> list[Any] | None:
        """Every value of the range, or None when it is continuous."""
        if self.step is None and (self.log or not self.integer):
            return None
        step = self.step if self.step is not None else 1
        values, value = [], self.low
        while value <= self.high * (1 + 1e-12):
            values.append(round(value) if self.integer else value)
            value = value * step if self.log else value + step
        return list(dict.fromkeys(values))

    def sample(self, rng: Any) -> Any:
        """A random value of the range, drawn with the numpy generator `rng`."""
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        if self.step is not None:
            if self.log:
                value = self.low * self.step ** round(math.log(value / self.low, self.step))
            else:
                value = self.low + round((value - self.low) / self.step) * self.step
            value = min(value, self.high)
        return round(value) if self.integer else float(value)


Dimension = Choice | Range


def parse_space(space: Mapping[str, Any]) -> dict[str, Dimension]:
    """Turn `[tune.space]` into dimensions; every error is one line naming the key."""
    if not space:
        raise ConfigError(
            "tune.space is empty; give at least one dimension, e.g. "
            '"train.learning_rate" = {low = 1e-4, high = 1e-2, log = true}'
        )
    return {key: _dimension(key, spec) for key, spec in space.items()}


def _dimension(key: str, spec: Any) -> Dimension:
    where = f"tune.space.{json.dumps(key)}"
    section, _, name = key.partition(".")
    if not section or not name:
        raise ConfigError(f"{where}: name a config key as section.key, e.g. 'model.dropout'")
    if section == "tune":
        raise ConfigError(f"{where}: the search cannot change [tune] itself; search other keys")
    if isinstance(spec, list):
        if not spec:
            raise ConfigError(f"{where} = []: list at least one value")
        texts = [json.dumps(v, sort_keys=True) for v in spec]
        if len(set(texts)) != len(texts):
            raise ConfigError(f"{where} lists a value twice: {spec!r}; list each value once")
        return Choice(tuple(spec))
    if isinstance(spec, Mapping):
        return _range(where, spec)
    raise ConfigError(
        f"{where} = {spec!r}: give a list of values ([a, b]) or a range ({{low = a, high = b}})"
    )


def _range(where: str, spec: Mapping[str, Any]) -> Range:
    unknown = sorted(set(spec) - RANGE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where} has unknown key {unknown[0]!r}; a range takes low, high, log and step"
        )
    if "low" not in spec or "high" not in spec:
        raise ConfigError(f"{where}: a range needs both low and high, e.g. {{low = 1, high = 8}}")
    low, high, log, step = spec["low"], spec["high"], spec.get("log", False), spec.get("step")
    numbers = [v for v in (low, high, step) if v is not None]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
        raise ConfigError(f"{where}: low, high and step must be numbers; got {dict(spec)!r}")
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log = {log!r} must be true or false")
    if not low < high:
        raise ConfigError(f"{where}: low = {low!r} must be smaller than high = {high!r}")
    if log and low <= 0:
        raise ConfigError(f"{where}: a log range needs low > 0; got low = {low!r}")
    if step is not None and (step <= 0 or (log and step <= 1)):
        raise ConfigError(
            f"{where}: step = {step!r} must be > 0 (> 1 on a log range, where it multiplies)"
        )
    integer = all(isinstance(v, int) for v in numbers)
    return Range(low, high, log, step, integer)


def grid_points(space: Mapping[str, Dimension]) -> list[dict[str, Any]] | None:
    """Every combination of the dimensions' values, or None if one dimension is continuous."""
    axes = []
    for dim in space.values():
        values = list(dim.values) if isinstance(dim, Choice) else dim.grid()
        if values is None:
            return None
        axes.append(values)
    return [dict(zip(space, combo, strict=True)) for combo in itertools.product(*axes)]


# --- strategies ------------------------------------------------------------------------------


class Strategy(Protocol):
    """What a `tuning_strategy` hook returns: it proposes trials and hears their results.

    In one process, trials run one at a time: `propose()` is followed by exactly one `report()`
    of that trial. A distributed search (`kerasplug tune --chief`) proposes the next trial while
    others still run, so several proposals may await their reports, which come in the order the
    trials finish; each report carries the values of the trial it is about. A strategy that
    wraps a Keras Tuner oracle exposes it as `oracle`, with `values(hp_values)` turning an
    oracle trial's hyperparameter values into config values: a distributed search then serves
    that oracle itself, which knows how to run trials concurrently. (Workers build the strategy
    too, to decode trials, but only the chief's proposes.)
    """

    def propose(self) -> dict[str, Any] | None:
        """The config values of the next trial by dotted key; None when the search is over."""

    def report(self, values: dict[str, Any], loss: float | None) -> None:
        """The result of the trial just proposed.

        `loss` is the tuned metric oriented so that lower is better (negated for
        `tune.mode = "max"`), or None when the trial failed.
        """


class GridSearch:
    """Every combination, in the order of `[tune.space]` (the last key varies fastest)."""

    def __init__(self, points: list[dict[str, Any]]) -> None:
        self._points: Iterator[dict[str, Any]] = iter(points)

    def propose(self) -> dict[str, Any] | None:
        return next(self._points, None)

    def report(self, values: dict[str, Any], loss: float | None) -> None:
        """Grid search does not adapt to results."""


class RandomSearch:
    """Independent random draws; a finite space is drawn without replacement."""

    #: Draws to try for a combination not tried yet before declaring the space exhausted.
    MAX_COLLISIONS = 100

    def __init__(self, space: Mapping[str, Dimension], seed: int) -> None:
        import numpy as np

        self.space = dict(space)
        self.rng = np.random.default_rng(seed)
        points = grid_points(space)
        self._order = (
            None if points is None else iter([points[i] for i in self.rng.permutation(len(points))])
        )
        self._seen: set[str] = set()

    def propose(self) -> dict[str, Any] | None:
        if self._order is not None:
            return next(self._order, None)
        for _ in range(self.MAX_COLLISIONS):
            values = {key: self._draw(dim) for key, dim in self.space.items()}
            text = json.dumps(values, sort_keys=True)
            if text not in self._seen:
                self._seen.add(text)
                return values
        return None

    def _draw(self, dim: Dimension) -> Any:
        if isinstance(dim, Choice):
            return dim.values[int(self.rng.integers(len(dim.values)))]
        return dim.sample(self.rng)

    def report(self, values: dict[str, Any], loss: float | None) -> None:
        """Random search does not adapt to results."""


def builtin_strategy(method: str, space: Mapping[str, Dimension], seed: int) -> Strategy:
    """The built-in grid or random search."""
    if method == "grid":
        points = grid_points(space)
        if points is None:
            continuous = next(
                k for k, d in space.items() if isinstance(d, Range) and d.grid() is None
            )
            raise ConfigError(
                f"tune.space.{json.dumps(continuous)} is a continuous range, which a grid cannot "
                "cover; give a list of values or a step, or use tune.method = 'random'"
            )
        return GridSearch(points)
    return RandomSearch(space, seed)


# --- trials ----------------------------------------------------------------------------------


@dataclass
class TrialResult:
    """One trial: its values, its outcome and where its run directory is."""

    number: int
    name: str
    values: dict[str, Any]
    status: str  # "completed" or "failed"
    value: float | None = None
    loss: float | None = None
    seconds: float = 0.0
    epochs: int | None = None
    stop_reason: str | None = None
    error: str | None = None
    run_dir: Path | None = None
    worker: str | None = None  # the process that ran it, in a distributed search
    config: dict[str, Any] | None = field(default=None, repr=False)
    exception: KerasplugError | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "trial": self.name,
            "status": self.status,
            "value": self.value,
            "values": self.values,
            "seconds": round(self.seconds, 3),
            "epochs": self.epochs,
            "stop_reason": self.stop_reason,
            "error": self.error,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "worker": self.worker,
        }


@dataclass
class TuningResult:
    """What `tune()` returns."""

    run_dir: Path
    metric: str
    mode: str
    trials: list[TrialResult]
    best: TrialResult
    best_config: Path
    stop_reason: str


class TimeBudget:
    """Stops the running trial's training once the search's time budget is spent."""

    def __init__(self, seconds: float, left: float | None = None) -> None:
        """`seconds` of budget, of which `left` remain (all of them by default)."""
        self.seconds = seconds
        self.deadline = time.monotonic() + (seconds if left is None else left) if seconds else None

    def left(self) -> float | None:
        """Seconds of the budget that remain, or None without a budget."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def spent(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    @hookimpl(tryfirst=True)
    def should_stop(self) -> str | None:
        if self.spent():
            return f"the tuning time budget of {self.seconds:g} s is spent"
        return None


def tune(
    config: str | Path | Mapping[str, Any],
    *,
    overrides: Iterable[str] = (),
    plugins: Iterable[Any] = (),
    local_plugins: Iterable[str] = (),
    disable: Iterable[str] = (),
    run_dir: str | Path | None = None,
    overwrite: bool = False,
    third_party: bool = True,
    out: TextIO | None = None,
) -> TuningResult:
    """Run the search that `[tune]` describes; arguments as for `Trainer`.

    Example:
        >>> result = tune("examples/housing/tune.toml", overrides=["tune.trials=3"])
        >>> result.best.values, result.best_config
    """
    base = Trainer(
        config,
        overrides=overrides,
        plugins=plugins,
        local_plugins=local_plugins,
        disable=disable,
        third_party=third_party,
        out=out,
    )
    return Search(base, run_dir=run_dir, overwrite=overwrite).run()


class Search:
    """One tuning run: checks the search, runs the trials, writes the summary files."""

    def __init__(
        self, base: Trainer, *, run_dir: str | Path | None = None, overwrite: bool = False
    ) -> None:
        self.base = base
        self.pm = base.pm
        self.config = base.config
        self.cfg = self.config["tune"]
        self.context = RunContext(config=self.config, pm=self.pm, out=base.context.out)
        self.part, self.name, self.mode = self._metric()
        self.space = parse_space(self.cfg["space"])
        self.trial_overrides = [configmod.parse_override(t) for t in self.cfg["trial_overrides"]]
        self._check_values()
        self.strategy = self._strategy()
        self.run_dir_arg, self.overwrite = run_dir, overwrite
        self.trials: list[TrialResult] = []

    # --- checks before anything runs ---

    def _metric(self) -> tuple[str, str, str]:
        metric = self.cfg["metric"]
        part, _, name = metric.partition(".")
        if not name or part not in (*SELECTABLE_PARTS, "test"):
            raise ConfigError(
                f"tune.metric = {metric!r} must be <part>.<name> with part 'valid' or 'train', "
                "e.g. 'valid.rmse'"
            )
        if part == "test":
            raise ConfigError(
                f"tune.metric = {metric!r} would choose the model on the test rows and leak "
                f"them into the choice; use 'valid.{name}'"
            )
        mode = self.cfg["mode"]
        if mode == "auto":
            mode = "max" if name in MAXIMIZED else "min"
        return part, name, mode

    def _check_values(self) -> None:
        """Resolve the config with each listed value (a range's bounds) to catch bad keys now."""
        try:
            self._trainer({}, quiet=True)
        except ConfigError as exc:
            raise ConfigError(f"tune.trial_overrides: {exc}") from None
        for key, dim in self.space.items():
            values = dim.values if isinstance(dim, Choice) else (dim.low, dim.high)
            for value in values:
                try:
                    self._trainer({key: value}, quiet=True)
                except ConfigError as exc:
                    raise ConfigError(f"tune.space.{json.dumps(key)}: {exc}") from None

    def _strategy(self) -> Strategy:
        method = self.cfg["method"]
        strategy = self.pm.hook.tuning_strategy(run=self.context, method=method, space=self.space)
        if strategy is not None:
            return strategy
        if method in BUILTIN_METHODS:
            return builtin_strategy(method, self.space, self.config["run"]["seed"])
        raise ConfigError(
            f"tune.method = {method!r} is not provided by any plugin; use 'grid' or 'random', "
            "or enable the plugin that provides it (housing.tuner: 'bayesian', 'hyperband')"
        )

    def _trainer(
        self,
        values: Mapping[str, Any],
        *,
        run_dir: Path | None = None,
        quiet: bool = False,
        trial: bool = True,
    ) -> Trainer:
        """A Trainer of the base config with `values`, and with the trial overrides if `trial`."""
        config = copy.deepcopy(self.config)
        changes = [*(self.trial_overrides if trial else []), *values.items()]
        for key, value in changes:
            path = key if isinstance(key, list) else key.split(".", 1)
            node = config
            for part in path[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ConfigError(f"{'.'.join(path)}: {part!r} is not a table of keys")
            node[path[-1]] = copy.deepcopy(value)
        out = io.StringIO() if quiet else self.context.out
        return Trainer(config, pm=self.pm, run_dir=run_dir, out=out)

    # --- the search ---

    def run(self) -> TuningResult:
        """Run the trials within the budget and write the summary; return the result."""
        run = self.context
        cfg = self.config["run"]
        run.dir = rundir.create(
            cfg["output_dir"],
            f"{cfg['name']}-tune",
            run_dir=self.run_dir_arg,
            overwrite=self.overwrite,
        )
        run.dir.set_status("running")
        run.dir.write_text("config.toml", configmod.dumps(self.config))
        try:
            result = self._search()
        except BaseException as exc:
            run.dir.set_status("failed", error=str(exc).splitlines()[0] if str(exc) else "")
            run.dir.write_text("run.log", "\n".join(run.log_lines) + "\n")
            raise
        run.dir.set_status("completed")
        run.dir.write_text("run.log", "\n".join(run.log_lines) + "\n")
        return result

    def _search(self) -> TuningResult:
        run = self.context
        budget = self.cfg["time_budget"]
        clock = TimeBudget(budget)
        total = self.cfg["trials"]
        run.echo(
            f"== tune: {self.cfg['method']} search, up to {total} trials"
            + (f" or {budget:g} s" if budget else "")
            + f", {self.part}.{self.name} ({self.mode}) over {', '.join(self.space)}"
        )
        self.pm.register_plugin(clock, "tune.budget")
        try:
            stop_reason = self._run_trials(clock)
        finally:
            self.pm.unregister_plugin("tune.budget")
        return self._conclude(stop_reason)

    def _run_trials(self, clock: TimeBudget) -> str:
        """Run the trials one after another until the search ends; return why it ended."""
        total = self.cfg["trials"]
        while len(self.trials) < total:
            if clock.spent():
                return budget_spent(clock.seconds)
            values = self.strategy.propose()
            if values is None:
                return EXHAUSTED
            trial = self.run_trial(len(self.trials), values)
            self.strategy.report(values, trial.loss)
            self.record(trial)
        return trials_done(total)

    def record(self, trial: TrialResult) -> None:
        """Keep a finished trial (in trial-number order), print its line, update the summary."""
        self.trials.append(trial)
        self.trials.sort(key=lambda t: t.number)
        self.context.echo(self.progress_line(trial, self.cfg["trials"]))
        self._write_summary(stop_reason=None)

    def _conclude(self, stop_reason: str) -> TuningResult:
        """Choose the best trial, write best.toml and the summary, print the table."""
        run = self.context
        completed = [t for t in self.trials if t.status == "completed"]
        if not completed:
            self._write_summary(stop_reason)
            if not self.trials:
                raise UsageError(f"the {self.cfg['method']} search proposed no trial")
            run.echo(f"all {len(self.trials)} trials failed")
            first = next((t.exception for t in self.trials if t.exception is not None), None)
            raise first or UsageError(f"all trials failed; the first: {self.trials[0].error}")
        best = min(completed, key=lambda t: t.loss)
        best_config = self._write_best(best)
        self._write_summary(stop_reason, best)
        self._print_table(completed, best_config, stop_reason)
        return TuningResult(
            run.dir.path,
            f"{self.part}.{self.name}",
            self.mode,
            self.trials,
            best,
            best_config,
            stop_reason,
        )

    def run_trial(self, number: int, values: dict[str, Any]) -> TrialResult:
        """Run trial `number` with `values` in `trials/trial-NNN/` of the tuning directory."""
        name = f"trial-{number:03d}"
        run_dir = self.context.dir / f"trials/{name}"
        trial = TrialResult(number, name, values, "failed", run_dir=run_dir)
        start = time.perf_counter()
        try:
            result = self._trainer(values, run_dir=run_dir, quiet=True).run()
        except KerasplugError as exc:
            trial.exception = exc
            trial.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            trial.seconds = time.perf_counter() - start
            return trial
        trial.seconds = time.perf_counter() - start
        trial.config = result.config
        trial.epochs = result.metrics.get("epochs")
        trial.stop_reason = result.stop_reason
        value = self._value(result.metrics)
        if not math.isfinite(value):
            trial.error = f"{self.part}.{self.name} is {value}"
            return trial
        trial.status, trial.value = "completed", value
        trial.loss = value if self.mode == "min" else -value
        return trial

    def _value(self, metrics: Mapping[str, Any]) -> float:
        found = metrics.get(self.part, {})
        if self.name not in found:
            available = [f"{p}.{n}" for p in SELECTABLE_PARTS for n in metrics.get(p, {})]
            raise ConfigError(
                f"tune.metric = '{self.part}.{self.name}' is not among the trials' metrics; "
                f"choose one of {', '.join(available) or 'none (is there a validation part?)'}"
            )
        return float(found[self.name])

    # --- output ---

    def progress_line(self, trial: TrialResult, total: int) -> str:
        """The line printed when a trial ends."""
        head = f"trial {trial.number + 1:>3}/{total}"
        shown = "  ".join(f"{k}={_show(v)}" for k, v in trial.values.items())
        where = f" on {trial.worker}" if trial.worker else ""
        if trial.status == "failed":
            return f"{head}  failed      {shown}  ({trial.error}{where})"
        metric = f"{self.part}.{self.name}"
        return (
            f"{head}  {metric} {trial.value:<10.4g} {shown}  "
            f"({trial.epochs} epochs, {trial.seconds:.1f}s{where})"
        )

    def _print_table(self, completed: list[TrialResult], best_config: Path, reason: str) -> None:
        run = self.context
        metric = f"{self.part}.{self.name}"
        keys = list(dict.fromkeys(k for t in completed for k in t.values))
        ranked = sorted(completed, key=lambda t: t.loss)[:5]
        rows = [["rank", "trial", metric, *keys]] + [
            [str(i), t.name, f"{t.value:.4g}", *(_show(t.values.get(k, "")) for k in keys)]
            for i, t in enumerate(ranked, start=1)
        ]
        widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
        failed = len(self.trials) - len(completed)
        run.echo("")
        run.echo(
            f"best trials by {metric} ({self.mode}); {len(self.trials)} run"
            + (f", {failed} failed" if failed else "")
            + f"; stopped because {reason}"
        )
        for row in rows:
            run.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        run.echo(f"best config: {best_config}  (run it: kerasplug run {best_config})")
        run.echo(f"tuning directory: {run.dir}")

    def _write_best(self, best: TrialResult) -> Path:
        # The base config with the best values, without the trials-only overrides.
        resolved = self._trainer(best.values, quiet=True, trial=False).config
        config = {k: v for k, v in resolved.items() if k != "tune"}
        header = (
            f"# The best config of the {self.cfg['method']} search in {self.context.dir}:\n"
            f"# {best.name}, {self.part}.{self.name} = {best.value:.6g} ({self.mode}).\n"
            "# tune.trial_overrides are not applied here. Run it: kerasplug run best.toml\n\n"
        )
        return self.context.dir.write_text("best.toml", header + configmod.dumps(config))

    def _write_summary(self, stop_reason: str | None, best: TrialResult | None = None) -> None:
        run = self.context
        keys = list(dict.fromkeys(k for t in self.trials for k in t.values))
        metric = f"{self.part}.{self.name}"
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        # Only a distributed search says which process ran each trial.
        workers = ["worker"] if any(t.worker for t in self.trials) else []
        writer.writerow(
            [
                "trial",
                "status",
                metric,
                "seconds",
                "epochs",
                *keys,
                "stop_reason",
                "error",
                *workers,
            ]
        )
        for t in self.trials:
            writer.writerow(
                [
                    t.name,
                    t.status,
                    "" if t.value is None else repr(t.value),
                    f"{t.seconds:.3f}",
                    "" if t.epochs is None else t.epochs,
                    *(_cell(t.values[k]) if k in t.values else "" for k in keys),
                    t.stop_reason or "",
                    t.error or "",
                    *(t.worker or "" for _ in workers),
                ]
            )
        run.dir.write_text("trials.csv", table.getvalue())
        run.dir.write_json(
            "tuning.json",
            {
                "method": self.cfg["method"],
                "metric": metric,
                "mode": self.mode,
                "space": self.cfg["space"],
                "status": "running" if stop_reason is None else "completed",
                "stop_reason": stop_reason,
                "best": None if best is None else best.as_dict(),
                "trials": [t.as_dict() for t in self.trials],
            },
        )


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, (list, dict, str)) else str(value)


def _cell(value: Any) -> Any:
    """A CSV cell: lists and tables as JSON text, so that they read back unambiguously."""
    return json.dumps(value) if isinstance(value, (list, dict)) else value
