"""Larger-than-memory tables: `data.stream = true` trains on a file read in chunks every epoch.

The memory test writes a CSV file larger than the memory budget it sets, trains on it in a
subprocess through the CLI and compares that process's peak resident memory (the kernel's
high-water mark, VmHWM) with the same run's on a tiny file.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kerasplug_housing.data import read_chunks
from kerasplug_housing.stream import Plan, draw_sample

from kerasplug import ConfigError, DataError, Trainer, hookimpl
from tests.helpers import LEAN

#: Reporting plugins the streaming runs do not need.
QUIET = ["housing.plots", "housing.diagnosis", "housing.report_html"]
COLUMNS = [*(f"x{i}" for i in range(10)), "y"]
#: The most memory a streaming run may use above the same run on a tiny file.
BUDGET_MIB = 96


def write_table(path: Path, rows: int, seed: int = 0) -> None:
    """A synthetic regression table, written 250,000 rows at a time (bounded memory)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    weights = np.linspace(-1.0, 1.0, 10)
    schema = pa.schema([(name, pa.float64()) for name in COLUMNS])
    with pacsv.CSVWriter(str(path), schema) as writer:
        for start in range(0, rows, 250_000):
            x = rng.normal(size=(min(250_000, rows - start), 10))
            y = x @ weights + 0.5 * np.sin(3 * x[:, 0]) + rng.normal(scale=0.3, size=len(x))
            values = np.column_stack([x, y]).round(4)
            writer.write_table(pa.table(dict(zip(COLUMNS, values.T, strict=True))))


def stream_config(path: Path, **data: object) -> dict[str, object]:
    return {
        "data": {
            "source": path.suffix[1:],
            "path": str(path),
            "target": "y",
            "stream": True,
            "chunk_rows": 5_000,
            "sample_rows": 4_000,
            "holdout_rows": 1_500,
            **data,
        }
    }


SMALL = [*LEAN, "train.verbose=0", "train.batch_size=128", "early_stopping.enabled=false"]


def train(config: dict[str, object], run_dir: Path, *overrides: str, plugins=()) -> object:
    return Trainer(
        config,
        overrides=[*SMALL, *overrides],
        plugins=plugins,
        disable=QUIET,
        run_dir=run_dir,
        third_party=False,
    ).run()


