"""The example plugin's hooks: outlier clipping, an overfitting guard, a metric, a report.

This module is imported by `kerasplug plugins`, so it imports nothing heavy at top level:
scikit-learn and numpy load inside the hooks that use them.
"""

from __future__ import annotations

from typing import Any

from kerasplug import Option, Step, hookimpl


class ExamplePlugin:
    """One instance is the registered plugin (entry point `example`).

    It keeps one piece of state, the overfitting streak, and resets it whenever a split starts
    training, so nothing carries over from one run (or fold) to the next.
    """

    def __init__(self) -> None:
        self.streak = 0

    @hookimpl
    def config_sections(self) -> dict[str, Any]:
        return {
            "example": {
                "clip_quantile": Option(
                    0.01,
                    float,
                    "clip each feature to this quantile and its mirror image (0: off)",
                    min=0.0,
                    max=0.49,
                ),
                "max_gap": Option(
                    2.0, float, "stop when val_loss exceeds loss times this ...", min=0.0
                ),
                "gap_patience": Option(5, int, "... for this many epochs in a row", min=1),
                "tolerance": Option(
                    0.1, float, "relative error that `within_tolerance` counts as a hit", min=0.0
                ),
            }
        }

    @hookimpl
    def preprocessing_steps(self, run: Any) -> list[Step]:
        quantile = run.config["example"]["clip_quantile"]
        if quantile == 0:
            return []
        from kerasplug_example.steps import Winsorizer

        # Order 200: outliers are handled before missing values (300) and scaling (700).
        return [Step("winsorize", Winsorizer(quantile), order=200)]

    @hookimpl
    def trusted_types(self) -> list[str]:
        # preprocessing.skops holds a fitted Winsorizer; vouch for it so the run reloads.
        return ["kerasplug_example.steps.Winsorizer"]

    @hookimpl
    def before_fit(self, run: Any) -> None:
        if run.epoch == 0:
            self.streak = 0

    @hookimpl
    def should_stop(self, run: Any, epoch: int, logs: dict[str, float]) -> str | None:
        if "val_loss" not in logs:
            return None
        cfg = run.config["example"]
        gap = logs["val_loss"] / max(logs["loss"], 1e-12)
        self.streak = self.streak + 1 if gap > cfg["max_gap"] else 0
        if self.streak >= cfg["gap_patience"]:
            return (
                f"val_loss stayed above {cfg['max_gap']:g} x loss for {self.streak} epochs "
                f"(overfitting; last gap {gap:.2f} at epoch {epoch + 1})"
            )
        return None

    @hookimpl
    def compute_metrics(self, run: Any, y_true: Any, y_pred: Any) -> dict[str, float] | None:
        if run.task != "regression":
            return None
        import numpy as np

        relative = np.abs(y_pred - y_true) / np.maximum(np.abs(y_true), 1e-12)
        return {"within_tolerance": float(np.mean(relative <= run.config["example"]["tolerance"]))}

    @hookimpl
    def report(self, run: Any, result: Any) -> None:
        tolerance = run.config["example"]["tolerance"]
        lines = [
            "# kerasplug-example",
            "",
            f"Share of predictions within {tolerance:.0%} of the true value:",
            "",
            "| part | within_tolerance |",
            "| --- | --- |",
        ]
        for part in ("train", "valid", "test"):
            value = result.metrics.get(part, {}).get("within_tolerance")
            if value is not None:
                lines.append(f"| {part} | {value:.3f} |")
        reason = result.stop_reason or "trained for every epoch"
        lines += ["", f"Training ended: {reason}.", ""]
        run.dir.write_text("example/summary.md", "\n".join(lines))


plugin = ExamplePlugin()
