"""Preprocessing steps from `[preprocess]`: typing, outliers, missing values, one-hot encoding,
feature generation, feature selection and scaling, plus the target's log and scaling.

The steps are scikit-learn transformers (`kerasplug_housing.transformers`, imported only when a
run builds them); the core fits them on each split's training rows only. Dropping outlier rows
cannot happen inside a pipeline, so it is done here by wrapping `make_splits`: whatever plugin
made the splits, each split's training rows beyond the bounds found on those same training rows
are removed, and validation and test rows are never touched. After fitting, `preprocessing.json`
records what happened to every input column.
"""

from __future__ import annotations

from typing import Any

from kerasplug import ConfigError, Option, Split, Step, hookimpl

SCALERS = ("standard", "robust", "minmax", "none")
#: Feature scalings: the target's, and quantiles mapped onto a normal distribution.
FEATURE_SCALERS = (*SCALERS[:-1], "quantile", "none")
OUTLIER_ACTIONS = ("none", "clip", "flag", "drop")
SELECTION_METHODS = ("filter", "rfe", "lasso", "tree")
PREPROCESSING_JSON = "preprocessing.json"


def options() -> dict[str, Option]:
    """The `[preprocess]` keys."""
    return {
        "categorical": Option(
            [], list, "columns treated as categorical whatever they hold", item=str
        ),
        "numeric": Option(
            [], list, "columns treated as numeric (unparsable values: missing)", item=str
        ),
        "int_categories": Option(
            0,
            int,
            "integer columns with 3 to this many distinct values are categorical (0: never)",
            min=0,
        ),
        "outliers": Option(
            "clip",
            str,
            "what to do with values beyond the outlier bounds (drop: training rows only)",
            choices=OUTLIER_ACTIONS,
        ),
        "outlier_rule": Option(
            "sigma",
            str,
            "outlier bounds: mean ± k·std or quartiles ± k·IQR",
            choices=("sigma", "iqr"),
        ),
        "outlier_threshold": Option(3.0, float, "k of the outlier rule", min=0.0),
        "impute": Option(
            "median",
            str,
            "fill value of numeric columns",
            choices=("mean", "median", "most_frequent", "constant"),
        ),
        "impute_value": Option(0.0, float, "the fill value when impute = 'constant'"),
        "impute_categorical": Option(
            "constant",
            str,
            "categorical columns: missing as its own category, or the commonest category",
            choices=("constant", "most_frequent"),
        ),
        "max_missing": Option(
            0.5,
            float,
            "columns missing in a larger share of training rows are dropped",
            min=0.0,
            max=1.0,
        ),
        "missing_indicators": Option(True, bool, "add <col>_missing columns (0/1)"),
        "rare_categories": Option(
            0.01,
            float,
            "categories rarer than this share (<1) or count (>=1) become <col>_rare",
            min=0.0,
        ),
        "log": Option([], list, "columns to add log1p features of (log_<col>)", item=str),
        "ratios": Option([], list, "ratio features 'a/b' (a_per_b; 0 where b is 0)", item=str),
        "products": Option([], list, "product features 'a*b' (a_x_b)", item=str),
        "interactions": Option([], list, "columns whose degree-2 products are added", item=str),
        "select": Option(
            ["filter"],
            list,
            "feature selection methods in order: filter, rfe, lasso, tree",
            item=str,
        ),
        "max_single_value": Option(
            1.0,
            float,
            "filter: drop columns whose commonest value has this share",
            min=0.0,
            max=1.0,
        ),
        "min_variance": Option(
            0.0, float, "filter: drop columns with variance at most this", min=0.0
        ),
        "max_feature_corr": Option(
            0.95,
            float,
            "filter: of two features correlated above this, drop the one less tied to the target",
            min=0.0,
            max=1.0,
        ),
        "min_target_corr": Option(
            0.0, float, "filter: drop features less correlated with the target", min=0.0, max=1.0
        ),
        "rfe_estimator": Option(
            "linear", str, "estimator of recursive feature elimination", choices=("linear", "tree")
        ),
        "n_features": Option(0, int, "features rfe keeps (0: half)", min=0),
        "lasso_alpha": Option(0.01, float, "L1 strength of lasso selection", min=0.0),
        "importance_threshold": Option(
            1.0, float, "tree selection keeps importances >= this times the mean", min=0.0
        ),
        "scaling": Option(
            "standard",
            str,
            "feature scaling ('quantile': each feature's training quantiles onto a normal)",
            choices=FEATURE_SCALERS,
        ),
        "target_scaling": Option(
            "standard",
            str,
            "scaling of a regression target (inverted for predictions)",
            choices=SCALERS,
        ),
        "log_target": Option(
            False, bool, "train on log1p of a regression target (inverted for predictions)"
        ),
        "clip_predictions": Option(
            False,
            bool,
            "clip regression predictions to the training targets' range, as a tree ensemble's "
            "are (for a target capped in the data)",
        ),
    }


