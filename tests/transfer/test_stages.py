"""Staged training from `[[stages]]`, and the config's array-of-tables sections."""

from __future__ import annotations

import pytest
from kerasplug_housing.stages import plan

from kerasplug import ConfigError, Option, Trainer
from kerasplug.config import TableList, merge_schemas, resolve

SCHEMA = {"stages": TableList({"name": Option("", str), "epochs": Option(10, int, min=1)})}


def test_an_array_of_tables_section_fills_defaults_in_each_table():
    config = resolve({"stages": [{"name": "a"}, {"epochs": 3}]}, SCHEMA)
    assert config["stages"] == [{"name": "a", "epochs": 10}, {"name": "", "epochs": 3}]
    assert resolve({}, SCHEMA)["stages"] == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"stages": [{"epoch": 3}]}, r"unknown config key stages\[0\]\.epoch .*'epochs'"),
        ({"stages": [{}, {"epochs": 0}]}, r"stages\[1\]\.epochs = 0 is too small"),
        ({"stages": {"epochs": 3}}, r"must be an array of tables: write \[\[stages\]\]"),
    ],
)
def test_bad_tables_are_named_by_index_and_key(raw, message):
    with pytest.raises(ConfigError, match=message):
        resolve(raw, SCHEMA)


def test_an_array_of_tables_section_has_one_owner():
    with pytest.raises(ConfigError, match=r"\[\[stages\]\] is declared by both 'a' and 'b'"):
        merge_schemas([("a", SCHEMA), ("b", {"stages": {"x": Option(1, int)}})])


def test_gradual_unfreezing_trains_one_more_block_every_k_epochs():
    table = {
        "name": "gradual",
        "epochs": 5,
        "learning_rate": 0.01,
        "freeze": [],
        "freeze_regex": "",
        "freeze_range": [],
        "train_last": 1,
        "unfreeze_every": 2,
    }
    stages = plan([table], n_blocks=2)
    assert [(s.name, s.epochs, s.options["freeze"]["train_last"]) for s in stages] == [
        ("gradual.1", 2, 1),
        ("gradual.2", 2, 2),
        ("gradual.3", 1, 2),
    ]


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ({"freeze": ["a"], "train_last": 1}, r"stages\[0\] sets layers and train_last"),
        ({"unfreeze_every": 2}, r"stages\[0\]\.unfreeze_every = 2 needs stages\[0\]\.train_last"),
    ],
)
def test_stage_rules_are_checked_before_the_run_starts(stage, message):
    with pytest.raises(ConfigError, match=message):
        Trainer({"stages": [stage]}, third_party=False)


@pytest.mark.hook("training_stages")
def test_history_records_the_stage_of_every_epoch_counted_across_stages(staged_run):
    result, _ = staged_run
    history = result.history
    assert list(history["stage"]) == ["head", "head", "gradual.1", "gradual.2", "all", "all"]
    assert list(history["epoch"]) == [1, 2, 3, 4, 5, 6]
    saved = (result.run_dir / "config.toml").read_text(encoding="utf-8")
    assert saved.count("[[stages]]") == 3
