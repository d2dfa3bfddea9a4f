"""The config: declared sections, type checks, overrides, and the resolved file."""

from __future__ import annotations

import pytest

from kerasplug import ConfigError, Option, Trainer
from kerasplug.config import apply_overrides, core_sections, parse_override, read_toml, resolve


def test_defaults_fill_every_declared_key():
    config = resolve({}, core_sections())
    assert config["train"]["epochs"] == 100
    assert config["run"]["seed"] == 42
    assert config["plugins"] == []


def test_unknown_key_names_the_dotted_key_and_suggests_the_close_one():
    with pytest.raises(ConfigError, match=r"unknown config key train\.epoch .*'epochs'"):
        resolve({"train": {"epoch": 3}}, core_sections())


def test_a_key_of_a_missing_plugin_says_a_plugin_may_be_missing():
    # train.schedule belongs to housing.training, which these core sections leave out.
    with pytest.raises(ConfigError) as info:
        resolve({"train": {"schedule": "plateau"}}, core_sections())
    assert str(info.value).startswith("unknown config key train.schedule; keys of [train]: ")
    assert str(info.value).endswith("(a plugin may be missing or disabled)")


def test_a_key_or_section_of_a_disabled_plugin_names_the_plugin():
    disabled = {"train.schedule": "housing.training", "eda": "housing.eda"}
    with pytest.raises(ConfigError) as info:
        resolve({"train": {"schedule": "plateau"}}, core_sections(), disabled=disabled)
    assert str(info.value) == (
        "config key train.schedule belongs to plugin 'housing.training', which is disabled; "
        "enable it or remove the key"
    )
    with pytest.raises(ConfigError, match=r"section \[eda\] belongs to plugin 'housing.eda'"):
        resolve({"eda": {}}, core_sections(), disabled=disabled)


@pytest.mark.parametrize(
    ("overrides", "disable", "message"),
    [
        (["train.schedule=plateau"], ["housing.training"], "plugin 'housing.training', which"),
        (
            ["eda.enabled=false"],
            ["housing.eda"],
            r"section \[eda\] belongs to plugin 'housing.eda'",
        ),
        (["train.shedule=plateau"], ["housing.training"], "unknown config key train.shedule"),
    ],
)
def test_the_trainer_names_the_disabled_plugin_that_declares_a_key(overrides, disable, message):
    with pytest.raises(ConfigError, match=message) as info:
        Trainer(overrides=overrides, third_party=False, disable=disable)
    assert info.value.__cause__ is None and "\n" not in str(info.value)


def test_unknown_section_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown config section \[trian\].*'train'"):
        resolve({"trian": {}}, core_sections())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"train": {"epochs": "ten"}}, r"train\.epochs = 'ten' has the wrong type .* integer"),
        ({"train": {"epochs": True}}, r"train\.epochs = True has the wrong type"),
        ({"train": {"epochs": 0}}, r"train\.epochs = 0 is too small"),
        ({"data": {"task": "regresion"}}, r"data\.task = 'regresion' is not allowed.*'regression'"),
        ({"data": {"drop": ["a", 1]}}, r"data\.drop\[1\] = 1 has the wrong type"),
        ({"train": 3}, r"train = 3 must be a table"),
    ],
)
def test_bad_values_are_named_with_what_was_expected(raw, message):
    with pytest.raises(ConfigError, match=message):
        resolve(raw, core_sections())


def test_an_integer_is_accepted_where_a_number_is_expected():
    config = resolve({"train": {"learning_rate": 1}}, core_sections())
    assert config["train"]["learning_rate"] == 1.0
    assert isinstance(config["train"]["learning_rate"], float)


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("train.epochs=5", ["train", "epochs"], 5),
        ("model.hidden=[8, 4]", ["model", "hidden"], [8, 4]),
        ("data.path=data/my file.csv", ["data", "path"], "data/my file.csv"),
        ("data.target='MEDV'", ["data", "target"], "MEDV"),
        ("early_stopping.enabled=false", ["early_stopping", "enabled"], False),
    ],
)
def test_overrides_read_values_as_toml_and_fall_back_to_strings(text, path, value):
    assert parse_override(text) == (path, value)


def test_override_without_equals_sign_is_a_clear_error():
    with pytest.raises(ConfigError, match="has no '='"):
        apply_overrides({}, ["train.epochs"])


def test_malformed_toml_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nepochs = 3\n")
    with pytest.raises(ConfigError, match="is not valid TOML") as info:
        read_toml(bad)
    assert "\n" not in str(info.value)


@pytest.mark.hook("config_sections")
def test_plugin_sections_are_declared_through_the_hook():
    from kerasplug import hookimpl

    class Plugin:
        @hookimpl
        def config_sections(self):
            return {"mine": {"alpha": Option(0.5, float, "a weight")}}

    trainer = Trainer({"mine": {"alpha": 2}}, plugins=[Plugin()], third_party=False)
    assert trainer.config["mine"] == {"alpha": 2.0}
    with pytest.raises(ConfigError, match=r"mine\.beta"):
        Trainer({"mine": {"beta": 1}}, plugins=[Plugin()], third_party=False)


def test_a_key_declared_twice_is_refused():
    from kerasplug import hookimpl

    class Twice:
        @hookimpl
        def config_sections(self):
            return {"train": {"epochs": Option(1, int)}}

    with pytest.raises(ConfigError, match=r"train\.epochs is declared by both"):
        Trainer({}, plugins=[Twice()], third_party=False)


@pytest.mark.hook("configure")
def test_configure_can_reject_a_combination_of_keys():
    from kerasplug import hookimpl

    class Strict:
        @hookimpl
        def configure(self, config):
            if config["train"]["batch_size"] > config["train"]["epochs"]:
                raise ConfigError("train.batch_size must not exceed train.epochs here")

    with pytest.raises(ConfigError, match="must not exceed"):
        Trainer({"train": {"epochs": 2, "batch_size": 8}}, plugins=[Strict()], third_party=False)
