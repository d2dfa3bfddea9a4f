"""kerasplug-example's own tests, written with kerasplug's testing kit (`kerasplug.testing`).

The kit's fixtures (`kerasplug_pm`, `kerasplug_run`) come with kerasplug as a pytest plugin.
"""

from __future__ import annotations

import numpy as np
from kerasplug_example.plugin import ExamplePlugin
from kerasplug_example.plugin import plugin as example_plugin
from kerasplug_example.steps import Winsorizer

from kerasplug.testing import parametrize_with_checks


@parametrize_with_checks([("example", example_plugin)])
def test_the_plugin_keeps_the_hook_contract(plugin, check):
    check(plugin)


def test_the_plugin_registers_with_its_hooks(kerasplug_pm):
    kerasplug_pm.register_plugin(ExamplePlugin(), "example")
    assert kerasplug_pm.info["example"].hooks == [
        "before_fit",
        "compute_metrics",
        "config_sections",
        "preprocessing_steps",
        "report",
        "should_stop",
        "trusted_types",
    ]


def test_the_winsorizer_clips_to_quantiles_of_the_rows_it_was_fitted_on():
    step = Winsorizer(0.1).fit(np.arange(101.0).reshape(-1, 1))
    clipped = step.transform(np.array([[-50.0], [50.0], [500.0]]))
    assert clipped.ravel().tolist() == [10.0, 50.0, 90.0]


def test_a_run_reports_the_share_within_tolerance(kerasplug_run):
    result = kerasplug_run(ExamplePlugin())
    predictions = result.predictions[result.predictions["split"] == "test"]
    relative = (predictions["y_pred"] - predictions["y_true"]).abs() / predictions["y_true"]
    share = float((relative <= 0.1).mean())
    assert result.metrics["test"]["within_tolerance"] == share
    summary = (result.run_dir / "example" / "summary.md").read_text(encoding="utf-8")
    assert f"| test | {share:.3f} |" in summary


def test_the_overfitting_guard_stops_once_val_loss_stays_above_the_gap(kerasplug_run):
    # A gap of 0.5 x loss with a patience of 2 epochs: the guard fires in a tiny run.
    config = {"example": {"max_gap": 0.5, "gap_patience": 2}, "train": {"epochs": 8}}
    result = kerasplug_run(ExamplePlugin(), config=config)
    above = (result.history["val_loss"] > 0.5 * result.history["loss"]).tolist()
    expected = next(i for i in range(1, len(above)) if above[i - 1] and above[i]) + 1
    assert len(result.history) == expected
    assert result.stop_reason.startswith("val_loss stayed above 0.5 x loss for 2 epochs")
