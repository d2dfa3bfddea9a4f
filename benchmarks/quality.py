"""Quality benchmark: the shipped workflow against scikit-learn on exactly the same folds.

Boston: repeated K-fold (5 folds x 3 repeats, fixed seeds) of examples/housing/boston.toml,
against LinearRegression, RandomForest, HistGradientBoosting and GradientBoosting fitted on the
same rows (a fold's train + validation rows; the network needs its validation rows for early
stopping) and scored on the same test rows. Ames: the same with examples/housing/ames.toml and
RMSE of log price. Every figure is computed here from the predictions, by the same functions.
Under the table: the test rows where the workflow's squared error exceeds the best
scikit-learn model's the most (summed over the repeats), and the RMSE ratio without them; then
the per-fold RMSE difference of the two, with a standard error corrected for folds that share
training rows, and the number of folds the workflow wins.

    python benchmarks/quality.py                  # Boston and Ames, 5 x 3 folds
    python benchmarks/quality.py --dataset boston
    python benchmarks/quality.py --quick          # 2 folds x 1 repeat, a smoke run
    python benchmarks/quality.py --dataset ames --repeats 1 --no-record --set model.ensemble=3
    python benchmarks/quality.py --dataset ames --repeats 1 --no-record --json a.json

Scikit-learn's models see a minimal preprocessing fitted inside each fold: numeric gaps get the
median, text is ordinally encoded (one-hot for LinearRegression), and for Ames they are fitted
on log(price), the usual choice for its skewed prices.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_section

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {
    "boston": ROOT / "examples/housing/boston.toml",
    "ames": ROOT / "examples/housing/ames.toml",
}


def scores(y_true: Any, y_pred: Any, log: bool) -> dict[str, float]:
    from sklearn import metrics

    if log:
        y_true, y_pred = np.log(y_true), np.log(np.maximum(y_pred, 1.0))
    return {
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
        "r2": float(metrics.r2_score(y_true, y_pred)),
    }


def sklearn_models(seed: int) -> dict[str, Any]:
    from sklearn.ensemble import (
        GradientBoostingRegressor,
        HistGradientBoostingRegressor,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LinearRegression

    return {
        "LinearRegression": LinearRegression(),
        "RandomForest (500 trees)": RandomForestRegressor(500, n_jobs=2, random_state=seed),
        "HistGradientBoosting": HistGradientBoostingRegressor(random_state=seed),
        "GradientBoosting (500, lr 0.05, subsample 0.8)": GradientBoostingRegressor(
            n_estimators=500, learning_rate=0.05, subsample=0.8, random_state=seed
        ),
    }


def preprocessor(x: Any, one_hot: bool) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    text = [c for c in x.columns if not np.issubdtype(x[c].dtype, np.number)]
    numeric = [c for c in x.columns if c not in text]
    encode = (
        OneHotEncoder(handle_unknown="ignore", min_frequency=0.01, sparse_output=False)
        if one_hot
        else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    )
    num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    txt = make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"), encode)
    return ColumnTransformer([("num", num, numeric), ("txt", txt, text)])


def run_workflow(config: Path, overrides: list[str], out: Path) -> tuple[Any, float]:
    from kerasplug_housing import REPORTING_PLUGINS

    from kerasplug import Trainer

    with open(os.devnull, "w") as quiet:
        trainer = Trainer(
            config,
            overrides=overrides,
            run_dir=out,
            third_party=False,
            disable=REPORTING_PLUGINS,
            out=quiet,
        )
        start = time.perf_counter()
        trainer.run()
    return trainer, (time.perf_counter() - start) / len(trainer.context.splits)


def benchmark(dataset: str, folds: int, repeats: int, extra: list[str]) -> dict[str, Any]:
    """Per-model lists of per-fold scores, and mean fit seconds per fold."""
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    log = dataset == "ames"
    # Exploration is switched off rather than disabled: the Ames example configures it.
    overrides = [
        f"split.folds={folds}",
        f"split.repeats={repeats}",
        "train.verbose=0",
        "eda.enabled=false",
        *extra,
    ]
    with tempfile.TemporaryDirectory() as tmp:
        trainer, seconds = run_workflow(CONFIGS[dataset], overrides, Path(tmp) / "run")
        run = trainer.context
        preds = run.predictions
        seed = run.config["run"]["seed"]
        label = f"kerasplug ({CONFIGS[dataset].name})"
        results: dict[str, Any] = {
            label: {"folds": [], "rows": [], "seconds": seconds, "config": describe(run.config)}
        }
        for fold in range(len(run.splits)):
            test = preds[(preds["fold"] == fold) & (preds["split"] == "test")]
            results[label]["folds"].append(scores(test["y_true"], test["y_pred"], log))
            results[label]["rows"].append(
                (  # the workflow names rows by index label; the splits count positions
                    run.frame.index.get_indexer(test["row"]),
                    test["y_true"].to_numpy(),
                    test["y_pred"].to_numpy(),
                )
            )

    x_all = run.frame.drop(columns=[run.target])
    y_all = run.frame[run.target].to_numpy(dtype="float64")
    for name, model in sklearn_models(seed).items():
        results[name] = {"folds": [], "rows": [], "seconds": 0.0}
        for split in run.splits:
            # Sorted: the order of the rows changes what GradientBoosting's subsample and
            # RandomForest's bootstrap draw, and must not depend on how the workflow carved
            # its validation part out of them (split.valid_size) or on its seed.
            fit_rows = np.sort(np.concatenate([split.train, split.valid]).astype(int))
            test_rows = np.asarray(split.test, dtype=int)
            pipe = make_pipeline(
                preprocessor(x_all, one_hot=name == "LinearRegression"), clone(model)
            )
            y_fit = np.log(y_all[fit_rows]) if log else y_all[fit_rows]
            start = time.perf_counter()
            pipe.fit(x_all.iloc[fit_rows], y_fit)
            results[name]["seconds"] += time.perf_counter() - start
            pred = pipe.predict(x_all.iloc[test_rows])
            pred = np.exp(pred) if log else pred
            results[name]["folds"].append(scores(y_all[test_rows], pred, log))
            results[name]["rows"].append((test_rows, y_all[test_rows], pred))
        results[name]["seconds"] /= len(run.splits)
    return results


def fold_scores(results: dict[str, Any]) -> dict[str, list[dict[str, float]]]:
    """Every model's per-fold scores, the workflow first, as `--json` writes them."""
    return {name: res["folds"] for name, res in results.items()}


