"""A saved run, loaded back: predict, extract features and explain for raw rows.

`load_run(path)` reads only formats that cannot run code: TOML, JSON and CSV, the network as a
`.keras` file with `safe_mode=True` (a Python `Lambda` is refused) and the fitted preprocessing
as skops with an explicit list of trusted types (scikit-learn's, numpy's, those that installed
plugins vouch for through `trusted_types`, and those passed as `trust`). Raw rows are checked
against the training schema before the fitted preprocessing sees them.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from kerasplug import artifacts, rundir
from kerasplug import config as configmod
from kerasplug.context import RunContext, SplitData
from kerasplug.errors import ConfigError, DataError, PluginLoadError, UsageError
from kerasplug.manager import PluginManager, create_manager
from kerasplug.rundir import RunDir
from kerasplug.types import Explanation


class LoadedRun:
    """A completed run directory, loaded by `load_run`.

    Attributes:
        path: the run directory.
        config: the run's resolved config.
        model: the trained `keras.Model`.
        pipeline: the fitted scikit-learn preprocessing `Pipeline`.
        target_transform: the fitted target transformer (regression) or label encoder.
        metrics: the run's `metrics.json`.
        pm: the plugin manager: built-ins, entry points and the run's importable local plugins.
        context: the `RunContext` handed to hooks called for this run.
    """

    def __init__(self, context: RunContext, state: dict[str, Any]) -> None:
        self.context = context
        self.path = context.dir.path
        self.config = context.config
        self.pm = context.pm
        self.model = context.model
        self.pipeline = state["pipeline"]
        self.target_transform = state["target_transform"]
        self.metrics = context.metrics
        self.columns: list[str] = list(state["columns"])
        self.dtypes: dict[str, str] = dict(state["dtypes"])
        self.target: str = state["target"]
        self.task: str = state["task"]
        self.classes: list[Any] | None = state["classes"]
        self.categories: dict[str, list[str]] = dict(state.get("categories") or {})

    def __repr__(self) -> str:
        return f"LoadedRun({str(self.path)!r}, task={self.task!r}, target={self.target!r})"

    # --- raw rows ---

    def check(self, frame: Any) -> Any:
        """Raw rows checked against the training schema, as the training columns in order.

        Missing columns, values of the wrong type and empty input raise `DataError`; extra
        columns are ignored with a note; text values not seen in training get a warning.
        """
        import numpy as np
        import pandas as pd

        if not isinstance(frame, pd.DataFrame):
            raise UsageError(f"expected a pandas DataFrame of raw rows, got {type(frame).__name__}")
        if frame.empty:
            raise DataError(
                f"the input has no rows; give at least one row with the columns {self.columns}"
            )
        names = [str(c) for c in frame.columns]
        missing = [c for c in self.columns if c not in names]
        if missing:
            raise DataError(
                f"the input lacks column(s) {missing} that the model was trained on; add them"
            )
        extra = [c for c in names if c not in self.columns]
        if extra:
            self.context.echo(f"note: ignoring column(s) the model was not trained on: {extra}")
        rows = frame.set_axis(names, axis=1)[self.columns].copy()
        for column in self.columns:
            trained = pd.api.types.pandas_dtype(self.dtypes[column])
            if pd.api.types.is_numeric_dtype(trained):
                rows[column] = self._numeric(rows[column], trained)
                if np.isinf(rows[column].to_numpy(dtype="float64")).any():
                    raise DataError(
                        f"column {column!r} holds infinite values; replace them with finite numbers"
                    )
            elif column in self.categories:
                seen = set(self.categories[column])
                unseen = sorted({str(v) for v in rows[column].dropna().unique()} - seen)
                if unseen:
                    self.context.warn(
                        f"column {column!r} has values not seen in training: {unseen[:5]}; "
                        "the preprocessing treats them as unknown"
                    )
        return rows

    def _numeric(self, values: Any, trained: Any) -> Any:
        import pandas as pd

        column = values.name
        if not pd.api.types.is_numeric_dtype(values):
            converted = pd.to_numeric(values, errors="coerce")
            bad = values[converted.isna() & values.notna()]
            if len(bad):
                raise DataError(
                    f"column {column!r} must be numeric ({trained} in training) but holds "
                    f"{bad.iloc[0]!r} (row {bad.index[0]}); fix those values"
                )
            values = converted
        if (
            pd.api.types.is_integer_dtype(trained)
            and values.notna().all()
            and (values == values.round()).all()
        ):
            values = values.astype(trained)
        return values

    def transform(self, frame: Any) -> Any:
        """Raw rows through the run's fitted preprocessing: a float32 DataFrame."""
        return self._preprocess(self.check(frame))

    def _preprocess(self, rows: Any) -> Any:
        from kerasplug.trainer import preprocess_rows

        return preprocess_rows(
            self.pipeline,
            rows,
            "the input rows",
            "fill them in (this run's preprocessing does not impute them)",
        )

    # --- what a run is for ---

    def predict(self, frame: Any) -> Any:
        """Predictions for raw rows, indexed like `frame`.

        Returns:
            A DataFrame with `y_pred` in the target's original units; for classification the
            predicted class in `y_pred` and one probability column `p_<class>` per class.
        """
        import pandas as pd

        from kerasplug.trainer import predict_values

        x = self.transform(frame)
        values = predict_values(self.model, x, self.task, self.target_transform)
        if self.task == "regression":
            return pd.DataFrame({"y_pred": values}, index=x.index)
        out = pd.DataFrame(
            {"y_pred": [self.classes[i] for i in values.argmax(axis=1)]}, index=x.index
        )
        for k, cls in enumerate(self.classes):
            out[f"p_{cls}"] = values[:, k]
        return out

    def features(self, frame: Any, layers: Sequence[str] = ()) -> Any:
        """Activations of `layers` (all layers when empty) for raw rows, via `extract_features`."""
        from kerasplug.features import extract

        return extract(self.context, self.model, self.transform(frame), layers)

    def explain(
        self,
        frame: Any,
        methods: Sequence[str] = (),
        *,
        background: Any = None,
        output_dir: str | Path | None = None,
    ) -> list[Explanation]:
        """Explanations of the model's predictions for raw rows, via the `explain` hook.

        Args:
            frame: raw rows to explain (a `data.target` column, if present, is used to pick
                the worst-predicted rows).
            methods: explanation methods to keep (all the plugins give when empty); with the
                shipped plugins it also sets `explain.methods` so only those run.
            background: raw rows the attributions are relative to; default `frame` itself.
            output_dir: where explanation plugins write their files; default a temporary
                folder that is removed afterwards (the run directory is never written).
        """
        # A private context: explanation plugins record into run.metrics and run.images,
        # which must not leak into the loaded run's own.
        run = copy.copy(self.context)
        run.config = copy.deepcopy(self.config)
        run.metrics = copy.deepcopy(self.context.metrics)
        run.images = {}
        if methods and "methods" in run.config.get("explain", {}):
            run.config["explain"]["methods"] = list(methods)
        raw = self.check(frame)
        rows = self._preprocess(raw)
        back_raw = raw if background is None else self.check(background)
        back = rows if background is None else self._preprocess(back_raw)
        run.frame = raw
        run.parts = {
            "train": SplitData(rows=back_raw.index, raw=back_raw, x=back, y=None, y_fit=None)
        }
        run.predictions = self._predictions_of(frame, rows)
        with tempfile.TemporaryDirectory(prefix="kerasplug-explain-") as scratch:
            run.dir = RunDir(output_dir if output_dir is not None else scratch)
            answers = self.pm.hook.explain(run=run, model=self.model, background=back, rows=rows)
        found = [e for answer in answers for e in (answer or [])]
        if not methods:
            return found
        missing = sorted(set(methods) - {e.method for e in found})
        if missing:
            given = sorted({e.method for e in found}) or "none"
            raise UsageError(
                f"no plugin explained with {missing} (methods given: {given}); enable the "
                "plugin that provides it"
            )
        return [e for e in found if e.method in methods]

    def _predictions_of(self, frame: Any, x: Any) -> Any:
        """`predictions.csv`-shaped rows for `frame` when its true targets are known."""
        import pandas as pd

        from kerasplug.trainer import predict_values

        if self.target not in frame.columns:
            return None
        values = predict_values(self.model, x, self.task, self.target_transform)
        out = pd.DataFrame(
            {"row": x.index, "fold": 0, "split": "test", "y_true": frame[self.target].to_numpy()}
        )
        if self.task == "regression":
            out["y_pred"] = values
        else:
            out["y_pred"] = [self.classes[i] for i in values.argmax(axis=1)]
            for k, cls in enumerate(self.classes):
                out[f"p_{cls}"] = values[:, k]
        return out


