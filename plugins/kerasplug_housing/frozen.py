"""A fitted transformer that fitting leaves unchanged (imported lazily: it needs sklearn)."""

from __future__ import annotations

from typing import Any

from sklearn.frozen import FrozenEstimator


class Frozen(FrozenEstimator):
    """`FrozenEstimator` whose `fit` also accepts a lone `X`, as the core fits target transforms."""

    def fit(self, X: Any, y: Any = None, *args: Any, **kwargs: Any) -> Frozen:
        return super().fit(X, y, *args, **kwargs)
