"""Training on a CSV or Parquet file larger than memory (`data.stream = true`).

One pass over the file, chunk by chunk, keeps what stays in memory: a uniform random sample of
at most `data.sample_rows` training rows, on which the core explores the data and fits the
preprocessing and the target transform, and uniform samples of at most `data.holdout_rows`
validation and test rows, which validate every epoch and give the metrics. Every epoch then
reads the file again in chunks of `data.chunk_rows` rows; each chunk's training rows go through
the fitted preprocessing into a `tf.data` pipeline (the `training_data` hook) that batches and
prefetches.

A row's part is a hash of its row number and `run.seed` cut at the `[split]` fractions, so the
sample, the held rows and the stream always agree and no validation or test row is ever fitted
on. docs/streaming.md explains the choices.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kerasplug import ConfigError, DataError, KerasplugError, Option, Split, hookimpl
from kerasplug_housing.data import read_chunks

_GOLDEN = 0x9E3779B97F4A7C15  # splitmix64's increment


def row_uniforms(rows: Any, seed: int) -> Any:
    """One number in [0, 1) per 0-based row number, uniform and fixed by `seed` (splitmix64).

    It depends on nothing but the row number and the seed, so any chunk size gives the same.
    """
    import numpy as np

    z = np.asarray(rows, dtype=np.uint64) + np.uint64((seed + 1) * _GOLDEN % 2**64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) / float(2**53)


@dataclass(frozen=True)
class Plan:
    """How a streamed file is read and cut into parts, from the resolved config."""

    path: str
    kind: str
    chunk_rows: int
    sample_rows: int
    holdout_rows: int
    seed: int
    test_size: float
    valid_size: float

    @classmethod
    def of(cls, config: dict[str, Any]) -> Plan | None:
        """The plan of a streaming run; `None` when `data.stream` is false."""
        data = config.get("data", {})
        if not data.get("stream"):
            return None
        split = config.get("split", {})
        return cls(
            path=data["path"],
            kind=data["source"],
            chunk_rows=data["chunk_rows"],
            sample_rows=data["sample_rows"],
            holdout_rows=data["holdout_rows"],
            seed=config["run"]["seed"],
            test_size=split.get("test_size", 0.2),
            valid_size=split.get("valid_size", 0.2),
        )

    def parts(self, rows: Any) -> tuple[Any, Any]:
        """Each row number's part (0 train, 1 valid, 2 test) and its uniform number."""
        import numpy as np

        u = row_uniforms(rows, self.seed)
        valid_from = self.test_size + (1 - self.test_size) * self.valid_size
        return np.where(u < self.test_size, 2, np.where(u < valid_from, 1, 0)), u


