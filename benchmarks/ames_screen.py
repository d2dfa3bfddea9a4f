"""A quick screen of network options on Ames, in plain Keras, on the workflow's own features.

Five folds (one repeat) of examples/housing/ames.toml's preprocessing, fitted inside each fold
on its training rows, then one network per fold: 64-32 ReLU, dropout 0.1, Adam 1e-3, batch 64,
early stopping (patience 15, best weights) on 20% of the training rows, standardised
log(price); no ensemble and no refit. Beside it, scikit-learn's RidgeCV on the same features,
the yardstick that showed the network was under-regularised. RMSE of log price, lower is
better; "w/o worst 5" leaves out the five largest errors (the partial sales of very large
houses that dominate Ames's RMSE).

Variants change `[model]` keys of that network, which `kerasplug_housing.model.build_mlp`
builds as the workflow does: the L2 penalty on every kernel, `linear` (a wide & deep output: a
linear map of the inputs added to the network's output), the Huber loss, dropout and width.

Run: python benchmarks/ames_screen.py [--variants NAME ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import tomllib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section

ROOT = Path(__file__).resolve().parents[1]
#: The network every variant changes: 64-32 as in ames.toml, without the ensemble.
BASE = {
    "hidden": [64, 32],
    "activation": "relu",
    "initializer": "he_normal",
    "batch_norm": False,
    "dropout": 0.1,
    "l1": 0.0,
    "l2": 1e-4,
    "linear": False,
    "loss": "mse",
    "huber_delta": 1.0,
    "ensemble": 1,
}
VARIANTS = {
    "L2 1e-4 (the earlier example)": {},
    "L2 1e-3": {"l2": 1e-3},
    "L2 3e-3": {"l2": 3e-3},
    "linear, L2 1e-4": {"linear": True},
    "linear, L2 1e-3": {"l2": 1e-3, "linear": True},
    "linear, L2 3e-3": {"l2": 3e-3, "linear": True},
    "linear, L2 1e-3, huber": {"l2": 1e-3, "linear": True, "loss": "huber"},
    "linear, L2 1e-3, dropout 0.2": {"l2": 1e-3, "linear": True, "dropout": 0.2},
    "linear, L2 1e-3, 128-64": {"l2": 1e-3, "linear": True, "hidden": [128, 64]},
}


def fold_features(frame, y, seed: int = 42):
    """Per fold: the workflow's features and standardised log target (fit, valid) and test."""
    import numpy as np
    import pandas as pd
    from kerasplug_housing.preprocess import build_steps, options
    from sklearn.model_selection import KFold, train_test_split
    from sklearn.pipeline import Pipeline

    with open(ROOT / "examples/housing/ames.toml", "rb") as fh:
        cfg = {k: o.default for k, o in options().items()} | tomllib.load(fh)["preprocess"]
    for i, (train, test) in enumerate(KFold(5, shuffle=True, random_state=seed).split(frame)):
        fit, valid = train_test_split(train, test_size=0.2, random_state=i)
        steps = build_steps(cfg, seed=0)
        pipe = Pipeline([(s.name, s.transformer) for s in steps]).set_output(transform="pandas")
        x_fit = pipe.fit_transform(frame.iloc[fit], pd.Series(y[fit])).to_numpy("float32")
        mean, std = y[fit].mean(), y[fit].std()

        def xs(rows, pipe=pipe):
            return pipe.transform(frame.iloc[rows]).to_numpy("float32")

        def ys(rows, mean=mean, std=std):
            return ((y[rows] - mean) / std).astype("float32")

        yield {
            "fit": (x_fit, ys(fit)),
            "valid": (xs(valid), ys(valid)),
            "both": (np.vstack([x_fit, xs(valid)]), y[np.concatenate([fit, valid])]),
            "test": (xs(test), y[test]),
            "scale": (mean, std),
        }


def network(width: int, options: dict, seed: int):
    """The workflow's network (`build_mlp`) with `options` over BASE, compiled as it is."""
    import keras
    from kerasplug_housing.model import build_mlp, make_loss

    keras.utils.set_random_seed(seed)
    cfg = BASE | options
    model = build_mlp(width, "regression", 0, cfg)
    model.compile(keras.optimizers.Adam(1e-3), make_loss(cfg, "regression"))
    return model


def rmse(errors) -> tuple[float, float]:
    import numpy as np

    squared = np.sort(np.concatenate(errors) ** 2)[::-1]
    return float(np.sqrt(squared.mean())), float(np.sqrt(squared[5:].mean()))


def main() -> None:
    import warnings

    import keras
    import numpy as np
    from kerasplug_housing.data import load_ames_frame
    from kerasplug_housing.transformers import UnseenCategoryWarning
    from sklearn.linear_model import RidgeCV

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args()
    # A fold's test rows hold a few categories its training rows lack (encoded as zeros).
    warnings.filterwarnings("ignore", category=UnseenCategoryWarning)

    frame = load_ames_frame().drop(columns=["Order", "PID"])
    y = np.log(frame.pop("price").to_numpy(dtype="float64"))
    folds = list(fold_features(frame, y))
    rows = []
    ridge = [
        RidgeCV(alphas=np.logspace(-2, 3, 30)).fit(*f["both"]).predict(f["test"][0]) - f["test"][1]
        for f in folds
    ]
    rows.append(("RidgeCV on the same features (train + valid rows)", *rmse(ridge)))
    for name in args.variants:
        errors = []
        for seed, f in enumerate(folds):
            model = network(f["fit"][0].shape[1], VARIANTS[name], seed=seed)
            model.fit(
                *f["fit"],
                validation_data=f["valid"],
                epochs=200,
                batch_size=64,
                verbose=0,
                callbacks=[keras.callbacks.EarlyStopping(patience=15, restore_best_weights=True)],
            )
            mean, std = f["scale"]
            pred = np.asarray(model(f["test"][0], training=False)).ravel() * std + mean
            errors.append(pred - f["test"][1])
        rows.append((name, *rmse(errors)))
        print(f"{name}: {rows[-1][1]:.4f} (w/o worst 5 {rows[-1][2]:.4f})", flush=True)
    lines = ["| model | RMSE (log price) | w/o worst 5 |", "| --- | --- | --- |"]
    lines += [f"| {name} | {a:.4f} | {b:.4f} |" for name, a, b in rows]
    body = (
        "Ames, 5 folds (one repeat), the workflow's features; one network per fold, no "
        "ensemble, no refit (see the script's docstring).\n\n" + "\n".join(lines)
    )
    command = "python benchmarks/ames_screen.py"
    if args.variants != list(VARIANTS):
        command += " --variants " + " ".join(repr(v) for v in args.variants)
    write_section("Network option screen (Ames)", command, body)
    print(body)


if __name__ == "__main__":
    main()
