"""SHAP values: exact additivity by construction where affordable, kernel SHAP otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class ShapResult:
    values: pd.DataFrame  # one row per explained row, one column per model input
    base_value: float  # the mean output over the background
    algorithm: str  # "permutation" or "kernel"
    additivity_error: float  # max |base + sum(values) - f(x)|, in output units


def shap_values(
    f: Callable[[np.ndarray], np.ndarray],
    background: pd.DataFrame,
    rows: pd.DataFrame,
    *,
    exact_max_features: int = 15,
    permutations: int = 2,
    kmeans: int = 20,
    seed: int = 0,
) -> ShapResult:
    """SHAP values of `f` for `rows`, relative to the mean output over `background`.

    Up to `exact_max_features` inputs: antithetic permutation sampling (`permutations` pairs
    per row, `permutation_shapley`) over the whole background as an independent masker. Each
    permutation telescopes from the background mean to f(x), so base + sum = f(x) exactly,
    and for a linear f the values are the exact Shapley values w_i (x_i - mean(x_i)). Wider
    inputs: kernel SHAP with `l1_reg=False` (every feature kept) on a k-means summary of the
    background; its efficiency constraint gives additivity too.
    """
    x = rows.to_numpy(dtype="float64")
    bg = background.to_numpy(dtype="float64")
    n_features = x.shape[1]
    if n_features <= exact_max_features:
        values, base = permutation_shapley(f, x, bg, pairs=permutations, seed=seed)
        algorithm = "permutation"
    else:
        import shap

        summary = shap.kmeans(bg, min(kmeans, len(bg)))
        explainer = shap.KernelExplainer(f, summary, seed=seed)
        values = np.asarray(explainer.shap_values(x, l1_reg=False, silent=True))
        base = float(np.asarray(explainer.expected_value).ravel()[0])
        algorithm = "kernel"
    error = float(np.max(np.abs(base + values.sum(axis=1) - f(x)))) if len(x) else 0.0
    frame = pd.DataFrame(values, index=rows.index, columns=rows.columns)
    return ShapResult(frame, base, algorithm, error)


#: Model rows per call of `f` in `permutation_shapley`: bounds memory, keeps batches large.
CHUNK_ROWS = 65536


def permutation_shapley(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    background: np.ndarray,
    *,
    pairs: int = 2,
    seed: int = 0,
) -> tuple[np.ndarray, float]:
    """Shapley values of `f` at each row of `x` by antithetic permutation sampling.

    The algorithm of `shap.explainers.Permutation` with an independent masker (a feature
    outside the coalition takes each background row's value, and the outputs are averaged
    over the background), vectorised over rows: every coalition of every row goes through
    `f` in a few large batches instead of several calls per row, which is what makes it fast
    for a neural network. Each row gets `pairs` random permutations, each also walked in
    reverse. Along one permutation the marginal contributions telescope from the background
    mean to f(x), so base + sum of values = f(x) to float64 rounding, whatever `pairs` is.

    Returns:
        The values, shape `x.shape`, and the base value (the mean of f over the background).
    """
    n, m = x.shape
    b = len(background)
    base = float(np.mean(f(background)))
    fx = np.asarray(f(x), dtype="float64") if n else np.zeros(0)
    rng = np.random.default_rng(seed)
    forward = np.argsort(rng.random((n, pairs, m)), axis=-1)
    order = np.concatenate([forward, forward[..., ::-1]], axis=1)  # (n, walks, m)
    walks = order.shape[1]
    # Coalition k (1..m-1) of a walk holds the features whose place in it is below k; the
    # empty coalition is the base value and the full one is f(x): neither needs f again.
    place = np.argsort(order, axis=-1)
    inside = place[:, :, None, :] < np.arange(1, m)[None, None, :, None]  # (n, walks, m-1, m)
    coalition_value = np.empty((n, walks, max(m - 1, 0)))
    per_row = walks * (m - 1) * b
    step = max(1, CHUNK_ROWS // max(per_row, 1))
    xs32, bg32 = x.astype("float32"), background.astype("float32")
    for start in range(0, n if m > 1 else 0, step):
        stop = min(start + step, n)
        masked = np.where(
            inside[start:stop, :, :, None, :],
            xs32[start:stop, None, None, None, :],
            bg32[None, None, None, :, :],
        )
        out = np.asarray(f(masked.reshape(-1, m)), dtype="float64")
        coalition_value[start:stop] = out.reshape(stop - start, walks, m - 1, b).mean(axis=-1)
    path = np.concatenate(
        [
            np.full((n, walks, 1), base),
            coalition_value,
            np.broadcast_to(fx[:, None, None], (n, walks, 1)),
        ],
        axis=2,
    )
    contribution = np.zeros((n, walks, m))
    np.put_along_axis(contribution, order, np.diff(path, axis=2), axis=2)
    return contribution.mean(axis=1), base