def mean_rmse(scores: dict[str, list[dict[str, float]]]) -> dict[str, float]:
    """Every model's RMSE, the mean over its folds (`scores` as `fold_scores` gives them)."""
    return {name: float(np.mean([f["rmse"] for f in folds])) for name, folds in scores.items()}


def best_model(scores: dict[str, list[dict[str, float]]]) -> tuple[str, str | None]:
    """The workflow's name (the first model) and the scikit-learn model with the lowest mean
    RMSE; None when the workflow is alone (the scores of a run directory)."""
    rmse = mean_rmse(scores)
    ours = next(iter(rmse))
    others = [(v, k) for k, v in rmse.items() if k != ours]
    return ours, min(others)[1] if others else None


def losing_rows(results: dict[str, Any], log: bool, count: int = 3) -> str:
    """Where the workflow loses to the best scikit-learn model: the test rows whose squared
    error, summed over the repeats, exceeds that model's the most, and the RMSE ratio without
    them (the same mean over folds as the table's)."""
    ours, best = best_model(fold_scores(results))

    def errors(name: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        out = []
        for rows, y_true, y_pred in results[name]["rows"]:
            y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
            if log:
                y_true, y_pred = np.log(y_true), np.log(np.maximum(y_pred, 1.0))
            order = np.argsort(rows)  # the workflow lists a fold's test rows in its own order
            out.append((np.asarray(rows)[order], y_true[order], (y_pred - y_true)[order] ** 2))
        return out

    mine, theirs = errors(ours), errors(best)
    gap: dict[int, float] = {}
    for (rows, _, sq_ours), (same, _, sq_best) in zip(mine, theirs, strict=True):
        assert np.array_equal(rows, same), "the workflow and scikit-learn saw other test rows"
        for row, diff in zip(rows, sq_ours - sq_best, strict=True):
            gap[int(row)] = gap.get(int(row), 0.0) + float(diff)
    worst = sorted(gap, key=gap.get, reverse=True)[:count]
    total = sum(gap.values())
    kept = [
        [np.sqrt(np.mean(sq[~np.isin(rows, worst)])) for rows, _, sq in side]
        for side in (mine, theirs)
    ]
    unit = "log price" if log else "target"
    listed = ", ".join(f"{row} ({gap[row]:.3g})" for row in worst)
    return (
        f"Squared error ({unit}) of the workflow minus {best}'s, summed over all test "
        f"predictions: {total:.3g}; the {count} rows that add the most: {listed}. Without "
        f"those rows the RMSE ratio is {np.mean(kept[0]) / np.mean(kept[1]):.3f}."
    )


def paired(results: dict[str, Any], folds: int) -> str:
    """The per-fold RMSE difference of the workflow and the best scikit-learn model: its mean,
    a standard error, and on how many folds the workflow wins. Repeated K-fold's folds share
    training rows, so the plain standard error of their mean is too small; Nadeau and Bengio's
    correction (Machine Learning 52, 2003) scales the variance by 1/n + n_test/n_train instead
    of 1/n."""
    ours, best = best_model(fold_scores(results))
    mean, se, wins, n = paired_difference(results[ours]["folds"], results[best]["folds"], folds)
    return (
        f"Per fold, the workflow's RMSE minus {best}'s: mean {mean:+.3f}, corrected "
        f"standard error {se:.3f} (Nadeau and Bengio's, for folds that share training rows); "
        f"the workflow is better on {wins} of {n} folds."
    )


def paired_difference(
    ours: list[dict[str, float]], theirs: list[dict[str, float]], folds: int
) -> tuple[float, float, int, int]:
    """Mean per-fold RMSE difference, its corrected standard error (see `paired`; NaN for a
    single holdout), the folds where `ours` is lower, and the number of folds."""
    diff = np.array([a["rmse"] - b["rmse"] for a, b in zip(ours, theirs, strict=True)])
    n = len(diff)
    se = float(np.sqrt((1 / n + 1 / (folds - 1)) * np.var(diff, ddof=1))) if folds > 1 else np.nan
    return float(diff.mean()), se, int((diff < 0).sum()), n


def read_predictions(run_dir: Path) -> Any:
    """A finished run's predictions.csv as a DataFrame; a holdout run's rows are fold 0."""
    import pandas as pd

    path = run_dir / "predictions.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: give the directory of a finished regression run"
        )
    preds = pd.read_csv(path)
    if "fold" not in preds:
        preds["fold"] = 0
    return preds