class FitRows:
    """Records the rows that preprocessing and the target transform are fitted on."""

    def __init__(self) -> None:
        self.features: list[int] = []
        self.targets: list[int] = []

    @hookimpl
    def preprocessing_steps(self, frame):
        self.features = [int(i) for i in frame.index]

    @hookimpl
    def target_transformer(self, y):
        self.targets = [int(i) for i in y.index]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 20,000-row CSV and Parquet file, trained on in memory and streamed."""
    folder = tmp_path_factory.mktemp("small")
    write_table(folder / "small.csv", 20_000, seed=1)
    pd.read_csv(folder / "small.csv").to_parquet(folder / "small.parquet")
    recorder = FitRows()
    in_memory = train(
        {"data": {"source": "csv", "path": str(folder / "small.csv"), "target": "y"}},
        folder / "in-memory",
        "train.epochs=5",
    )
    streamed = train(
        stream_config(folder / "small.csv"),
        folder / "streamed",
        "train.epochs=5",
        plugins=[("fit-rows", recorder)],
    )
    return folder, in_memory, streamed, recorder


def test_streaming_a_small_file_matches_training_in_memory(small):
    _, in_memory, streamed, _ = small
    assert streamed.metrics["test"]["r2"] > 0.9
    assert streamed.metrics["test"]["rmse"] == pytest.approx(
        in_memory.metrics["test"]["rmse"], rel=0.2
    )
    assert len(streamed.history) == 5


def test_every_epoch_reads_the_whole_file_again(small):
    _, _, streamed, _ = small
    log = (streamed.run_dir / "run.log").read_text()
    counts = re.search(r"\(([\d,]+) train, ([\d,]+) valid, ([\d,]+) test\)", log)
    train_rows = counts.group(1)
    assert f"read {small[0] / 'small.csv'} 5 times: {train_rows} training rows per epoch" in log


def test_preprocessing_is_fitted_on_the_bounded_sample_of_training_rows_only(small):
    _, _, streamed, recorder = small
    predictions = streamed.predictions
    held_out = set(predictions.loc[predictions["split"] != "train", "row"])
    sampled_train = set(predictions.loc[predictions["split"] == "train", "row"])
    assert len(recorder.features) == 4_000  # data.sample_rows
    assert recorder.targets == recorder.features
    assert set(recorder.features) == sampled_train
    assert not set(recorder.features) & held_out
    assert predictions["split"].value_counts().to_dict() == {
        "train": 4_000,
        "test": 1_500,
        "valid": 1_500,
    }


def test_parquet_streams_exactly_like_csv(small, tmp_path):
    folder, _, streamed, _ = small
    parquet = train(stream_config(folder / "small.parquet"), tmp_path / "run", "train.epochs=5")
    assert parquet.metrics["test"] == streamed.metrics["test"]


def test_each_row_part_is_fixed_by_its_row_number_whatever_the_chunk_size(small):
    folder = small[0]
    plan = Plan.of({"data": stream_config(folder / "small.csv")["data"], "run": {"seed": 42}})
    few, _ = draw_sample(plan, "y", lambda line: None)
    other = dataclasses.replace(plan, chunk_rows=7_001)
    many, counts = draw_sample(other, "y", lambda line: None)
    pd.testing.assert_frame_equal(few, many)
    # The [split] defaults: 20% test, then 20% of the rest valid.
    assert counts / counts.sum() == pytest.approx([0.64, 0.16, 0.2], abs=0.01)


def test_csv_and_parquet_chunks_carry_their_row_numbers_in_the_file(small):
    folder = small[0]
    whole = pd.read_csv(folder / "small.csv")
    for kind in ("csv", "parquet"):
        chunks = list(read_chunks(str(folder / f"small.{kind}"), kind, 6_000, ["y", "x3"]))
        assert [len(c) for c in chunks] == [6_000, 6_000, 6_000, 2_000]
        pd.testing.assert_frame_equal(pd.concat(chunks), whole[["y", "x3"]])


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"data": {"source": "boston", "stream": True}}, "data.source = 'boston'"),
        ({"split": {"folds": 5}}, "split.folds = 0"),
        ({"split": {"time_column": "year"}}, "split.time_column = ''"),
        ({"preprocess": {"outliers": "drop"}}, "preprocess.outliers"),
        ({"early_stopping": {"refit": True}}, "early_stopping.refit = false"),
    ],
    ids=["not-a-file", "k-fold", "time-order", "outlier-rows-dropped", "refit"],
)
def test_a_streaming_setting_it_cannot_honour_is_a_one_line_config_error(setting, named):
    config = stream_config(Path("table.csv"))
    for section, values in setting.items():
        config[section] = {**config.get(section, {}), **values}
    with pytest.raises(ConfigError, match=re.escape(named)) as error:
        Trainer(config, third_party=False)
    assert "data.stream = true" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_bad_row_far_into_the_stream_is_a_one_line_data_error(small, tmp_path):
    table = pd.read_csv(small[0] / "small.csv")
    plan = Plan.of({"data": stream_config(tmp_path / "bad.csv")["data"], "run": {"seed": 42}})
    parts, _ = plan.parts(np.arange(len(table)))
    chunk = np.arange(15_000, 18_000)  # the sixth chunk of 3,000 rows
    train_rows = chunk[parts[chunk] == 0]
    table.loc[train_rows[0], "x1"] = np.inf
    table.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError) as error:
        # Without housing.preprocess nothing clips the infinite value.
        Trainer(
            stream_config(tmp_path / "bad.csv", chunk_rows=3_000, sample_rows=500),
            overrides=[*SMALL, "train.epochs=2"],
            disable=[*QUIET, "housing.preprocess"],
            run_dir=tmp_path / "run",
            third_party=False,
        ).run()
    message = str(error.value)
    assert "\n" not in message
    rows = f"{train_rows[0]}-{train_rows[-1]}"
    assert f"the training rows {rows} of {str(tmp_path / 'bad.csv')!r}" in message
    assert "missing or infinite values in ['x1']" in message


class CountedStream:
    """Feeds the training rows through `tf.data`, counting how often Keras reads them."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []
        self.passes = 0

    @hookimpl
    def training_data(self, run, part, batch_size):
        import tensorflow as tf

        self.asked.append((part, batch_size))
        if part != "train":
            return None
        rows = run.parts["train"]

        def one_pass():
            self.passes += 1
            yield rows.x.to_numpy(), rows.y_fit

        spec = (tf.TensorSpec((None, rows.x.shape[1])), tf.TensorSpec((None,)))
        return tf.data.Dataset.from_generator(one_pass, output_signature=spec).rebatch(batch_size)