def load_run(
    path: str | Path,
    *,
    safe_mode: bool = True,
    trust: Iterable[str] = (),
    plugins: Iterable[Any] = (),
    local_plugins: Iterable[str] = (),
    disable: Iterable[str] = (),
    out: TextIO | None = None,
) -> LoadedRun:
    """Load a completed run directory without executing code from it.

    Args:
        path: the run directory.
        safe_mode: `False` loads a `.keras` model with Python code in it (a `Lambda` layer),
            every type in `preprocessing.skops`, and local plugins the run names by file path.
            Only for run directories from a source you trust.
        trust: extra fully qualified class names to trust in `preprocessing.skops`.
        plugins: plugin objects to register, as for `Trainer`.
        local_plugins: module names or `.py` paths of local plugins (`-p`).
        disable: plugin names to disable (`-p no:NAME`).
        out: where notes and warnings go (default: standard output).

    Raises:
        UsageError: not a completed run directory.
        UnsafeArtifactError: the run directory holds something that would run code.

    Example:
        >>> run = load_run("runs/boston-20250101-120000")
        >>> run.predict(frame)["y_pred"]
    """
    from kerasplug.tfruntime import import_tensorflow

    run_dir = _completed_run_dir(path)
    saved = configmod.read_toml(run_dir / "config.toml")
    pm = create_manager(plugins=plugins, local=local_plugins, disable=disable)
    context = RunContext(config=saved, pm=pm, out=out, dir=run_dir)
    _register_run_plugins(context, saved.get("plugins", []), safe_mode)
    context.config = _resolved(context, saved)

    trusted = [*artifacts.plugin_trusted_types(pm, context), *trust]
    if not safe_mode:
        trusted += _all_types(run_dir / artifacts.PREPROCESSING_FILE)
    state = artifacts.load_preprocessing(run_dir / artifacts.PREPROCESSING_FILE, trusted)
    import_tensorflow()
    context.model = artifacts.load_model(run_dir / artifacts.MODEL_FILE, safe_mode=safe_mode)
    context.pipeline = state["pipeline"]
    context.target_transform = state["target_transform"]
    context.target, context.task, context.classes = state["target"], state["task"], state["classes"]
    context.metrics = run_dir.read_json("metrics.json")
    return LoadedRun(context, state)