def make_scaler(kind: str, seed: int | None = None) -> Any:
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    if kind == "quantile":
        from kerasplug_housing.transformers import NormalQuantiles

        return NormalQuantiles(random_state=seed)
    return {"standard": StandardScaler, "robust": RobustScaler, "minmax": MinMaxScaler}[kind]()


def build_steps(cfg: dict[str, Any], seed: int) -> list[Step]:
    """The preprocessing steps that the `[preprocess]` section `cfg` asks for."""
    from kerasplug_housing import transformers as t

    steps = [
        Step(
            "types",
            t.ColumnTyper(cfg["categorical"], cfg["numeric"], cfg["int_categories"]),
            order=100,
        )
    ]
    if cfg["outliers"] != "none":
        outliers = t.OutlierHandler(cfg["outlier_rule"], cfg["outlier_threshold"], cfg["outliers"])
        steps.append(Step("outliers", outliers, order=200))
    missing = t.MissingHandler(
        cfg["impute"],
        cfg["impute_value"],
        cfg["impute_categorical"],
        cfg["max_missing"],
        cfg["missing_indicators"],
    )
    steps.append(Step("missing", missing, order=300))
    steps.append(Step("categories", t.CategoryEncoder(cfg["rare_categories"]), order=400))
    if cfg["log"] or cfg["ratios"] or cfg["products"] or cfg["interactions"]:
        generator = t.FeatureGenerator(
            cfg["log"], cfg["ratios"], cfg["products"], cfg["interactions"]
        )
        steps.append(Step("generate", generator, order=500))
    if cfg["select"]:
        selector = t.FeatureSelector(
            cfg["select"],
            max_missing=cfg["max_missing"],
            max_single_value=cfg["max_single_value"],
            min_variance=cfg["min_variance"],
            max_corr=cfg["max_feature_corr"],
            min_target_corr=cfg["min_target_corr"],
            estimator=cfg["rfe_estimator"],
            n_features=cfg["n_features"],
            alpha=cfg["lasso_alpha"],
            importance_threshold=cfg["importance_threshold"],
            random_state=seed,
        )
        steps.append(Step("select", selector, order=600))
    if cfg["scaling"] != "none":
        steps.append(Step("scale", make_scaler(cfg["scaling"], seed), order=700))
    return steps


def make_target_transformer(cfg: dict[str, Any]) -> Any:
    """Clipping, log1p and/or scaling of the target, or None.

    Predictions are inverted through them in reverse: unscaled, then expm1, then clipped.
    """
    from kerasplug_housing.transformers import LogTransform, TargetRange

    steps: list[tuple[str, Any]] = []
    if cfg["clip_predictions"]:
        steps.append(("range", TargetRange()))
    if cfg["log_target"]:
        steps.append(("log", LogTransform()))
    if cfg["target_scaling"] != "none":
        steps.append(("scale", make_scaler(cfg["target_scaling"])))
    if len(steps) < 2:
        return steps[0][1] if steps else None
    from sklearn.pipeline import Pipeline

    return Pipeline(steps)


def outlier_rows(cfg: dict[str, Any], x_train: Any) -> Any:
    """A boolean mask of the training rows beyond the outlier bounds of those same rows."""
    from kerasplug_housing import transformers as t

    typed = t.ColumnTyper(cfg["categorical"], cfg["numeric"], cfg["int_categories"])
    typed = typed.fit_transform(x_train)
    handler = t.OutlierHandler(cfg["outlier_rule"], cfg["outlier_threshold"], "drop")
    return handler.fit(typed).outside(typed)


