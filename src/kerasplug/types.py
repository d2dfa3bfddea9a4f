"""Small value types that hooks exchange with the core."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Split:
    """Row positions (into the loaded table) of one train/validation/test partition.

    A holdout split is one `Split`; K-fold cross-validation is several, one per fold. `valid`
    may be empty, in which case no validation data is passed to Keras.
    """

    name: str
    train: Sequence[int]
    valid: Sequence[int]
    test: Sequence[int]

    def parts(self) -> dict[str, Sequence[int]]:
        """The non-empty parts by name, in the order train, valid, test."""
        items = {"train": self.train, "valid": self.valid, "test": self.test}
        return {name: rows for name, rows in items.items() if len(rows)}


@dataclass(frozen=True)
class Step:
    """One preprocessing step: a scikit-learn transformer and its place in the pipeline.

    Steps from all plugins are sorted by `order` (ties keep the hook's call order) and chained
    into one `sklearn.pipeline.Pipeline`, which the core fits on training rows only.
    Conventional orders: 100 typing, 200 outliers, 300 missing values, 400 encoding,
    500 feature generation, 600 selection, 700 scaling.
    """

    name: str
    transformer: Any
    order: int = 500


@dataclass(frozen=True)
class Stage:
    """One training stage: run in order on the same model (transfer learning, fine-tuning).

    `options` carries plugin-specific settings of the stage (for example a freezing rule).
    """

    name: str
    epochs: int
    learning_rate: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Explanation:
    """Attributions of one explanation method.

    `values` has one row per explained row (indexed like the input rows) and one column per
    feature; `base_value` is the expected model output the attributions are relative to
    (`None` where the method has none, e.g. LIME's local intercepts live in `extras`).
    """

    method: str
    values: Any
    base_value: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)