def describe(config: dict[str, Any]) -> str:
    """The workflow's settings that decide its quality, in one line."""
    model, train, stop = config["model"], config["train"], config["early_stopping"]
    prep = config["preprocess"]
    parts = [
        f"{'wide & deep ' if model.get('linear') else ''}MLP "
        f"{'-'.join(map(str, model['hidden']))} ({model['activation']}, dropout "
        f"{model['dropout']}, L2 {model['l2']:g}, {model.get('loss', 'auto')} loss)",
        *([f"input noise {model['input_noise']:g}"] if model.get("input_noise") else []),
        *(["weight averaging (EMA)"] if model.get("ema") else []),
        f"ensemble of {model['ensemble']}" if model.get("ensemble", 1) > 1 else "one network",
        f"{model.get('optimizer', 'adam')} lr {train['learning_rate']:g}, batch "
        f"{train['batch_size']}, schedule "
        f"{train['schedule']}",
        f"early stopping patience {stop['patience']}",
        "then a refit on training + validation rows" if stop.get("refit") else "no refit",
        f"log features {prep['log']}" if prep.get("log") else "no log features",
        f"outliers {prep['outliers']} ({prep['outlier_rule']}), {prep['scaling']} scaling",
        *(
            ["predictions clipped to the training targets' range"]
            if prep.get("clip_predictions")
            else []
        ),
    ]
    return "; ".join(parts)


