"""The hook contract: every hook kerasplug calls, in lifecycle order.

Hooks are called by keyword, and an implementation takes only the arguments it needs. Every
hook receives `run`, the `kerasplug.RunContext` of the current run (resolved config, run
directory, data, model, history), so a plugin that needs more than its arguments reads it there.

Kinds of hook:
- selection hooks (`firstresult`) stop at the first non-None result;
- collection hooks return a list (or a dict, where noted); the core concatenates or merges
  the answers of all plugins;
- lifecycle hooks return nothing;
- the stopping hook returns a reason to stop, or None.

docs/hooks.md documents each hook with its exact signature; tests keep the two in step.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("kerasplug")


# --- configuration ---------------------------------------------------------------------------


@hookspec
def config_sections(run):
    """Called when the config is resolved, before anything else, to declare config sections.

    Args:
        run: the run context; `run.config` is not resolved yet.

    Returns:
        A dict `{section_name: {key: kerasplug.Option(...)}}` declaring the keys, defaults and
        types of the plugin's own sections. Keys of one section may come from several plugins;
        declaring the same key twice is an error. `None` declares nothing.

    Example:
        @hookimpl
        def config_sections():
            return {"outliers": {"sigma": Option(3.0, float, "threshold in std devs", min=0)}}
    """


@hookspec
def configure(run, config):
    """Called once the config is resolved and type-checked, before the run directory exists.

    Use it for checks across keys; raise `kerasplug.ConfigError` with the dotted key, the bad
    value and the fix.

    Args:
        run: the run context.
        config: the resolved config, a dict of sections (also `run.config`).

    Returns:
        None.

    Example:
        @hookimpl
        def configure(config):
            if config["split"]["folds"] == 1:
                raise ConfigError("split.folds = 1: use at least 2 folds, or 0 for holdout")
    """


# --- run lifecycle ---------------------------------------------------------------------------


@hookspec
def before_run(run):
    """Called when the run directory exists and the config is saved, before data is loaded.

    Args:
        run: the run context.

    Returns:
        None.

    Example:
        @hookimpl
        def before_run(run):
            run.echo(f"writing to {run.dir}")
    """


@hookspec
def after_run(run, result):
    """Called when the run has finished and every artifact is written.

    Args:
        run: the run context.
        result: the `kerasplug.RunResult` that `Trainer.run()` returns.

    Returns:
        None.

    Example:
        @hookimpl
        def after_run(result):
            print(result.metrics["test"]["rmse"])
    """


@hookspec
def on_run_error(run, error):
    """Called when the run fails, before the error reaches the user: clean up here.

    The run directory is already marked failed. An exception raised here is logged and does not
    replace the original error.

    Args:
        run: the run context.
        error: the exception that ended the run.

    Returns:
        None.

    Example:
        @hookimpl
        def on_run_error(error):
            release_my_lock()
    """


# --- data ------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def load_data(run, config):
    """Called to load the whole table, target column included.

    Stops at the first non-None result. A plugin answers only for the `data.source` it knows.

    Args:
        run: the run context.
        config: the resolved config (`config["data"]["source"]` names the source).

    Returns:
        A `pandas.DataFrame` with one row per example and the `data.target` column; `None` if
        this plugin does not serve the configured source.

    Example:
        @hookimpl
        def load_data(config):
            if config["data"]["source"] == "mytable":
                return pandas.read_csv("my.csv")
    """


@hookspec
def explore_data(run, frame, target):
    """Called once after loading, before the split: exploratory analysis, reports.

    Write into `run.dir / "eda"`. The frame must not be modified.

    Args:
        run: the run context.
        frame: the loaded table.
        target: the name of the target column.

    Returns:
        None.

    Example:
        @hookimpl
        def explore_data(run, frame):
            run.dir.write_text("eda/shape.txt", str(frame.shape))
    """


@hookspec(firstresult=True)
def make_splits(run, frame, target):
    """Called to partition the rows into train, validation and test parts.

    Stops at the first non-None result.

    Args:
        run: the run context.
        frame: the loaded table.
        target: the name of the target column.

    Returns:
        A list of `kerasplug.Split` (one for a holdout, one per fold for K-fold) holding row
        positions into `frame`; `None` to leave the decision to another plugin.

    Example:
        @hookimpl
        def make_splits(frame):
            n = len(frame)
            return [Split("holdout", range(0, n // 2), [], range(n // 2, n))]
    """


# --- preprocessing ---------------------------------------------------------------------------


@hookspec
def preprocessing_steps(run, frame, target):
    """Called once per split (per fold) to collect the preprocessing steps.

    The core sorts all steps by `Step.order`, chains them into one scikit-learn `Pipeline` with
    pandas output, fits it on the training rows only and transforms the other parts.

    Args:
        run: the run context.
        frame: the training rows' features (target excluded); read it, do not fit on it here.
        target: the name of the target column.

    Returns:
        A list of `kerasplug.Step`; `None` or `[]` adds nothing.

    Example:
        @hookimpl
        def preprocessing_steps():
            return [Step("scale", StandardScaler(), order=700)]
    """


@hookspec(firstresult=True)
def target_transformer(run, y):
    """Called once per split to choose a transformer for the target (scaling, log).

    The core fits it on the training targets, trains the network on transformed targets and
    inverts it for predictions and metrics, which are therefore in the original units.
    Stops at the first non-None result.

    Args:
        run: the run context.
        y: the training targets, a `pandas.Series`.

    Returns:
        An unfitted scikit-learn transformer with `inverse_transform`; `None` for no transform.

    Example:
        @hookimpl
        def target_transformer():
            return StandardScaler()
    """


@hookspec
def trusted_types(run):
    """Called when a run directory is loaded, to vouch for classes in `preprocessing.skops`.

    skops refuses to load any type not on the trusted list; scikit-learn and numpy types are
    trusted by the core. A plugin whose transformers are saved lists their full names.

    Args:
        run: the run context of the loaded run.

    Returns:
        A list of fully qualified class names, e.g. `["my_plugin.steps.Winsorizer"]`.

    Example:
        @hookimpl
        def trusted_types():
            return ["my_plugin.steps.Winsorizer"]
    """


# --- model -----------------------------------------------------------------------------------


@hookspec(firstresult=True)
def distribution_strategy(run):
    """Called once per run, before any TensorFlow op runs, to choose a `tf.distribute` strategy.

    The core builds and compiles the model inside the strategy's scope, multiplies
    `train.batch_size` (the per-replica batch) by the number of replicas, and lets only the
    chief worker write the run directory. Stops at the first non-None result.

    Args:
        run: the run context.

    Returns:
        A `tf.distribute.Strategy`; `None` for the default (no distribution).

    Example:
        @hookimpl
        def distribution_strategy():
            return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    """


@hookspec(firstresult=True)
def build_model(run, n_features, task):
    """Called once per split to build the (uncompiled) network.

    Stops at the first non-None result.

    Args:
        run: the run context.
        n_features: the width of the preprocessed input.
        task: `"regression"`, `"binary"` or `"multiclass"`; for multiclass
            `run.classes` lists the classes.

    Returns:
        A `keras.Model` whose input shape is known; `None` to leave it to another plugin.

    Example:
        @hookimpl
        def build_model(n_features):
            return keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(1)])
    """


@hookspec(firstresult=True)
def training_stages(run):
    """Called once per split to plan the training stages run in order on the same model.

    Stops at the first non-None result. Without any answer, the core trains one stage named
    "train" with `train.epochs` and `train.learning_rate`.

    Args:
        run: the run context.

    Returns:
        A list of `kerasplug.Stage`; `None` for the single default stage.

    Example:
        @hookimpl
        def training_stages():
            return [Stage("head", 20, 1e-3), Stage("finetune", 10, 1e-5)]
    """


@hookspec
def freeze_layers(run, model, stage):
    """Called at the start of each stage to set which layers train (`layer.trainable`).

    The core compiles the model after this hook, so changes take effect.

    Args:
        run: the run context.
        model: the `keras.Model`.
        stage: the `kerasplug.Stage` about to run.

    Returns:
        None.

    Example:
        @hookimpl
        def freeze_layers(model, stage):
            model.layers[0].trainable = stage.name != "head"
    """


@hookspec(firstresult=True)
def compile_options(run, model, stage):
    """Called at the start of each stage for the keyword arguments of `model.compile()`.

    Stops at the first non-None result.

    Args:
        run: the run context.
        model: the `keras.Model`.
        stage: the `kerasplug.Stage` about to run (its `learning_rate` is the stage's rate).

    Returns:
        A dict such as `{"optimizer": ..., "loss": "mse", "metrics": ["mae"]}`; `None` to
        leave it to another plugin.

    Example:
        @hookimpl
        def compile_options(stage):
            return {"optimizer": keras.optimizers.Adam(stage.learning_rate), "loss": "mse"}
    """


# --- training --------------------------------------------------------------------------------


@hookspec
def training_callbacks(run, model, stage):
    """Called at the start of each stage for extra Keras callbacks.

    Args:
        run: the run context.
        model: the `keras.Model`.
        stage: the `kerasplug.Stage` about to run.

    Returns:
        A list of `keras.callbacks.Callback`; `None` or `[]` adds nothing.

    Example:
        @hookimpl
        def training_callbacks():
            return [keras.callbacks.TerminateOnNaN()]
    """


@hookspec
def before_fit(run, model, stage):
    """Called right before `model.fit()` of each stage, after compiling.

    Extra keyword arguments for that `model.fit()` call (e.g. `class_weight`) go into the dict
    `run.fit_options`, which the core empties before each stage.

    Args:
        run: the run context.
        model: the compiled `keras.Model`.
        stage: the `kerasplug.Stage` about to run.

    Returns:
        None.

    Example:
        @hookimpl
        def before_fit(model, stage):
            print(stage.name, model.count_params())
    """


@hookspec(firstresult=True)
def training_data(run, part, batch_size):
    """Called right before each stage's `model.fit()` for a `tf.data.Dataset` to fit on.

    It lets a plugin feed Keras from a stream (a table larger than memory) instead of the rows
    in memory. Asked after `before_fit` for `"train"`, then for `"valid"` when the split has
    validation rows. Without an answer the core fits on the preprocessed arrays
    `run.parts[part].x` and `.y_fit`, as always; evaluation, predictions and explanations use
    `run.parts` either way. Keras iterates the dataset afresh every epoch; give it a known
    length so that Keras knows where an epoch ends. Stops at the first non-None result.

    Args:
        run: the run context (`run.pipeline` and `run.target_transform` are fitted).
        part: `"train"` or `"valid"`.
        batch_size: the global batch size (`train.batch_size` times the replicas).

    Returns:
        A `tf.data.Dataset` of finite `(x, y)` batches with `x` shaped like `run.parts[part].x`
        (float32) and `y` like `.y_fit`, in batches of `batch_size`; `None` to use the rows
        in memory.

    Example:
        @hookimpl
        def training_data(run, part, batch_size):
            if part == "train":
                rows = run.parts["train"]
                dataset = tf.data.Dataset.from_tensor_slices((rows.x.to_numpy(), rows.y_fit))
                return dataset.shuffle(10_000).batch(batch_size).prefetch(2)
    """


@hookspec
def on_epoch_end(run, epoch, logs, stage):
    """Called at the end of every epoch with the epoch's logs.

    Args:
        run: the run context.
        epoch: the 0-based epoch number, counted across stages.
        logs: a dict of metric name to float (`loss`, `val_loss`, ...).
        stage: the current `kerasplug.Stage`.

    Returns:
        None.

    Example:
        @hookimpl
        def on_epoch_end(epoch, logs):
            print(epoch, logs["loss"])
    """


@hookspec
def on_train_batch_end(run, batch, logs):
    """Called at the end of every training batch.

    Implementing this hook makes Keras synchronise after every batch, which slows training;
    the core only listens to batches when some plugin implements it.

    Args:
        run: the run context.
        batch: the 0-based batch number within the epoch.
        logs: a dict of metric name to value for the batch.

    Returns:
        None.

    Example:
        @hookimpl
        def on_train_batch_end(batch, logs):
            losses.append(logs["loss"])
    """


@hookspec(firstresult=True)
def should_stop(run, epoch, logs, stage):
    """Called at the end of every epoch, after `on_epoch_end`, to ask whether to stop training.

    Stops at the first non-None result. Stopping ends the current stage and any later ones; the
    reason is printed and recorded in `metrics.json`.

    Args:
        run: the run context.
        epoch: the 0-based epoch number, counted across stages.
        logs: a dict of metric name to float.
        stage: the current `kerasplug.Stage`.

    Returns:
        A short human-readable reason to stop (e.g. "val_loss did not improve for 10
        epochs"); `None` to go on.

    Example:
        @hookimpl
        def should_stop(epoch):
            return "three epochs are enough" if epoch >= 2 else None
    """


@hookspec
def after_fit(run, model, history, stage):
    """Called after `model.fit()` of each stage returns.

    An implementation may set `run.model` to the network used from then on for predictions and
    artifacts (e.g. an averaging view of an ensemble that shares the trained layers).

    Args:
        run: the run context.
        model: the trained `keras.Model`.
        history: the stage's `keras.callbacks.History`.
        stage: the `kerasplug.Stage` that ran.

    Returns:
        None.

    Example:
        @hookimpl
        def after_fit(history):
            print(len(history.epoch), "epochs")
    """


@hookspec(firstresult=True)
def refit_epochs(run):
    """Called after a split's stages, before it is evaluated: whether to refit, and how long.

    A positive answer makes the core train a fresh network on the split's training and
    validation rows together for that many epochs (preprocessing refitted on those rows too;
    the test rows stay unseen) and evaluate that network instead. During the refit
    `run.refit` is true and there is no `"valid"` part, so nothing can stop early on it; no
    checkpoints are taken (an interrupted refit starts again on `--resume`). Only asked when
    the split has validation rows. Stops at the first non-None result.

    Args:
        run: the run context, after the last stage (`run.best_epoch` is the epoch whose
            weights the trained network kept, when a plugin recorded it).

    Returns:
        The number of epochs to refit for; `None` (or 0) to keep the trained network.

    Example:
        @hookimpl
        def refit_epochs(run):
            return run.best_epoch or run.epoch
    """


# --- resuming --------------------------------------------------------------------------------


@hookspec
def checkpoint_state(run):
    """Called after every finished epoch, once the core has saved the model and the optimizer.

    The answer is saved with the epoch's checkpoint in the run directory (as JSON, numpy arrays
    in an `.npz` file; nothing that runs code when loaded) and handed back to the same plugin
    through `restore_state` when the run is continued with `kerasplug run CONFIG --resume
    RUN_DIR`. Plugins that keep state across epochs (early stopping, schedules) implement both.

    Args:
        run: the run context (`run.epoch` epochs have finished).

    Returns:
        The plugin's state: dicts, lists, strings, numbers, booleans, `None` and numpy arrays;
        `None` saves nothing.

    Example:
        @hookimpl
        def checkpoint_state():
            return {"best": tracker.best, "wait": tracker.wait}
    """


@hookspec
def restore_state(run, state):
    """Called when a resumed run continues training, right after `before_fit` of its stage.

    Only plugins whose `checkpoint_state` answered at the last finished epoch are called;
    `run.resumed` is `True`, and `run.epoch`, `run.history` and the model's weights and
    optimizer state are already restored.

    Args:
        run: the run context.
        state: what this plugin's `checkpoint_state` returned at that epoch.

    Returns:
        None.

    Example:
        @hookimpl
        def restore_state(state):
            tracker.best, tracker.wait = state["best"], state["wait"]
    """


# --- feature extraction ----------------------------------------------------------------------


@hookspec(firstresult=True)
def extract_features(run, model, x, layers):
    """Called to turn preprocessed rows into the activations of intermediate layers.

    Stops at the first non-None result.

    Args:
        run: the run context.
        model: the trained `keras.Model`.
        x: preprocessed input rows, a `pandas.DataFrame`.
        layers: names of the layers to read; empty for all layers.

    Returns:
        A `pandas.DataFrame` indexed like `x` with columns `<layer>_<unit>`; `None` to leave it
        to another plugin.

    Example:
        @hookimpl
        def extract_features(model, x, layers):
            ...
    """


# --- assessment ------------------------------------------------------------------------------


@hookspec
def compute_metrics(run, split, y_true, y_pred):
    """Called for each part (train, valid, test) of each split after training.

    Values are in the original target units (any target transform is inverted).

    Args:
        run: the run context.
        split: `"train"`, `"valid"` or `"test"`.
        y_true: the true targets, a 1-D numpy array.
        y_pred: the predictions: 1-D for regression, class probabilities (n, k) otherwise.

    Returns:
        A dict of metric name to float; the core merges the dicts of all plugins. `None` adds
        nothing.

    Example:
        @hookimpl
        def compute_metrics(y_true, y_pred):
            return {"max_error": float(abs(y_true - y_pred).max())}
    """


@hookspec
def explain(run, model, background, rows):
    """Called after evaluation to explain the model's predictions.

    Args:
        run: the run context (`run.predictions` holds the predictions, to pick worst rows).
        model: the trained `keras.Model`.
        background: preprocessed training rows, a `pandas.DataFrame`.
        rows: preprocessed rows to explain (the test part), a `pandas.DataFrame`.

    Returns:
        A list of `kerasplug.Explanation`; `None` or `[]` adds nothing.

    Example:
        @hookimpl
        def explain(model, background, rows):
            return [Explanation("zero", rows * 0.0, base_value=0.0)]
    """


@hookspec
def report(run, result):
    """Called after evaluation and explanation: plots, summaries, TensorBoard images, HTML.

    Plugins that make images register them with `run.add_image(tag, path)` so that later
    reporters (use `trylast`) can collect them.

    Args:
        run: the run context.
        result: the `kerasplug.RunResult` so far (metrics, history, explanations).

    Returns:
        None.

    Example:
        @hookimpl
        def report(run, result):
            run.dir.write_text("summary.txt", str(result.metrics))
    """


# --- hyperparameter search -------------------------------------------------------------------


@hookspec(firstresult=True)
def tuning_strategy(run, method, space):
    """Called once by `kerasplug tune`, before the first trial, for the search strategy.

    Stops at the first non-None result. Without any answer, the core's grid or random search
    runs for `tune.method = "grid"` or `"random"`; any other method needs a plugin's answer.

    Args:
        run: the tuning run's context (`run.config` is the base config with `[tune]`; the
            tuning directory does not exist yet).
        method: `tune.method`, e.g. `"bayesian"`.
        space: the checked `[tune.space]`, a dict of dotted config key to
            `kerasplug.tuning.Choice` (`.values`) or `kerasplug.tuning.Range` (`.low`,
            `.high`, `.log`, `.step`, `.integer`).

    Returns:
        An object with `propose()`, returning the next trial's `{dotted key: value}` or
        `None` when the search is over, and `report(values, loss)`, told each trial's result
        (`loss` is the metric oriented so that lower is better, `None` for a failed trial);
        `None` if this plugin does not provide `method`.

    Example:
        @hookimpl
        def tuning_strategy(method, space):
            if method == "mine":
                return MyStrategy(space)
    """