@pytest.mark.hook("training_data")
def test_a_plugin_dataset_feeds_model_fit_instead_of_the_arrays(tmp_path):
    from tests.helpers import EXAMPLES

    counted = CountedStream()
    result = Trainer(
        EXAMPLES / "housing" / "boston.toml",
        overrides=[*SMALL, "train.epochs=3", "model.ensemble=1"],
        plugins=[("counted", counted)],
        disable=QUIET,
        run_dir=tmp_path / "run",
        third_party=False,
    ).run()
    assert counted.asked == [("train", 128), ("valid", 128)]
    assert counted.passes == 3  # one pass per epoch
    assert list(result.history["epoch"]) == [1, 2, 3]
    # It learned from those rows: the untrained network scores R² -1.2 on them. (Not "the loss
    # fell": three epochs read through a Python generator are not always the same, and on a
    # busy machine the third epoch's loss once ended above the first's.)
    assert result.metrics["train"]["r2"] > 0


#: Runs the CLI and, at exit, writes the process's peak resident memory (VmHWM, in KiB). The
#: kernel's high-water mark of this process image: `ru_maxrss` would also count the memory of
#: the (large) pytest process the child was forked from.
CLI_WITH_PEAK = """
import atexit, re, sys
from pathlib import Path
report = Path(sys.argv.pop(1))
status = Path("/proc/self/status")
atexit.register(lambda: report.write_text(re.search(r"VmHWM:\\s+(\\d+)", status.read_text())[1]))
from kerasplug.cli import main
sys.exit(main())
"""


def peak_rss_mib(args: list[str], log: Path, timeout: float = 240) -> float:
    """Run `kerasplug ARGS` in a subprocess and return its peak resident memory, in MiB."""
    report = log.with_suffix(".peak")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-c", CLI_WITH_PEAK, str(report), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=timeout,
        )
    assert done.returncode == 0, log.read_text()[-3000:]
    return int(report.read_text()) / 1024


def cli_args(config: Path, table: Path, run_dir: Path) -> list[str]:
    settings = [
        'data.source="csv"',
        f'data.path="{table}"',
        'data.target="y"',
        "data.stream=true",
        "data.chunk_rows=50000",
        "data.sample_rows=20000",
        "data.holdout_rows=20000",
        "train.epochs=2",
        "train.batch_size=1024",
        "train.learning_rate=0.01",
        "train.verbose=0",
        "model.hidden=[16]",
        "early_stopping.enabled=false",
        "eda.enabled=false",
        "tensorboard.enabled=false",
        "explain.methods=[]",
    ]
    disabled = [arg for name in QUIET for arg in ("-p", f"no:{name}")]
    sets = [arg for setting in settings for arg in ("--set", setting)]
    return ["run", str(config), "--run-dir", str(run_dir), *disabled, *sets]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_file_larger_than_the_memory_budget_trains_within_the_budget(tmp_path):
    tiny, big = tmp_path / "tiny.csv", tmp_path / "big.csv"
    write_table(tiny, 2_000)
    write_table(big, 2_500_000)
    file_mib = big.stat().st_size / 2**20
    # The whole table as pandas holds it (11 float64 columns), before any preprocessing.
    in_memory_mib = 2_500_000 * len(COLUMNS) * 8 / 2**20
    config = tmp_path / "stream.toml"
    config.write_text("")  # everything is set with --set below

    baseline = peak_rss_mib(cli_args(config, tiny, tmp_path / "tiny-run"), tmp_path / "tiny.log")
    peak = peak_rss_mib(cli_args(config, big, tmp_path / "big-run"), tmp_path / "big.log")

    figures = (
        f"file {file_mib:.0f} MiB (as a DataFrame {in_memory_mib:.0f} MiB), budget "
        f"{BUDGET_MIB} MiB, peak RSS {peak:.0f} MiB, baseline {baseline:.0f} MiB, "
        f"streaming used {peak - baseline:.0f} MiB"
    )
    print(figures)
    assert file_mib > 2 * BUDGET_MIB and in_memory_mib > 2 * BUDGET_MIB
    assert peak - baseline < BUDGET_MIB, figures
    log = (tmp_path / "big.log").read_text()
    assert "2,500,000 rows" in log and f"read {big} 2 times: " in log
