"""Starting from a saved run: its network (safe mode), a new head, its preprocessing reused."""

from __future__ import annotations

import numpy as np
import pytest

from kerasplug import ConfigError, Trainer
from kerasplug.artifacts import load_model


@pytest.mark.hook("build_model")
def test_a_run_starts_from_the_saved_network_with_a_new_head_on_a_frozen_base(
    staged_run, transferred_run
):
    saved = load_model(staged_run[0].run_dir / "model.keras")
    _, rec = transferred_run
    start, end = rec.before["head"], rec.after["head"]
    assert set(start) == {layer.name for layer in saved.layers[:-1]} | {"features", "head"}
    for layer in saved.layers[:-1]:
        weights = [np.array(w) for w in layer.get_weights()]
        assert all(np.array_equal(a, b) for a, b in zip(weights, start[layer.name], strict=True))
        assert all(np.array_equal(a, b) for a, b in zip(weights, end[layer.name], strict=True))
    assert not np.array_equal(start["head"][0], end["head"][0])


@pytest.mark.hook("target_transformer")
def test_the_saved_preprocessing_is_reused_not_refitted(staged_run, transferred_run):
    from kerasplug.artifacts import load_preprocessing

    state = {}
    for name, run in (("saved", staged_run[0]), ("new", transferred_run[0])):
        state[name] = load_preprocessing(
            run.run_dir / "preprocessing.skops", ["kerasplug_housing.frozen.Frozen"]
        )
    ((name, step),) = state["new"]["pipeline"].steps
    assert name == "pretrained"
    frame = transferred_run[0].predictions
    assert len(frame)
    saved_scaler = state["saved"]["pipeline"].steps[-1][1]
    reused_scaler = step.estimator.steps[-1][1]
    assert np.array_equal(saved_scaler.mean_, reused_scaler.mean_)
    assert (
        state["new"]["target_transform"].estimator.mean_ == state["saved"]["target_transform"].mean_
    )


def test_init_from_a_folder_without_a_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"transfer\.init_from = .* is not a run directory"):
        Trainer({"transfer": {"init_from": str(tmp_path)}}, third_party=False)