def _completed_run_dir(path: str | Path) -> RunDir:
    shown = str(path)
    run_dir, status = rundir.existing(path, f"run {shown!r}")
    if status != "completed":
        raise UsageError(
            f"run {shown!r} did not complete (status {status!r}); finish it with "
            f"`kerasplug run CONFIG --resume {shown}` first"
        )
    for name in (artifacts.MODEL_FILE, artifacts.PREPROCESSING_FILE, "metrics.json"):
        if not (run_dir / name).is_file():
            raise UsageError(f"run {shown!r} lacks {name}; re-create the run")
    return run_dir


def _register_run_plugins(context: RunContext, specs: Iterable[str], safe_mode: bool) -> None:
    """Register the local plugins the run used, where they can be imported here.

    An importable module is code installed here, not code from the run directory; a `.py`
    path named by the run's config is only loaded with `safe_mode=False`.
    """
    pm: PluginManager = context.pm
    for spec in specs:
        name = Path(spec).stem if spec.endswith(".py") else spec
        if pm.get_plugin(name) is not None:
            continue
        is_path = spec.endswith(".py") or "/" in spec
        try:
            if is_path and safe_mode:
                context.echo(
                    f"note: the run's plugin file {spec!r} was not loaded (loading a run runs no "
                    "code files it names); pass -p with it if you trust it"
                )
            elif is_path:
                pm.load_local([spec])
            elif importlib.util.find_spec(spec) is not None:
                pm.register_plugin(importlib.import_module(spec), spec, distribution="(local)")
            else:
                context.echo(f"note: the run's plugin {spec!r} is not importable here; skipped")
        except (PluginLoadError, ImportError) as exc:
            context.echo(f"note: the run's plugin {spec!r} could not be loaded: {exc}")


def _resolved(context: RunContext, saved: dict[str, Any]) -> dict[str, Any]:
    """The saved config checked against the plugins present now, defaults filled in.

    `config.toml` leaves out keys whose value is None (TOML has no null); resolving brings
    them back. If a section's plugin is missing here, the saved config is used as it is.
    """
    declared = [("kerasplug", configmod.core_sections())]
    for impl in context.pm.hook.config_sections.get_hookimpls():
        answer = impl.function(*({"run": context}[n] for n in impl.argnames))
        declared.append((impl.plugin_name, answer))
    try:
        return configmod.resolve(saved, configmod.merge_schemas(declared))
    except ConfigError as exc:
        context.echo(f"note: the run's config does not match the plugins installed here: {exc}")
        return saved


def _all_types(path: Path) -> list[str]:
    """Every type a skops file holds (to trust them all, for `safe_mode=False`)."""
    import zipfile

    import skops.io

    return list(skops.io.get_untrusted_types(file=path)) if zipfile.is_zipfile(path) else []