def table(results: dict[str, Any], log: bool) -> tuple[str, float]:
    """The Markdown table and the RMSE ratio of the workflow to the best scikit-learn model."""
    unit = " (log price)" if log else ""
    lines = [
        f"| model | MAE{unit} | RMSE{unit} | R² | fit s/fold |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, res in results.items():
        cells = []
        for key in ("mae", "rmse", "r2"):
            values = [f[key] for f in res["folds"]]
            cells.append(f"{np.mean(values):.4g} ± {np.std(values):.2g}")
        lines.append(f"| {name} | {' | '.join(cells)} | {res['seconds']:.2f} |")
    ours, best = best_model(fold_scores(results))
    rmse = mean_rmse(fold_scores(results))
    ratio = rmse[ours] / rmse[best]
    lines.append("")
    lines.append(f"RMSE ratio of the workflow to the best scikit-learn model ({best}): ")
    lines[-1] += f"{ratio:.3f}"
    return "\n".join(lines), ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("boston", "ames", "all"), default="all")
    parser.add_argument("--quick", action="store_true", help="2 folds x 1 repeat (a smoke run)")
    parser.add_argument(
        "--no-record", action="store_true", help="print the table, leave RESULTS.md alone"
    )
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the 5 folds")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override the config"
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write every model's per-fold scores and test predictions there, to compare "
        "runs fold by fold",
    )
    args = parser.parse_args()
    per_fold: dict[str, Any] = {}
    folds, repeats = (2, 1) if args.quick else (5, args.repeats)
    datasets = ("boston", "ames") if args.dataset == "all" else (args.dataset,)
    # The command that reproduces the figures: --json only chooses where a copy goes.
    argv = [a for a in sys.argv[1:] if not a.startswith("--json=")]
    if "--json" in argv:
        del argv[argv.index("--json") : argv.index("--json") + 2]
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/quality.py", *argv])
    for dataset in datasets:
        results = benchmark(dataset, folds, repeats, args.set)
        if args.json:
            per_fold[dataset] = {
                "command": command,
                "folds": folds,
                "scores": fold_scores(results),
                # Each model's test predictions per fold (row positions, targets, predictions),
                # to score blends of two runs on the same rows (compare_folds.py --blend).
                "predictions": {
                    name: [
                        {
                            "rows": np.asarray(r).tolist(),
                            "y_true": np.asarray(t).tolist(),
                            "y_pred": np.asarray(p).tolist(),
                        }
                        for r, t, p in res["rows"]
                    ]
                    for name, res in results.items()
                },
            }
            args.json.write_text(json.dumps(per_fold) + "\n")  # compact: it holds every prediction
        text, _ = table(results, log=dataset == "ames")
        text += "\n\n" + losing_rows(results, log=dataset == "ames")
        text += "\n\n" + paired(results, folds)
        print(f"\n{dataset}: {folds} folds x {repeats} repeats\n{text}", flush=True)
        if not (args.quick or args.no_record):
            note = (
                f"{folds} folds x {repeats} repeats, the same folds for every model. The "
                f"workflow: {next(iter(results.values()))['config']}."
            )
            extra = f" Config overrides: `{' '.join(args.set)}`." if args.set else ""
            write_section(f"Quality: {dataset}", command, f"{note}{extra}\n\n{text}")


if __name__ == "__main__":
    main()
