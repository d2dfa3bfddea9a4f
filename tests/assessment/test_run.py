"""A whole run: metrics, diagnosis, plots, explanations and the HTML report on disk."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from kerasplug import ConfigError, Trainer
from tests.helpers import EXAMPLES, chromium_screenshot, run_cli


@pytest.mark.hook("compute_metrics")
def test_metrics_json_has_every_regression_metric_per_split(explained_run):
    metrics = json.loads((explained_run.run_dir / "metrics.json").read_text())
    for part in ("train", "valid", "test"):
        assert {"mse", "rmse", "mae", "medae", "mape", "r2"} <= set(metrics[part])
    frame = explained_run.predictions
    test = frame[frame["split"] == "test"]
    assert metrics["test"]["medae"] == pytest.approx(
        float(np.median(np.abs(test["y_true"] - test["y_pred"])))
    )


@pytest.mark.hook("report")
def test_diagnosis_is_stored_and_printed(explained_run):
    metrics = json.loads((explained_run.run_dir / "metrics.json").read_text())
    diagnosis = metrics["diagnosis"]
    assert diagnosis["verdict"] in ("under-fitting", "good fit", "over-fitting")
    history = pd.read_csv(explained_run.run_dir / "history.csv")
    assert diagnosis["best_valid_loss"] == pytest.approx(history["val_loss"].min())
    assert (
        f"fit diagnosis: {diagnosis['verdict']}" in (explained_run.run_dir / "run.log").read_text()
    )


def test_plots_are_png_files(explained_run):
    for name in (
        "learning_curves",
        "predicted_vs_actual",
        "residuals_vs_predicted",
        "residual_histogram",
    ):
        assert (explained_run.run_dir / "plots" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.hook("explain")
def test_each_method_explains_the_same_rows_and_saves_csv(explained_run):
    methods = {e.method: e for e in explained_run.explanations}
    assert set(methods) == {"shap", "lime", "lrp"}
    rows = methods["shap"].values.index
    for explanation in methods.values():
        assert list(explanation.values.index) == list(rows) and len(rows) == 20
        saved = pd.read_csv(
            explained_run.run_dir / "explanations" / f"{explanation.method}_values.csv",
            index_col="row",
        )
        np.testing.assert_allclose(saved.to_numpy(), explanation.values.to_numpy(), rtol=1e-6)
    shap = methods["shap"]
    total = shap.base_value + shap.values.sum(axis=1)
    assert (
        (total - shap.extras["prediction"]).abs() / shap.extras["prediction"].abs()
    ).max() < 1e-4
    metrics = json.loads((explained_run.run_dir / "metrics.json").read_text())
    assert metrics["explanations"]["shap"]["additivity_relative"] < 1e-4
    pairs = {frozenset(pair.split("~")) for pair in metrics["explanations"]["agreement"]}
    assert pairs == {frozenset(p) for p in (("shap", "lime"), ("shap", "lrp"), ("lime", "lrp"))}
    worst = shap.extras["worst"]
    errors = (
        explained_run.predictions.set_index("row").loc[rows, "y_true"]
        - explained_run.predictions.set_index("row").loc[rows, "y_pred"]
    ).abs()
    assert worst == list(errors.sort_values(ascending=False).index[:2])
    assert (explained_run.run_dir / "explanations" / f"shap_row_{worst[0]}.png").is_file()


def test_unknown_explanation_method_is_a_config_error():
    with pytest.raises(ConfigError, match=r"explain\.methods names unknown methods"):
        Trainer(
            EXAMPLES / "housing" / "boston.toml",
            overrides=['explain.methods=["shapp"]'],
            third_party=False,
        )


def test_report_html_is_self_contained_with_every_section(explained_run):
    page = (explained_run.run_dir / "report.html").read_text()
    for section in (
        "data",
        "preprocessing",
        "model",
        "training",
        "metrics",
        "plots",
        "importance",
        "worst-rows",
    ):
        assert f'<section id="{section}">' in page
    assert page.count("data:image/png;base64,") >= 8
    assert 'src="http' not in page and "src='http" not in page


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(explained_run, tmp_path):
    from matplotlib import image

    shot = tmp_path / "report.png"
    chromium_screenshot((explained_run.run_dir / "report.html").as_uri(), shot, 1280, 2000)
    pixels = image.imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels[..., :3].std() > 0.05, "the screenshot is blank"
    dark = (pixels[..., :3].mean(axis=2) < 0.5).mean()
    assert dark > 0.005, "no text or figures were drawn"


def test_cli_explains_new_rows_with_a_saved_run(explained_run, tmp_path):
    rows = pd.read_csv(explained_run.run_dir / "explanations" / "background.csv").head(3)
    data = tmp_path / "new.csv"
    rows.to_csv(data, index=False)
    out = tmp_path / "out"
    result = run_cli(
        "explain",
        str(explained_run.run_dir),
        str(data),
        "--rows",
        "0,2",
        "--method",
        "lrp",
        "--method",
        "shap",
        "-o",
        str(out),
        env={"CUDA_VISIBLE_DEVICES": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "== lrp" in result.stdout and "== shap" in result.stdout
    assert result.stdout.count("row ") == 4
    saved = pd.read_csv(out / "explanations" / "shap_values.csv")
    assert len(saved) == 2 and set(rows.columns) <= set(saved.columns)


def test_cli_rejects_rows_outside_the_file(explained_run, tmp_path):
    data = tmp_path / "new.csv"
    pd.read_csv(explained_run.run_dir / "explanations" / "background.csv").head(2).to_csv(
        data, index=False
    )
    result = run_cli("explain", str(explained_run.run_dir), str(data), "--rows", "5")
    assert result.returncode == 2
    assert "--rows [5] are outside the file's 2 rows" in result.stderr