class Smallest:
    """The `k` rows with the smallest keys seen so far: a uniform sample when keys are uniform."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.frame: Any = None
        self.keys: Any = None

    def add(self, frame: Any, keys: Any) -> None:
        import numpy as np
        import pandas as pd

        if self.frame is not None and len(self.keys) == self.k:
            wanted = keys < self.keys.max()  # most rows of a long file are skipped here
            frame, keys = frame[wanted], keys[wanted]
        if not len(frame):
            return
        if self.frame is not None:
            frame = pd.concat([self.frame, frame])
            keys = np.concatenate([self.keys, keys])
        if len(keys) > self.k:
            keep = np.argpartition(keys, self.k - 1)[: self.k]
            frame, keys = frame.iloc[keep], keys[keep]
        self.frame, self.keys = frame, keys


def draw_sample(plan: Plan, target: str, echo: Any) -> tuple[Any, Any]:
    """One pass over the file: the in-memory table (sampled train rows, held valid/test rows)
    and the number of rows of each part in the whole file.

    Rows without a value for `target` are left out, and counted in a warning.
    """
    import numpy as np
    import pandas as pd

    limits = (plan.sample_rows, plan.holdout_rows, plan.holdout_rows)
    kept = [Smallest(k) for k in limits]
    counts = np.zeros(3, dtype=np.int64)
    unlabelled = 0
    for chunk in read_chunks(plan.path, plan.kind, plan.chunk_rows):
        if target in chunk.columns:
            labelled = chunk[target].notna().to_numpy()
            unlabelled += int((~labelled).sum())
            chunk = chunk[labelled]
        parts, u = plan.parts(chunk.index.to_numpy())
        counts += np.bincount(parts, minlength=3)
        for code, sample in enumerate(kept):
            sample.add(chunk[parts == code], u[parts == code])
    frames = [s.frame for s in kept if s.frame is not None]
    if not frames:
        raise DataError(f"data file {plan.path!r} has no rows with a value for the target")
    if unlabelled:
        echo(f"warning: left out {unlabelled} rows without a value for the target {target!r}")
    frame = pd.concat(frames).sort_index()
    held = [len(s.frame) if s.frame is not None else 0 for s in kept]
    echo(
        f"streaming {plan.path}: {counts.sum():,} rows ({counts[0]:,} train, {counts[1]:,} valid, "
        f"{counts[2]:,} test) in chunks of {plan.chunk_rows:,}; held in memory: a sample of "
        f"{held[0]:,} train rows, {held[1]:,} valid and {held[2]:,} test rows"
    )
    return frame, counts


class TrainingStream:
    """A callable giving one pass over the file's training rows as preprocessed chunks.

    `tf.data.Dataset.from_generator` calls it once per epoch. A failure part-way ends the pass
    and is kept in `failure`, for the plugin to raise as a one-line error after the epoch
    (raised inside tf.data it would reach the user wrapped in a TensorFlow traceback).
    """

    def __init__(self, run: Any, plan: Plan) -> None:
        self.run, self.plan = run, plan
        self.columns = [str(c) for c in run.parts["train"].raw.columns]
        self.dtypes = run.parts["train"].raw.dtypes
        self.finished = 0  # passes that reached the end of the file
        self.rows = 0  # training rows of the last finished pass
        self.failure: BaseException | None = None

    def __call__(self) -> Iterator[tuple[Any, Any]]:
        import numpy as np

        run, plan = self.run, self.plan
        # Seeded by the epoch, so that a resumed run shuffles as the uninterrupted one would.
        rng = np.random.default_rng([plan.seed, run.fold, run.epoch])
        rows = 0
        try:
            columns = [*self.columns, run.target]
            for chunk in read_chunks(plan.path, plan.kind, plan.chunk_rows, columns):
                parts, _ = plan.parts(chunk.index.to_numpy())
                chunk = chunk[(parts == 0) & chunk[run.target].notna().to_numpy()]
                if chunk.empty:
                    continue
                x, y = self.prepare(chunk)
                order = rng.permutation(len(y))  # random order within the chunk
                rows += len(y)
                yield x[order], y[order]
        except Exception as exc:
            self.failure = exc if isinstance(exc, KerasplugError) else self.as_data_error(exc)
            return
        self.rows = rows
        self.finished += 1

    def prepare(self, chunk: Any) -> tuple[Any, Any]:
        """Training rows of the file, preprocessed: (x as float32, y as the network sees it)."""
        import pandas as pd

        from kerasplug.trainer import IMPUTE_HINT, encode_target, preprocess_rows

        run = self.run
        raw = chunk[self.columns]
        # A chunk without missing values reads an integer column that the sample read as float.
        widen = {
            c: self.dtypes[c]
            for c in self.columns
            if raw[c].dtype != self.dtypes[c]
            and pd.api.types.is_numeric_dtype(raw[c])
            and pd.api.types.is_float_dtype(self.dtypes[c])
        }
        raw = raw.astype(widen)
        what = f"the training rows {chunk.index.min()}-{chunk.index.max()} of {self.plan.path!r}"
        x = preprocess_rows(run.pipeline, raw, what, IMPUTE_HINT).to_numpy()
        try:
            y = encode_target(chunk[run.target].to_numpy(), run.task, run.target_transform)
        except ValueError as exc:
            raise DataError(
                f"{what} have target values the sample did not ({exc}); raise data.sample_rows"
            ) from None
        return x, y

    def as_data_error(self, exc: Exception) -> DataError:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return DataError(
            f"streaming {self.plan.path!r} failed: {type(exc).__name__}: {reason}; check the "
            "rows of the file against the sample that preprocessing was fitted on"
        )


def make_dataset(
    stream: TrainingStream, n_features: int, task: str, batch_size: int, rows: int
) -> Any:
    """The `tf.data` pipeline over `stream`'s `rows` training rows: chunks, one read ahead, cut
    into prefetched batches.
    """
    import tensorflow as tf

    y_type = tf.float32 if task == "regression" else tf.int32
    dataset = tf.data.Dataset.from_generator(
        stream,
        output_signature=(
            tf.TensorSpec((None, n_features), tf.float32),
            tf.TensorSpec((None,), y_type),
        ),
    )
    # Reading and preprocessing the next chunk overlaps training on this one; batches are cut
    # within a pass. `repeat().take()` gives Keras epochs of a known length, one pass each; a
    # pass that fails part-way is topped up by the next, so the epoch still ends and the
    # plugin raises the failure then, as a one-line error.
    one_pass = dataset.prefetch(1).rebatch(batch_size)
    return one_pass.repeat().take(math.ceil(rows / batch_size)).prefetch(2)


class StreamPlugin:
    """The hook implementations; the instance keeps the current stage's stream."""

    def __init__(self) -> None:
        self.train_rows = 0  # training rows of the whole file, counted when sampling
        self.stream: TrainingStream | None = None

    @hookimpl
    def config_sections(self) -> dict[str, Any]:
        return {
            "data": {
                "stream": Option(
                    False,
                    bool,
                    "read a csv/parquet file in chunks every epoch instead of loading it "
                    "(docs/streaming.md)",
                ),
                "chunk_rows": Option(50_000, int, "streaming: rows read at a time", min=1),
                "sample_rows": Option(
                    20_000,
                    int,
                    "streaming: training rows held in memory (a uniform random sample) to "
                    "explore and fit preprocessing and the target transform on",
                    min=2,
                ),
                "holdout_rows": Option(
                    20_000,
                    int,
                    "streaming: most validation rows and most test rows held in memory "
                    "(uniform random samples) to validate and compute metrics on",
                    min=1,
                ),
            }
        }

    @hookimpl
    def configure(self, config: dict[str, Any]) -> None:
        if not config["data"]["stream"]:
            return
        source = config["data"]["source"]
        if source not in ("csv", "parquet"):
            raise ConfigError(
                f"data.stream = true reads a file, but data.source = {source!r}; set "
                "data.source = 'csv' or 'parquet' with data.path, or data.stream = false"
            )
        split = config.get("split", {})
        if split.get("folds"):
            raise ConfigError(
                f"data.stream = true makes one holdout split, but split.folds = "
                f"{split['folds']}; set split.folds = 0"
            )
        if split.get("time_column"):
            raise ConfigError(
                f"data.stream = true assigns rows to parts by a hash of the row number, but "
                f"split.time_column = {split['time_column']!r}; set split.time_column = ''"
            )
        if config.get("early_stopping", {}).get("refit"):
            raise ConfigError(
                "data.stream = true holds only a sample of the validation rows, so it cannot "
                "refit on them; set early_stopping.refit = false"
            )
        if config.get("preprocess", {}).get("outliers") == "drop":
            raise ConfigError(
                "data.stream = true cannot drop outlier rows from the stream, but "
                "preprocess.outliers = 'drop'; set it to 'clip' or 'none'"
            )

    @hookimpl(tryfirst=True)
    def load_data(self, run: Any, config: dict[str, Any]) -> Any:
        plan = Plan.of(config)
        if plan is None:
            return None
        frame, counts = draw_sample(plan, config["data"]["target"], run.echo)
        self.train_rows = int(counts[0])
        return frame

    @hookimpl(tryfirst=True)
    def make_splits(self, run: Any, frame: Any) -> list[Split] | None:
        plan = Plan.of(run.config)
        if plan is None:
            return None
        import numpy as np

        parts, _ = plan.parts(frame.index.to_numpy())
        train, valid, test = (np.flatnonzero(parts == code) for code in range(3))
        if len(train) < 2:
            raise ConfigError(
                f"only {len(train)} training rows in the sample of {plan.path!r}; lower "
                "split.test_size or split.valid_size, or use more data"
            )
        return [Split("stream", train, valid, test)]

    @hookimpl
    def training_data(self, run: Any, part: str, batch_size: int) -> Any:
        plan = Plan.of(run.config)
        if plan is None or part != "train":
            return None  # validation rows are held in memory
        self.stream = TrainingStream(run, plan)
        n_features = run.parts["train"].x.shape[1]
        return make_dataset(self.stream, n_features, run.task, batch_size, self.train_rows)

    @hookimpl
    def on_epoch_end(self, run: Any) -> None:
        if self.stream is not None and self.stream.failure is not None:
            failure, self.stream = self.stream.failure, None
            raise failure

    @hookimpl
    def after_fit(self, run: Any) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            run.echo(
                f"read {stream.plan.path} {stream.finished} times: {stream.rows:,} training "
                "rows per epoch"
            )


plugin = StreamPlugin()
