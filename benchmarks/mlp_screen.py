"""A quick screen of MLP options on Boston, in plain Keras: which ones to try in the workflow.

The full quality benchmark (benchmarks/quality.py) takes about half an hour per configuration
on two cores; this screen trains one network per fold (five with `ens`) on 5 folds x 2
repeats with the earlier example's architecture (128-128-64, ReLU, dropout 0.1, L2 1e-4, Adam
1e-3, batch 32, plateau schedule, early stopping with patience 20 on 20% of the training rows,
standardised inputs and target) and changes one thing at a time:

- `clip`: inputs clipped to mean ± 3 std of the training rows;
- `log`: CRIM, LSTAT and DIS replaced by log1p of themselves;
- `refit`: after early stopping, a fresh network trained on training + validation rows for
  the best epoch count x 1.25 (the added rows), as `early_stopping.refit` does;
- `quantile`: inputs mapped to a normal distribution by their training quantiles
  (scikit-learn's QuantileTransformer) instead of standardised;
- `logy`: the network learns log(MEDV), standardised;
- `b16`: batch 16; `wide`: 256-256-128; `w512`: 512-512-256;
  `d0` / `d2` / `d3`: dropout 0 / 0.2 / 0.3; `l2e5` / `l20`: L2 1e-5 / none; `huber`: Huber loss;
  `gelu` / `swish`: that activation instead of ReLU;
- `ple`: piecewise-linear encoding (Gorishniy et al., 2022): every input also enters as 8
  pieces between its training quantiles, each clipped to [0, 1], beside its scaled value;
- `linear`: a wide & deep output (a linear map of the inputs added to the output, as
  `model.linear` does); `delta5` / `delta2`: Huber delta 0.5 / 2 (with `huber`);
- `noise`: Gaussian noise (std 0.1) added to the scaled inputs while training; `ema`: the
  optimizer keeps an exponential moving average of the weights (Keras's `use_ema`), which
  the network predicts with;
- `hr`: the transformed features of Harrison and Rubinfeld's hedonic price equation (1978),
  the study the data comes from: RM², NOX² and log1p(RAD) added as columns;
- `b64`: batch 64;
- `p40`: early-stopping patience 40 and plateau patience 20 (instead of 20 and 10);
- `ens`: five networks from different seeds (the same split), their predictions averaged, as
  `model.ensemble = 5` does (but trained one after another, each stopping on its own);
- `bag` (with `ens`): every member learns from its own bootstrap sample of the rows;
- `gb`: not a network but the reference, GradientBoosting (500 trees, lr 0.05, subsample
  0.8) as in benchmarks/quality.py, on the same rows the network learns from.

A variant joins options with `+` (`log+refit+quantile`).

Run: python benchmarks/mlp_screen.py [--variants base refit log+refit+quantile ...]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section

VARIANTS = ("base", "clip", "log", "refit", "log+refit")
OPTIONS = ("base", "clip", "log", "refit", "quantile", "logy", "b16", "wide", "d2", "huber")
OPTIONS += ("gelu", "swish", "w512", "d3", "l2e5", "ple", "linear", "delta5", "delta2")
OPTIONS += ("noise", "ema", "hr", "b64", "gb", "p40", "ens", "bag", "d0", "l20")
LOG_COLUMNS = ("CRIM", "LSTAT", "DIS")


def network(width: int, seed: int, options: set[str]):
    import keras

    keras.utils.set_random_seed(seed)
    activation = next((a for a in ("gelu", "swish") if a in options), "relu")
    dropout = 0.3 if "d3" in options else 0.2 if "d2" in options else 0.1
    dropout = 0.0 if "d0" in options else dropout
    hidden = (128, 128, 64)
    if "wide" in options:
        hidden = (256, 256, 128)
    if "w512" in options:
        hidden = (512, 512, 256)
    l2 = 1e-5 if "l2e5" in options else 0.0 if "l20" in options else 1e-4
    inputs = keras.Input((width,))
    x = keras.layers.GaussianNoise(0.1)(inputs) if "noise" in options else inputs
    for units in hidden:
        x = keras.layers.Dense(
            units, activation=activation, kernel_regularizer=keras.regularizers.l2(l2)
        )(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    output = keras.layers.Dense(1)(x)
    if "linear" in options:
        wide = keras.layers.Dense(1, use_bias=False, kernel_regularizer=keras.regularizers.l2(l2))
        output = keras.layers.Add()([output, wide(inputs)])
    model = keras.Model(inputs, output)
    delta = 0.5 if "delta5" in options else 2.0 if "delta2" in options else 1.0
    loss = keras.losses.Huber(delta=delta) if "huber" in options else "mse"
    model.compile(keras.optimizers.Adam(1e-3, use_ema="ema" in options), loss)
    return model


def fit(x, y, valid, seed: int, options: set[str], epochs: int | None = None):
    """Early-stopped on `valid` (returns the best epoch), or `epochs` long without it."""
    import keras
    import numpy as np

    model = network(x.shape[1], seed, options)
    batch = 16 if "b16" in options else 64 if "b64" in options else 32
    watch = "loss" if valid is None else "val_loss"
    patience = 40 if "p40" in options else 20
    callbacks = [
        keras.callbacks.ReduceLROnPlateau(monitor=watch, factor=0.5, patience=patience // 2)
    ]
    if "ema" in options:  # validate and keep the best with the averaged weights
        callbacks.insert(0, keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
    if valid is None:
        model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0, callbacks=callbacks)
        return model, epochs
    callbacks.append(keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True))
    history = model.fit(
        x, y, validation_data=valid, epochs=300, batch_size=batch, verbose=0, callbacks=callbacks
    )
    return model, int(np.argmin(history.history["val_loss"])) + 1


def quantile_pieces(x, bins: int):
    """Piecewise-linear encoding fitted on `x`: a function of rows giving every column's pieces
    between its quantiles, each (x - left) / (right - left) clipped to [0, 1]."""
    import numpy as np

    lefts, widths, columns = [], [], []
    for j in range(x.shape[1]):
        edges = np.unique(np.quantile(x[:, j], np.linspace(0, 1, bins + 1)))
        for left, right in itertools.pairwise(edges):
            columns.append(j)
            lefts.append(left)
            widths.append(right - left)
    lefts, widths = np.array(lefts), np.array(widths)

    def encode(rows):
        return np.clip((rows[:, columns] - lefts) / widths, 0.0, 1.0)

    return encode


def fold_rmse(variant: str, frame, target: str, train, test, seed: int) -> float:
    import numpy as np
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import QuantileTransformer, StandardScaler

    options = set(variant.split("+"))
    x_all = frame.drop(columns=[target]).copy()
    y_all = frame[target].to_numpy(dtype="float64")
    if "gb" in options:
        from sklearn.ensemble import GradientBoostingRegressor

        gb = GradientBoostingRegressor(
            n_estimators=500, learning_rate=0.05, subsample=0.8, random_state=seed
        ).fit(x_all.iloc[train], y_all[train])
        return float(np.sqrt(np.mean((gb.predict(x_all.iloc[test]) - y_all[test]) ** 2)))
    if "log" in options:
        for column in LOG_COLUMNS:
            x_all[column] = np.log1p(x_all[column])
    if "hr" in options:
        x_all = x_all.assign(RM2=x_all["RM"] ** 2, NOX2=x_all["NOX"] ** 2)
        x_all["log_RAD"] = np.log1p(x_all["RAD"])
    x_all = x_all.to_numpy(dtype="float64")
    fit_rows, valid_rows = train_test_split(train, test_size=0.2, random_state=seed)
    if "clip" in options:
        mean, std = x_all[fit_rows].mean(0), x_all[fit_rows].std(0)
        x_all = np.clip(x_all, mean - 3 * std, mean + 3 * std)
    if "quantile" in options:
        scale_x = QuantileTransformer(
            n_quantiles=min(1000, len(fit_rows)), output_distribution="normal", random_state=seed
        ).fit(x_all[fit_rows])
    else:
        scale_x = StandardScaler().fit(x_all[fit_rows])
    y_fit = np.log(y_all) if "logy" in options else y_all
    scale_y = StandardScaler().fit(y_fit[fit_rows].reshape(-1, 1))

    pieces = quantile_pieces(x_all[fit_rows], 8) if "ple" in options else None

    def xs(rows):
        scaled = scale_x.transform(x_all[rows]).astype("float32")
        if pieces is None:
            return scaled
        return np.hstack([scaled, pieces(x_all[rows])]).astype("float32")

    def ys(rows):
        return scale_y.transform(y_fit[rows].reshape(-1, 1)).ravel().astype("float32")

    valid = (xs(valid_rows), ys(valid_rows))
    raw = 0.0
    members = 5 if "ens" in options else 1
    for member in range(members):
        member_seed = seed + 1000 * member  # member 0 keeps the fold's seed
        rows = fit_rows
        if "bag" in options:
            rows = np.random.default_rng(member_seed).choice(fit_rows, len(fit_rows))
        model, best = fit(xs(rows), ys(rows), valid, member_seed, options)
        if "refit" in options:
            both = np.concatenate([fit_rows, valid_rows])
            epochs = int(np.ceil(best * len(both) / len(fit_rows)))
            if "bag" in options:
                both = np.random.default_rng(member_seed + 1).choice(both, len(both))
            model, _ = fit(xs(both), ys(both), None, member_seed, options, epochs=epochs)
        raw = raw + np.asarray(model(xs(test), training=False)).reshape(-1, 1) / members
    pred = scale_y.inverse_transform(raw).ravel()
    if "logy" in options:
        pred = np.exp(pred)
    return float(np.sqrt(np.mean((pred - y_all[test]) ** 2)))


def main() -> None:
    import numpy as np
    from kerasplug_housing.data import load_boston_frame
    from sklearn.model_selection import RepeatedKFold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--title", default="MLP option screen (Boston)")
    parser.add_argument("--repeats", type=int, default=2, help="repeats of the 5 folds")
    args = parser.parse_args()
    for variant in args.variants:
        unknown = set(variant.split("+")) - set(OPTIONS)
        if unknown:
            parser.error(f"unknown option {sorted(unknown)[0]!r} in {variant!r}; known: {OPTIONS}")
    frame = load_boston_frame()
    folds = list(RepeatedKFold(n_splits=5, n_repeats=args.repeats, random_state=42).split(frame))
    rows = []
    for variant in args.variants:
        scores = [
            fold_rmse(variant, frame, "MEDV", train, test, seed)
            for seed, (train, test) in enumerate(folds)
        ]
        rows.append((variant, scores))
        print(f"{variant}: RMSE {np.mean(scores):.3f} ± {np.std(scores):.2f}", scores, flush=True)
    first, base = rows[0]
    lines = [
        f"| variant | RMSE mean ± std | vs {first} (paired mean diff) |",
        "| --- | --- | --- |",
    ]
    for variant, scores in rows:
        diff = f"{np.mean(np.subtract(scores, base)):+.3f}"
        lines.append(f"| {variant} | {np.mean(scores):.3f} ± {np.std(scores):.2f} | {diff} |")
    body = (
        f"Boston, 5 folds x {args.repeats} repeats (the same folds for every variant), one "
        "network per fold unless the variant has `ens` (five); see the script's docstring for "
        "the fixed settings.\n\n" + "\n".join(lines)
    )
    command = "python benchmarks/mlp_screen.py" + (
        f" --variants {' '.join(args.variants)}" if args.variants != list(VARIANTS) else ""
    )
    if args.repeats != parser.get_default("repeats"):
        command += f" --repeats {args.repeats}"
    if args.title != parser.get_default("title"):
        command += f" --title {args.title!r}"
    write_section(args.title, command, body)
    print(body)


if __name__ == "__main__":
    main()