def column_report(pipeline: Any, dropped_rows: int | None) -> dict[str, Any]:
    """What happened to every input column of a fitted pipeline (`preprocessing.json`)."""
    inputs = [str(c) for c in pipeline.feature_names_in_]
    origin: dict[str, set[str]] = {c: {c} for c in inputs}
    reasons: dict[str, list[str]] = {c: [] for c in inputs}
    details: dict[str, dict[str, Any]] = {c: {} for c in inputs}
    generated: dict[str, Any] = {}
    steps = []
    for name, step in pipeline.steps:
        steps.append({"name": name, "class": f"{type(step).__module__}.{type(step).__name__}"})
        notes = step.column_notes() if hasattr(step, "column_notes") else {}
        for column, kind in notes.get("kinds", {}).items():
            details[column]["type"] = kind
        for column, info in notes.get("details", {}).items():
            for source in origin.get(column, ()):
                details[source].update(info)
        for column, reason in notes.get("dropped", {}).items():
            for source in origin.get(column, ()):
                reasons[source].append(f"{name}: {reason}" if column == source else reason)
        derived = notes.get("derived", {})
        next_origin: dict[str, set[str]] = {}
        for out in (str(c) for c in step.get_feature_names_out()):
            if out in derived:
                sources = set().union(*(origin.get(s, {s}) for s in derived[out]["from"]))
                next_origin[out] = sources
                generated[out] = {"from": derived[out]["from"], "how": derived[out]["how"]}
            else:
                next_origin[out] = origin.get(out, {out})
        origin = next_origin
    outputs = list(origin)
    columns = {}
    for column in inputs:
        produced = [out for out, sources in origin.items() if column in sources]
        if column in produced:
            status = "kept"
        elif produced:
            status = "transformed"
        else:
            status = "dropped"
        columns[column] = {"status": status, "outputs": produced, **details[column]}
        if reasons[column] or status == "dropped":
            columns[column]["reasons"] = reasons[column] or ["dropped by a later step"]
    return {
        "steps": steps,
        "columns": columns,
        "generated": {k: v for k, v in generated.items() if k in origin},
        "output_columns": outputs,
        "dropped_training_rows": dropped_rows,
    }


class PreprocessPlugin:
    """The hook implementations; the instance remembers how many outlier rows each split lost."""

    def __init__(self) -> None:
        self.dropped_rows: dict[str, int] = {}

    @hookimpl
    def config_sections(self) -> dict[str, Any]:
        return {"preprocess": options()}

    @hookimpl
    def configure(self, config: dict[str, Any]) -> None:
        from kerasplug_housing.transformers import parse_pair

        cfg = config["preprocess"]
        unknown = [m for m in cfg["select"] if m not in SELECTION_METHODS]
        if unknown:
            raise ConfigError(
                f"preprocess.select = {cfg['select']!r} has unknown methods {unknown}; "
                f"choose from {', '.join(SELECTION_METHODS)}"
            )
        for item in cfg["ratios"]:
            parse_pair(item, "/", "ratios")
        for item in cfg["products"]:
            parse_pair(item, "*", "products")

    @hookimpl
    def preprocessing_steps(self, run: Any) -> list[Step]:
        return build_steps(run.config["preprocess"], run.config["run"]["seed"])

    @hookimpl(trylast=True)
    def target_transformer(self, run: Any) -> Any:
        return make_target_transformer(run.config["preprocess"])

    @hookimpl
    def trusted_types(self) -> list[str]:
        from kerasplug_housing.transformers import TRUSTED_TYPES

        return TRUSTED_TYPES

    @hookimpl(wrapper=True)
    def make_splits(self, run: Any, frame: Any, target: str) -> Any:
        splits = yield
        self.dropped_rows = {}
        cfg = run.config["preprocess"]
        if not splits or cfg["outliers"] != "drop":
            return splits
        import numpy as np

        features = frame.drop(columns=[target])
        result = []
        for split in splits:
            train = np.asarray(split.train)
            outside = outlier_rows(cfg, features.iloc[train])
            self.dropped_rows[split.name] = int(outside.sum())
            run.echo(f"split {split.name}: dropped {int(outside.sum())} outlier training rows")
            result.append(Split(split.name, train[~outside], split.valid, split.test))
        return result

    @hookimpl
    def before_fit(self, run: Any) -> None:
        if run.epoch == 0 and run.pipeline is not None:
            report = column_report(run.pipeline, self.dropped_rows.get(run.split.name))
            report["split"] = run.split.name
            run.dir.write_json(PREPROCESSING_JSON, report)


plugin = PreprocessPlugin()
