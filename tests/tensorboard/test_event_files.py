"""A short run's TensorBoard logs, read back with TensorBoard's own reader, hold everything."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kerasplug import ConfigError, Trainer
from tests.helpers import EXAMPLES
from tests.tensorboard import events
from tests.tensorboard.conftest import IMAGE_TAG, TB_FAST, train

EPOCHS = list(range(6))  # two stages of 3 epochs, counted across stages


@pytest.fixture(scope="module")
def logs(staged_run):
    return events.load(staged_run.run_dir / "tensorboard")


@pytest.mark.hook("training_callbacks")
def test_epoch_scalars_of_both_stages_form_one_continuous_curve(staged_run, logs):
    history = staged_run.history
    for run, prefix in (("train", ""), ("validation", "val_")):
        for metric in ("loss", "mae"):
            steps, got = events.scalars(logs, run, f"epoch_{metric}")
            assert steps == EPOCHS
            np.testing.assert_allclose(got, history[prefix + metric], rtol=1e-5)


@pytest.mark.hook("on_epoch_end")
def test_learning_rate_and_stage_are_logged_every_epoch(logs):
    steps, rates = events.scalars(logs, ".", "learning_rate")
    assert steps == EPOCHS
    np.testing.assert_allclose(rates, [0.01] * 3 + [0.001] * 3, rtol=1e-6)
    steps, stages = events.scalars(logs, ".", "stage")
    assert steps == EPOCHS
    assert stages.tolist() == [0, 0, 0, 1, 1, 1]
    assert events.tags(logs, "scalars", ".") >= {"learning_rate", "stage"}


def test_weight_histograms_every_epoch_and_the_model_graph(staged_run, logs):
    import keras

    model = keras.saving.load_model(staged_run.run_dir / "model.keras", safe_mode=True)
    weights = [w.path.replace(":", "_") for layer in model.layers for w in layer.weights]
    assert weights
    histograms = events.tags(logs, "histograms", "train")
    assert histograms == {f"{w}/histogram" for w in weights}
    for tag in histograms:
        assert [step for step, _ in events.values(logs, "train", tag)] == EPOCHS
    assert events.tags(logs, "graph_keras_model", "train") == {"keras"}


@pytest.mark.hook("before_fit")
def test_text_shows_config_model_summary_stages_stop_reason_and_diagnosis(staged_run, logs):
    assert events.tags(logs, "text", ".") >= {
        "config",
        "model_summary",
        "stages",
        "stop_reason",
        "diagnosis",
    }
    (config,) = events.texts(logs, ".", "config")
    saved = (staged_run.run_dir / "config.toml").read_text(encoding="utf-8")
    assert [line.strip() for line in config.splitlines()] == [
        line.strip() for line in saved.splitlines()
    ]
    (summary,) = events.texts(logs, ".", "model_summary")
    # The trained network (the saved model may wrap it), as Keras's summary prints it.
    assert summary.lstrip().startswith("Model: ") and "Total params: " in summary
    first, second = events.texts(logs, ".", "stages")
    assert first.startswith("stage 0 = 'head' from epoch 1")
    assert second.startswith("stage 1 = 'finetune' from epoch 4")
    assert events.texts(logs, ".", "stop_reason") == ["trained every planned epoch (6)"]
    (diagnosis,) = events.texts(logs, ".", "diagnosis")
    expected = json.loads((staged_run.run_dir / "metrics.json").read_text())["diagnosis"]
    assert diagnosis == expected if isinstance(expected, str) else json.loads(diagnosis) == expected


@pytest.mark.hook("report")
def test_images_registered_by_reporting_plugins_are_logged(staged_run, logs):
    import tensorflow as tf

    assert IMAGE_TAG in events.tags(logs, "images", ".")
    ((step, value),) = events.values(logs, ".", IMAGE_TAG)
    width, height, png = value
    pixels = tf.io.decode_png(png).numpy()
    on_disk = tf.io.decode_png((staged_run.run_dir / "plots/test_residual_bars.png").read_bytes())
    assert (int(width), int(height)) == (pixels.shape[1], pixels.shape[0])
    assert pixels.shape[:2] == tuple(on_disk.shape[:2])
    assert step == 6


def test_hparams_session_holds_the_config_and_the_final_metrics(staged_run, logs):
    hparams = events.session_hparams(logs, ".")
    assert hparams["train.learning_rate"] == 0.01
    assert hparams["model.hidden"] == "[16]"
    assert hparams["early_stopping.enabled"] is False
    for part in ("train", "valid", "test"):
        for name, value in staged_run.metrics[part].items():
            steps, got = events.scalars(logs, ".", f"final/{part}_{name}")
            assert steps == [6]
            assert got[0] == pytest.approx(value, rel=1e-6)


def test_each_fold_is_its_own_run_with_its_own_hparams_session(kfold_run):
    logs = events.load(kfold_run.run_dir / "tensorboard")
    folds = kfold_run.metrics["folds"]
    assert [f["name"] for f in folds] == ["fold-1", "fold-2"]
    for fold in folds:
        name = fold["name"]
        steps, _ = events.scalars(logs, f"{name}/train", "epoch_loss")
        assert steps == [0, 1]
        steps, _ = events.scalars(logs, f"{name}/validation", "epoch_loss")
        assert steps == [0, 1]
        assert events.session_hparams(logs, name)["fold"] == name
        _, rmse = events.scalars(logs, name, "final/valid_rmse")
        assert rmse[0] == pytest.approx(fold["metrics"]["valid"]["rmse"], rel=1e-6)
    _, mean = events.scalars(logs, ".", "final/valid_rmse")
    assert mean[0] == pytest.approx(kfold_run.metrics["valid"]["rmse"], rel=1e-6)
    assert "fold" not in events.session_hparams(logs, ".")


def test_nothing_is_written_when_disabled(tmp_path):
    result = train(tmp_path / "run", ["train.epochs=2", "tensorboard.enabled=false"], [])
    assert (result.run_dir / "metrics.json").is_file()
    assert not (result.run_dir / "tensorboard").exists()


@pytest.mark.hook("config_sections")
def test_a_negative_histogram_frequency_is_a_config_error():
    with pytest.raises(ConfigError, match=r"tensorboard.histogram_freq = -1 is too small"):
        Trainer(
            EXAMPLES / "housing" / "boston.toml",
            overrides=[*TB_FAST, "tensorboard.histogram_freq=-1"],
            third_party=False,
        )
