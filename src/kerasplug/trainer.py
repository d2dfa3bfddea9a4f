"""The Trainer: runs the lifecycle by calling hooks, and decides nothing itself.

    config → load_data → explore_data → make_splits → for each split:
        preprocessing_steps (fit on train rows) → target_transformer → build_model →
        for each stage: freeze_layers → compile_options → training_callbacks →
            before_fit → training_data → fit →
        compute_metrics
    → artifacts → explain → report → after_run

TensorFlow, pandas and scikit-learn are imported inside the methods that need them, so that
`import kerasplug` stays fast.
"""

from __future__ import annotations

import inspect
import itertools
import shutil
import tempfile
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from kerasplug import checkpoint, distribution, rundir
from kerasplug import config as configmod
from kerasplug.context import RunContext, RunResult, SplitData
from kerasplug.errors import ConfigError, DataError, KerasplugError, PluginError, UsageError
from kerasplug.manager import PluginManager, create_manager
from kerasplug.types import Split, Stage

TASKS = ("regression", "binary", "multiclass")


class Trainer:
    """Train, evaluate and explain a Keras model, every stage decided by plugins.

    Args:
        config: a TOML file path, a dict shaped like the TOML file, or `None` for defaults.
        overrides: `section.key=value` strings applied on top (`--set`).
        plugins: plugin objects (modules or instances) to register, or `(name, plugin)` pairs.
        local_plugins: module names or `.py` paths of local plugins (`-p`).
        disable: names of plugins to disable (`-p no:NAME`).
        run_dir: the run directory to create; default `output_dir/<name>-<timestamp>`.
        overwrite: replace an existing kerasplug run directory at `run_dir`.
        resume: an interrupted run directory to continue from its last finished epoch; the
            config must be the one it was started with.
        third_party: load plugins of other installed distributions (entry points).
        out: where progress goes (default: standard output).

    Example:
        >>> result = Trainer("examples/housing/boston.toml", overrides=["train.epochs=5"]).run()
        >>> result.metrics["test"]["rmse"]
    """

    def __init__(
        self,
        config: str | Path | Mapping[str, Any] | None = None,
        *,
        overrides: Iterable[str] = (),
        plugins: Iterable[Any] = (),
        local_plugins: Iterable[str] = (),
        disable: Iterable[str] = (),
        run_dir: str | Path | None = None,
        overwrite: bool = False,
        resume: str | Path | None = None,
        third_party: bool = True,
        out: TextIO | None = None,
        pm: PluginManager | None = None,
    ) -> None:
        search_dirs: list[Path] = []
        if config is None:
            raw: dict[str, Any] = {}
        elif isinstance(config, Mapping):
            raw = dict(config)
        else:
            raw = configmod.read_toml(config)
            search_dirs.append(Path(config).resolve().parent)
        raw = configmod.apply_overrides(raw, overrides)
        requested = configmod.Option([], list, item=str).check("plugins", raw.get("plugins", []))
        self.pm = pm or create_manager(
            plugins=plugins,
            local=[*local_plugins, *requested],
            disable=disable,
            third_party=third_party,
            search_dirs=search_dirs,
        )
        self.run_dir_arg = run_dir
        self.overwrite = overwrite
        if resume is not None and (run_dir is not None or overwrite):
            raise UsageError("--resume continues its own run directory; drop --run-dir/--overwrite")
        self.resume = resume
        self.checkpoint: Any = None  # the interrupted run's last checkpoint, when resuming
        self.context = RunContext(config={}, pm=self.pm, out=out)
        self.context.config = self._resolve(raw)

    # --- configuration ---

    def _resolve(self, raw: dict[str, Any]) -> dict[str, Any]:
        run = self.context
        declared = [("kerasplug", configmod.core_sections())]
        for impl in self.pm.hook.config_sections.get_hookimpls():
            declared.append((impl.plugin_name, self._call_impl(impl, "config_sections", run=run)))
        schema = configmod.merge_schemas(declared)
        try:
            resolved = configmod.resolve(raw, schema)
        except ConfigError as error:
            try:  # the same check, told what disabled plugins declare
                configmod.resolve(raw, schema, disabled=self._declared_by_disabled(run))
            except ConfigError as named:
                if str(named) != str(error):
                    raise named from None
            raise
        run.config = resolved
        self.pm.hook.configure(run=run, config=resolved)
        return resolved

    def _declared_by_disabled(self, run: Any) -> dict[str, str]:
        """The sections and keys that kerasplug's own disabled plugins declare, by owner."""
        declared = []
        for name, plugin in self.pm.disabled_own_plugins():
            sections = getattr(plugin, "config_sections", None)
            if sections is None:
                continue
            try:
                wanted = inspect.signature(sections).parameters
                declared.append((name, sections(**({"run": run} if "run" in wanted else {}))))
            except Exception:  # only a hint for an error already raised: never mask it
                continue
        return configmod.owners(declared)

    def _call_impl(self, impl: Any, hook: str, **kwargs: Any) -> Any:
        """Call one implementation directly (to know which plugin gave which answer)."""
        try:
            return impl.function(*(kwargs[name] for name in impl.argnames))
        except KerasplugError:
            raise
        except Exception as exc:
            raise PluginError(impl.plugin_name, hook, exc) from exc

    @property
    def config(self) -> dict[str, Any]:
        return self.context.config

    # --- the run ---

    def run(self) -> RunResult:
        """Run the whole lifecycle and return its result; artifacts go to the run directory."""
        from kerasplug.tfruntime import import_tensorflow

        run = self.context
        import_tensorflow()
        run.strategy = self.pm.hook.distribution_strategy(run=run)
        if distribution.is_chief(run.strategy):
            run.dir = self._open_run_dir()
        else:  # other workers write to a scratch folder, so artifacts are written once
            run.dir = rundir.RunDir(tempfile.mkdtemp(prefix="kerasplug-worker-"))
        run.dir.set_status("running")
        try:
            result = self._run()
            run.dir.set_status("completed")
            self._write_log()
            checkpoint.remove(run.dir)  # only an unfinished run needs it
        except BaseException as exc:
            error = self._attribute(exc)
            self._fail(error, exc)
            if error is exc:
                raise
            raise error from exc
        finally:
            if not distribution.is_chief(run.strategy):  # after its last write
                shutil.rmtree(run.dir.path, ignore_errors=True)
        return result

    def _open_run_dir(self) -> rundir.RunDir:
        """A fresh run directory, or the interrupted one named by `resume` with its checkpoint."""
        run = self.context
        cfg = run.config["run"]
        if self.resume is None:
            return rundir.create(
                cfg["output_dir"], cfg["name"], run_dir=self.run_dir_arg, overwrite=self.overwrite
            )
        found = checkpoint.reopen(self.resume, run.config)
        run.resumed = True
        self.checkpoint = checkpoint.load(found)
        if self.checkpoint is None:
            run.echo("no epoch had finished: training starts from the first epoch")
        else:
            run.echo(f"resuming after epoch {self.checkpoint.epoch}")
        return found

    def _run(self) -> RunResult:
        run = self.context
        hook = self.pm.hook
        run.dir.write_text("config.toml", configmod.dumps(run.config))
        run.dir.write_json("plugins.json", [i.as_dict() for i in self.pm.plugin_infos()])
        hook.before_run(run=run)
        if run.strategy is not None:
            run.echo(
                f"distributed: {type(run.strategy).__name__} with "
                f"{distribution.replicas(run.strategy)} replicas in sync"
            )
        if run.config["run"]["deterministic"]:
            from kerasplug.tfruntime import import_tensorflow

            import_tensorflow().config.experimental.enable_op_determinism()

        run.echo("== data")
        frame = self._load()
        hook.explore_data(run=run, frame=frame, target=run.target)
        self._split(frame)

        fold_results = []
        prediction_frames = []
        for index, split in enumerate(run.splits):
            if self.checkpoint is not None and index < self.checkpoint.fold:
                done, predictions = checkpoint.load_fold(run.dir, index)
                fold_results.append(done)
                prediction_frames.append(predictions)
                continue
            run.echo(f"== split {split.name} ({index + 1}/{len(run.splits)})")
            fold_results.append(self._run_split(index, split))
            prediction_frames.append(self._predictions_frame())
            checkpoint.save_fold(run.dir, index, fold_results[-1], prediction_frames[-1])

        import pandas as pd

        run.predictions = pd.concat(prediction_frames, ignore_index=True)
        run.metrics = self._summarise(fold_results)

        run.echo("== artifacts")
        self._save_artifacts()

        run.echo("== explain")
        test = run.parts.get("test") or run.parts.get("valid") or run.parts["train"]
        explanations = hook.explain(
            run=run, model=run.model, background=run.parts["train"].x, rows=test.x
        )
        run.explanations = list(itertools.chain.from_iterable(e or [] for e in explanations))

        result = self._result()
        run.echo("== report")
        hook.report(run=run, result=result)
        run.dir.write_json("metrics.json", run.metrics)
        hook.after_run(run=run, result=result)
        return result

    def build(self) -> Any:
        """Build the network as the first training stage will start it, without training.

        Loads the data, splits it, fits the first split's preprocessing on its training rows
        (to know the input width), builds the model and applies the first stage's layer
        freezing. Nothing is written: no run directory is made, no exploration hook runs.

        Returns:
            The uncompiled `keras.Model`.
        """
        from kerasplug.tfruntime import import_tensorflow

        import_tensorflow()
        self._split(self._load())
        model = self._build_split(0, self.context.splits[0])
        stage = self._stages()[0]
        self.context.stage = stage
        self.pm.hook.freeze_layers(run=self.context, model=model, stage=stage)
        return model

    def _split(self, frame: Any) -> None:
        run = self.context
        splits = self.pm.hook.make_splits(run=run, frame=frame, target=run.target)
        if not splits:
            raise UsageError(
                "no plugin answered make_splits: enable a split plugin (e.g. housing.split)"
            )
        run.splits = list(splits)

    def _load(self) -> Any:
        import pandas as pd

        run = self.context
        data_cfg = run.config["data"]
        frame = self.pm.hook.load_data(run=run, config=run.config)
        if frame is None:
            raise DataError(
                f"no plugin serves data.source = {data_cfg['source']!r}; "
                "check the name or enable the plugin that provides it"
            )
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"load_data returned {type(frame).__name__}, not a pandas DataFrame")
        target = data_cfg["target"] or frame.attrs.get("target", "")
        if not target:
            raise ConfigError("data.target is not set; name the column to predict")
        if frame.columns.duplicated().any():
            dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise DataError(f"the table has duplicate column names {dupes}; rename them")
        if target not in frame.columns:
            import difflib

            close = difflib.get_close_matches(target, [str(c) for c in frame.columns], n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise DataError(f"data.target = {target!r} is not a column of the table{hint}")
        missing = [c for c in data_cfg["drop"] if c not in frame.columns]
        if missing:
            raise ConfigError(f"data.drop names columns that do not exist: {missing}")
        frame = frame.drop(columns=data_cfg["drop"])
        unlabelled = int(frame[target].isna().sum())
        if unlabelled:
            run.warn(f"dropped {unlabelled} rows without a value for the target {target!r}")
            frame = frame[frame[target].notna()]
        if frame.empty:
            raise DataError(f"the table has no rows with a value for the target {target!r}")
        self._check_table(frame, target)
        run.frame, run.target = frame, target
        run.task = self._task(frame[target], data_cfg["task"])
        run.echo(
            f"loaded {len(frame)} rows x {frame.shape[1] - 1} features, target {target!r} "
            f"({run.task})"
        )
        return frame

    @staticmethod
    def _check_table(frame: Any, target: str) -> None:
        """Refuse tables no preprocessing can repair: one row, empty columns, infinities."""
        import json

        import numpy as np
        import pandas as pd

        if len(frame) < 2:
            raise DataError(
                f"the table has only 1 row with a value for the target {target!r}; training "
                "needs at least 2 rows (and more to hold some out for testing)"
            )
        empty = [str(c) for c in frame.columns if c != target and frame[c].isna().all()]
        if empty:
            raise DataError(
                f"column(s) {empty} have no values (every cell is missing); drop them with "
                f"data.drop = {json.dumps(empty)} or fill them in"
            )
        for column in frame.columns:
            values = frame[column]
            if pd.api.types.is_float_dtype(values) and np.isinf(values).any():
                row = values.index[np.isinf(values)][0]
                raise DataError(
                    f"column {str(column)!r} holds infinite values (e.g. row {row}); replace "
                    "them with finite numbers or empty cells"
                )

    def _task(self, y: Any, requested: str) -> str:
        import pandas as pd

        run = self.context
        numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
        task = requested
        if task == "auto" and not numeric:
            # Mostly numbers with a few typos ("unknown") is a broken regression target, not a
            # classification problem with hundreds of classes.
            parsed = pd.to_numeric(y, errors="coerce")
            if parsed.notna().mean() >= 0.5:
                bad = y[parsed.isna()]
                raise DataError(
                    f"the target {y.name!r} is not numeric: {len(bad)} value(s) such as "
                    f"{bad.iloc[0]!r} are not numbers; fix or remove those rows, or set "
                    "data.task = 'multiclass' to treat the values as classes"
                )
        if task == "auto":
            task = "regression" if numeric else ("binary" if y.nunique() <= 2 else "multiclass")
        if task == "regression":
            if not numeric:
                raise DataError(
                    f"the target {y.name!r} is not numeric (e.g. {y.iloc[0]!r}); set "
                    "data.task to 'binary' or 'multiclass', or choose a numeric target"
                )
            if y.nunique() < 2:
                raise DataError(
                    f"the target {y.name!r} is constant (every row is {y.iloc[0]}); there is "
                    "nothing to learn: choose another data.target"
                )
        else:
            run.classes = sorted(y.unique().tolist(), key=str)
            if len(run.classes) < 2:
                raise DataError(f"the target {y.name!r} has a single class; nothing to learn")
            if task == "binary" and len(run.classes) != 2:
                raise DataError(
                    f"data.task = 'binary' but the target has {len(run.classes)} classes; "
                    "use 'multiclass'"
                )
        return task

    # --- one split ---

    def _run_split(self, index: int, split: Split) -> dict[str, Any]:
        run = self.context
        self._build_split(index, split)
        for number, stage in enumerate(self._stages()):
            if number < self._resumed_stage(index):
                continue  # it finished before the crash; the checkpoint continues after it
            self._fit_stage(stage, number)
            if run.stop_reason is not None:
                break
        epochs = self.pm.hook.refit_epochs(run=run) if len(split.valid) else None
        if epochs:
            return self._refit(index, split, int(epochs))
        return self._evaluate()

    def _refit(self, index: int, split: Split, epochs: int) -> dict[str, Any]:
        """Train a fresh network on the training and validation rows together, evaluate it.

        The result keeps the first fit's epochs and stop reason (what early stopping found)
        and adds `refit`: the epochs and rows of the network that is evaluated and saved.
        """
        import numpy as np

        run = self.context
        found = {"epochs": run.epoch, "stop_reason": run.stop_reason, "stop_epoch": run.stop_epoch}
        best = run.best_epoch
        merged = Split(split.name, np.concatenate([split.train, split.valid]), [], split.test)
        run.echo(
            f"== refit: a fresh network on the {len(merged.train)} training and validation "
            f"rows for {epochs} epochs"
        )
        run.refit = True
        try:
            self._build_split(index, merged)
            self._fit_stage(Stage("refit", epochs), len(self._stages()), checkpoints=False)
        finally:
            run.refit = False
        result = self._evaluate()
        result["refit"] = {"epochs": run.epoch, "rows": len(merged.train), "best_epoch": best}
        result.update(found)
        run.stop_reason, run.stop_epoch = found["stop_reason"], found["stop_epoch"]
        return result

    def _resumed_stage(self, fold: int) -> int:
        """The stage the checkpoint was taken in, if it belongs to this fold; else 0."""
        found = self.checkpoint
        return found.stage if found is not None and found.fold == fold else 0

    def _build_split(self, index: int, split: Split) -> Any:
        """Fit the split's preprocessing on its training rows and build the network."""
        import keras

        run = self.context
        run.split, run.fold = split, index
        run.stop_reason = run.stop_epoch = run.best_epoch = None
        run.epoch = 0
        keras.utils.set_random_seed(run.config["run"]["seed"] + index)
        self._preprocess(split)
        n_features = run.parts["train"].x.shape[1]
        with distribution.scope(run.strategy):
            model = self.pm.hook.build_model(run=run, n_features=n_features, task=run.task)
        if model is None:
            raise UsageError(
                "no plugin answered build_model: enable a model plugin (e.g. housing.model) or "
                "register your own"
            )
        run.model = model
        return model

    def _stages(self) -> list[Stage]:
        run = self.context
        return self.pm.hook.training_stages(run=run) or [
            Stage("train", run.config["train"]["epochs"], run.config["train"]["learning_rate"])
        ]

    def _preprocess(self, split: Split) -> None:
        import numpy as np
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer, LabelEncoder

        run = self.context
        features = run.frame.drop(columns=[run.target])
        y_all = run.frame[run.target]
        train_rows = np.asarray(split.train)
        x_train = features.iloc[train_rows]
        y_train = y_all.iloc[train_rows]
        answers = self.pm.hook.preprocessing_steps(run=run, frame=x_train, target=run.target)
        steps = sorted(
            itertools.chain.from_iterable(a or [] for a in reversed(answers)),
            key=lambda s: s.order,
        )
        names = [s.name for s in steps]
        if len(set(names)) != len(names):
            raise UsageError(f"preprocessing steps have duplicate names: {names}")
        pipeline = Pipeline(
            [(s.name, s.transformer) for s in steps]
            or [("identity", FunctionTransformer(feature_names_out="one-to-one"))]
        ).set_output(transform="pandas")
        pipeline.fit(x_train, y_train)
        run.pipeline = pipeline

        transform = None
        encoder = None
        if run.task == "regression":
            transform = self.pm.hook.target_transformer(run=run, y=y_train)
            if transform is not None:
                transform.fit(y_train.to_numpy(dtype="float64").reshape(-1, 1))
        else:
            encoder = LabelEncoder().fit(np.asarray(run.classes, dtype=object))
        run.target_transform = transform if run.task == "regression" else encoder

        run.parts = {}
        for part, rows in split.parts().items():
            rows = np.asarray(rows)
            raw = features.iloc[rows]
            y = y_all.iloc[rows].to_numpy()
            run.parts[part] = SplitData(
                rows=raw.index,
                raw=raw,
                x=preprocess_rows(pipeline, raw, f"the {part} rows", IMPUTE_HINT),
                y=y,
                y_fit=self._encode_target(y),
            )

    def _encode_target(self, y: Any) -> Any:
        return encode_target(y, self.context.task, self.context.target_transform)

    def _fit_stage(self, stage: Stage, number: int, checkpoints: bool = True) -> None:
        from kerasplug.bridge import make_bridge

        run = self.context
        hook = self.pm.hook
        model = run.model
        run.stage = stage
        run.echo(f"== train: stage {stage.name!r}, up to {stage.epochs} epochs")
        hook.freeze_layers(run=run, model=model, stage=stage)
        with distribution.scope(run.strategy):
            options = hook.compile_options(run=run, model=model, stage=stage)
            if options is None:
                raise UsageError(
                    "no plugin answered compile_options: enable a model plugin (e.g. housing.model)"
                )
            model.compile(**options)
        found = self.checkpoint
        at_checkpoint = found is not None and (found.fold, found.stage) == (run.fold, number)
        resumed = found if at_checkpoint else None
        stage_start = run.epoch
        if resumed is not None:
            self.checkpoint = None  # used once: later stages and folds start afresh
            with distribution.scope(run.strategy):
                checkpoint.restore_model(model, resumed)
            stage_start, run.epoch = resumed.stage_start, resumed.epoch
            run.history = resumed.history
            run.stop_reason, run.stop_epoch = resumed.stop_reason, resumed.stop_epoch
        callbacks = list(
            itertools.chain.from_iterable(
                c or [] for c in hook.training_callbacks(run=run, model=model, stage=stage)
            )
        )
        callbacks.append(make_bridge(run))
        if checkpoints:
            callbacks.append(
                checkpoint.make_saver(
                    lambda: self._save_checkpoint(number, stage_start),
                    run.config["run"]["checkpoint_seconds"],
                )
            )
        run.fit_options = {}
        hook.before_fit(run=run, model=model, stage=stage)
        if resumed is not None:
            self._restore_plugin_states(resumed.plugins)
        # A checkpoint taken at a stopping epoch resumes with nothing left to train.
        end = run.epoch if run.stop_reason is not None else stage_start + stage.epochs
        history = model.fit(
            **self._fit_data(),
            epochs=end,
            initial_epoch=run.epoch,
            callbacks=callbacks,
            verbose=0,
            **run.fit_options,
        )
        if run.stop_reason is None and run.epoch - stage_start < stage.epochs:
            run.stop_reason = f"a Keras callback stopped training after epoch {run.epoch}"
            run.stop_epoch = run.epoch
        if run.stop_reason is not None:
            run.echo(f"stopped after epoch {run.stop_epoch}: {run.stop_reason}")
        hook.after_fit(run=run, model=model, history=history, stage=stage)

    def _fit_data(self) -> dict[str, Any]:
        """The data arguments of `model.fit`: datasets that plugins stream, else the arrays."""
        run = self.context
        hook = self.pm.hook
        batch_size = run.config["train"]["batch_size"] * distribution.replicas(run.strategy)
        train, valid = run.parts["train"], run.parts.get("valid")
        streamed = hook.training_data(run=run, part="train", batch_size=batch_size)
        if streamed is None:
            data = {"x": train.x.to_numpy(), "y": train.y_fit, "batch_size": batch_size}
        else:
            data = {"x": streamed, "shuffle": False}  # the dataset orders its own rows
        if valid is not None:
            streamed = hook.training_data(run=run, part="valid", batch_size=batch_size)
            if streamed is None:
                data["validation_data"] = (valid.x.to_numpy(), valid.y_fit)
                data["validation_batch_size"] = batch_size
            else:
                data["validation_data"] = streamed
        return data

    def _save_checkpoint(self, stage: int, stage_start: int) -> None:
        """Checkpoint the epoch just finished, with each plugin's `checkpoint_state`."""
        run = self.context
        states = {}
        for impl in self.pm.hook.checkpoint_state.get_hookimpls():
            state = self._call_impl(impl, "checkpoint_state", run=run)
            if state is not None:
                states[impl.plugin_name] = state
        checkpoint.save(
            run.dir,
            run.model,
            fold=run.fold,
            stage=stage,
            stage_start=stage_start,
            run=run,
            plugins=states,
        )

    def _restore_plugin_states(self, states: dict[str, Any]) -> None:
        run = self.context
        for impl in self.pm.hook.restore_state.get_hookimpls():
            if impl.plugin_name in states:
                self._call_impl(impl, "restore_state", run=run, state=states[impl.plugin_name])

    def _predict(self, x: Any) -> Any:
        """Predictions in original units (regression) or class probabilities (n, k)."""
        run = self.context
        return predict_values(run.model, x, run.task, run.target_transform)

    def _evaluate(self) -> dict[str, Any]:
        run = self.context
        metrics: dict[str, Any] = {}
        for part, data in run.parts.items():
            y_pred = self._predict(data.x)
            data.y_pred = y_pred  # type: ignore[attr-defined]
            y_true = data.y if run.task == "regression" else data.y_fit
            answers = self.pm.hook.compute_metrics(
                run=run, split=part, y_true=y_true, y_pred=y_pred
            )
            merged: dict[str, float] = {}
            for answer in reversed(answers):
                merged.update({k: float(v) for k, v in (answer or {}).items()})
            metrics[part] = merged
        return {
            "name": run.split.name,
            "metrics": metrics,
            "epochs": run.epoch,
            "stop_reason": run.stop_reason,
            "stop_epoch": run.stop_epoch,
        }

    def _predictions_frame(self) -> Any:
        import pandas as pd

        run = self.context
        frames = []
        for part, data in run.parts.items():
            frame = pd.DataFrame({"row": data.rows, "fold": run.fold, "split": part})
            if run.task == "regression":
                frame["y_true"] = data.y
                frame["y_pred"] = data.y_pred
            else:
                frame["y_true"] = data.y
                frame["y_pred"] = [run.classes[i] for i in data.y_pred.argmax(axis=1)]
                for k, cls in enumerate(run.classes):
                    frame[f"p_{cls}"] = data.y_pred[:, k]
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    @staticmethod
    def _summarise(folds: list[dict[str, Any]]) -> dict[str, Any]:
        import numpy as np

        summary: dict[str, Any] = {"status": "completed"}
        if len(folds) == 1:
            fold = folds[0]
            summary.update(fold["metrics"])
        else:
            summary["folds"] = folds
            for part in folds[0]["metrics"]:
                names = folds[0]["metrics"][part]
                summary[part] = {
                    n: float(np.mean([f["metrics"][part][n] for f in folds])) for n in names
                }
                summary[f"{part}_std"] = {
                    n: float(np.std([f["metrics"][part][n] for f in folds])) for n in names
                }
        last = folds[-1]
        summary["epochs"] = last["epochs"]
        summary["stop_reason"] = last["stop_reason"]
        summary["stop_epoch"] = last["stop_epoch"]
        if "refit" in last:
            summary["refit"] = last["refit"]
        return summary

    def _save_artifacts(self) -> None:
        import pandas as pd

        from kerasplug import artifacts

        run = self.context
        raw = run.parts["train"].raw
        artifacts.save_model(run.dir, run.model)
        artifacts.save_preprocessing(
            run.dir,
            {
                "pipeline": run.pipeline,
                "target_transform": run.target_transform,
                "columns": [str(c) for c in run.parts["train"].raw.columns],
                "dtypes": {str(c): str(t) for c, t in run.parts["train"].raw.dtypes.items()},
                "target": run.target,
                "task": run.task,
                "classes": run.classes,
                # Known values of text columns, to warn about unseen ones at prediction time.
                "categories": {
                    str(c): sorted(str(v) for v in raw[c].dropna().unique())
                    for c in raw.columns
                    if not pd.api.types.is_numeric_dtype(raw[c])
                },
            },
        )
        run.dir.write_csv("history.csv", pd.DataFrame(run.history), index=False)
        run.dir.write_csv("predictions.csv", run.predictions, index=False)
        run.dir.write_json("metrics.json", run.metrics)

    def _result(self) -> RunResult:
        import pandas as pd

        run = self.context
        return RunResult(
            run_dir=run.dir.path,
            metrics=run.metrics,
            history=pd.DataFrame(run.history),
            predictions=run.predictions,
            stop_reason=run.metrics.get("stop_reason"),
            explanations=run.explanations,
            config=run.config,
        )

    # --- failure ---

    def _attribute(self, exc: BaseException) -> BaseException:
        """Turn an unexpected exception raised inside a hook into a `PluginError`."""
        if isinstance(exc, (KerasplugError, KeyboardInterrupt)):
            return exc
        tb = exc.__traceback__
        while tb is not None:
            found = self.pm.plugin_of(tb.tb_frame.f_code)
            if found is not None:
                return PluginError(found[0], found[1], exc)
            tb = tb.tb_next
        return exc

    def _fail(self, error: BaseException, original: BaseException) -> None:
        run = self.context
        run.dir.set_status("failed", error=str(error).splitlines()[0] if str(error) else "")
        self._write_log(
            "".join(traceback.format_exception(type(original), original, original.__traceback__))
        )
        try:
            self.pm.hook.on_run_error(run=run, error=error)
        except Exception as cleanup:  # the original error matters more than a cleanup's
            self._write_log(f"on_run_error failed: {cleanup!r}\n", append=True)

    def _write_log(self, extra: str = "", append: bool = False) -> None:
        run = self.context
        text = "\n".join(run.log_lines) + "\n" + extra
        if append and (run.dir / "run.log").exists():
            text = (run.dir / "run.log").read_text(encoding="utf-8") + extra
        run.dir.write_text("run.log", text)


IMPUTE_HINT = "add an imputation step or clean the data"


def preprocess_rows(pipeline: Any, raw: Any, what: str, fix: str) -> Any:
    """Raw rows through the fitted pipeline, as the float32 frame the network takes.

    Raises `DataError` naming `what` (e.g. "the test rows") when a column is not numeric or a
    value is missing or infinite after preprocessing, with `fix` as the advice.
    """
    import numpy as np
    import pandas as pd

    x = pipeline.transform(raw)
    if not isinstance(x, pd.DataFrame):
        x = pd.DataFrame(x, index=raw.index, columns=pipeline.get_feature_names_out())
    bad = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
    if bad:
        raise DataError(
            f"columns {bad[:5]} are not numeric after preprocessing; add an encoding step "
            "(e.g. enable housing.preprocess) or drop them with data.drop"
        )
    values = x.to_numpy(dtype="float32")
    if not np.isfinite(values).all():
        cols = list(x.columns[~np.isfinite(values).all(axis=0)])
        raise DataError(
            f"{what} have missing or infinite values in {cols[:5]} after preprocessing; {fix}"
        )
    return pd.DataFrame(values, index=x.index, columns=[str(c) for c in x.columns])


def encode_target(y: Any, task: str, target_transform: Any) -> Any:
    """True targets (a numpy array) as the network trains on them.

    Regression: float32 through the fitted target transform, if any. Classification: int32
    class codes from the fitted label encoder (`target_transform`).
    """
    import numpy as np

    if task != "regression":
        return target_transform.transform(y.astype(object)).astype("int32")
    y = y.astype("float64").reshape(-1, 1)
    if target_transform is not None:
        y = target_transform.transform(y)
    return np.asarray(y, dtype="float32").ravel()


def predict_values(model: Any, x: Any, task: str, target_transform: Any) -> Any:
    """The model's predictions for preprocessed rows `x` (a DataFrame).

    Regression: a 1-D array in the target's original units (the target transform inverted).
    Classification: class probabilities, shape (n, k). `kerasplug.load_run` predicts through
    this same function, so a reloaded run reproduces the run's own predictions exactly.
    """
    import numpy as np

    # Calling the model directly avoids `predict`'s per-shape tf.function retracing.
    values = x.to_numpy()
    out = np.concatenate(
        [
            np.asarray(model(values[i : i + 8192], training=False))
            for i in range(0, max(len(values), 1), 8192)
        ]
    )
    if task == "regression":
        out = out.reshape(-1, 1).astype("float64")
        if target_transform is not None:
            out = target_transform.inverse_transform(out)
        return out.ravel()
    if out.shape[1] == 1:
        out = np.hstack([1 - out, out])
    return out
