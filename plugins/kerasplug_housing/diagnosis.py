"""Fit diagnosis: under-fitting, good fit or over-fitting, read from the learning curves.

The verdict and its evidence are printed at the end of the run and stored in `metrics.json`
under `diagnosis` (one entry per fold under `diagnosis.folds` for K-fold).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from kerasplug import Option, hookimpl


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "diagnosis": {
            "overfit_rise": Option(
                0.10,
                float,
                "validation loss rising this fraction above its best (train loss falling) "
                "is over-fitting",
                min=0.0,
            ),
            "overfit_gap": Option(
                2.0, float, "final validation/train loss ratio above which is over-fitting", min=1.0
            ),
            "underfit_plateau": Option(
                0.01,
                float,
                "validation loss still falling this fraction per tenth of training at the end "
                "is under-fitting (train longer)",
                min=0.0,
            ),
            "underfit_gap": Option(
                1.05,
                float,
                "val/train loss ratio below which (validation still falling) is under-fitting",
                min=0.0,
            ),
        }
    }


def diagnose(history: Sequence[dict[str, Any]], settings: dict[str, float]) -> dict[str, Any]:
    """The verdict for one fold's epochs (dicts with `epoch`, `loss`, `val_loss`)."""
    epochs = [h for h in history if "loss" in h]
    if not epochs:
        return {"verdict": "unknown", "reasons": ["no epochs were recorded"]}
    train = [float(h["loss"]) for h in epochs]
    if not all("val_loss" in h for h in epochs):
        return {
            "verdict": "unknown",
            "reasons": ["no validation loss: the fit cannot be judged without a validation part"],
            "final_train_loss": train[-1],
            "best_train_loss": min(train),
        }
    valid = [float(h["val_loss"]) for h in epochs]
    best = min(range(len(valid)), key=valid.__getitem__)
    window = max(len(valid) // 10, 1)
    recent = valid[-window - 1 :]
    # Relative fall of the validation loss over the last tenth of training.
    still_falling = (recent[0] - recent[-1]) / max(abs(recent[0]), 1e-12)
    rise = (valid[-1] - valid[best]) / max(abs(valid[best]), 1e-12)
    train_change = train[-1] - train[best]
    gap_ratio = valid[-1] / max(train[-1], 1e-12)
    evidence = {
        "final_train_loss": train[-1],
        "final_valid_loss": valid[-1],
        "best_train_loss": min(train),
        "best_valid_loss": valid[best],
        "best_valid_epoch": int(epochs[best]["epoch"]),
        "epochs": len(valid),
        "gap": valid[-1] - train[-1],
        "gap_ratio": gap_ratio,
        "valid_rise_after_best": rise,
        "train_change_after_best": train_change,
        "valid_fall_last_tenth": still_falling,
    }
    reasons = []
    if rise > settings["overfit_rise"] and train_change < 0:
        reasons.append(
            f"validation loss rose {rise:.0%} after its best at epoch "
            f"{evidence['best_valid_epoch']} while the training loss kept falling"
        )
    if gap_ratio > settings["overfit_gap"]:
        reasons.append(f"validation loss is {gap_ratio:.2f}x the training loss")
    if reasons:
        verdict = "over-fitting"
    elif best == len(valid) - 1 and still_falling > settings["underfit_plateau"]:
        verdict = "under-fitting"
        reasons.append(
            f"validation loss was still falling at the last epoch ({still_falling:.1%} over the "
            "last tenth of training): train longer or use a larger model"
        )
    elif gap_ratio < settings["underfit_gap"] and still_falling > settings["underfit_plateau"]:
        verdict = "under-fitting"
        reasons.append("training and validation losses are close and both still falling")
    else:
        verdict = "good fit"
        reasons.append(
            f"validation loss levelled off (best at epoch {evidence['best_valid_epoch']}, "
            f"{rise:.0%} above it at the end) within {gap_ratio:.2f}x the training loss"
        )
    return {"verdict": verdict, "reasons": reasons, **evidence}


def diagnose_run(history: Sequence[dict[str, Any]], settings: dict[str, float]) -> dict[str, Any]:
    """One diagnosis per fold; with several folds the most common verdict leads."""
    # A refit (`early_stopping.refit`) has no validation rows: the first fit's curves are judged.
    history = [h for h in history if h.get("stage") != "refit"]
    folds = sorted({h.get("fold", 0) for h in history})
    results = [diagnose([h for h in history if h.get("fold", 0) == f], settings) for f in folds]
    if len(results) == 1:
        return results[0]
    verdict = Counter(r["verdict"] for r in results).most_common(1)[0][0]
    return {"verdict": verdict, "folds": results}


@hookimpl(tryfirst=True)
def report(run: Any) -> None:
    result = diagnose_run(run.history, run.config["diagnosis"])
    run.metrics["diagnosis"] = result
    run.echo(f"fit diagnosis: {result['verdict']}")
    for fold in result.get("folds", [result]):
        for reason in fold.get("reasons", []):
            run.echo(f"  - {reason}")
