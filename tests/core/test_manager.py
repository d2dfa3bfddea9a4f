"""Plugin management: built-ins, entry points, local plugins, disabling, tracing, checks."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from kerasplug import PluginLoadError, create_manager, hookimpl
from kerasplug.manager import hook_problems
from tests.helpers import run_cli

BUILTINS = {
    "terminal",
    "housing.data",
    "housing.split",
    "housing.preprocess",
    "housing.eda",
    "housing.model",
    "housing.stopping",
    "housing.metrics",
    "housing.training",
    "housing.freezing",
    "housing.stages",
    "housing.transfer",
    "housing.features",
    "housing.distribute",
    "housing.tensorboard",
    "housing.tuner",
    "housing.diagnosis",
    "housing.plots",
    "housing.explain",
    "housing.shap",
    "housing.lime",
    "housing.lrp",
    "housing.agreement",
    "housing.report_html",
}


def make_distribution(site: Path, name: str, module_source: str, ep_name: str) -> Path:
    """Install a real (metadata-only) distribution with one `kerasplug` entry point."""
    module = f"{name.replace('-', '_')}_mod"
    (site / f"{module}.py").write_text(textwrap.dedent(module_source))
    info = site / f"{name.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[kerasplug]\n{ep_name} = {module}\n")
    return site


def test_builtins_are_registered_under_the_names_the_listing_shows():
    pm = create_manager(third_party=False)
    infos = {i.name: i for i in pm.plugin_infos()}
    assert set(infos) >= BUILTINS
    assert all(i.builtin for i in infos.values())
    assert "load_data" in infos["housing.data"].hooks


def test_disable_by_listed_name_removes_the_plugin():
    pm = create_manager(third_party=False, disable=["housing.model"])
    assert "housing.model" not in pm.info
    owners = {impl.plugin_name for impl in pm.hook.build_model.get_hookimpls()}
    assert "housing.model" not in owners


def test_env_variable_disables_too(monkeypatch):
    monkeypatch.setenv("KERASPLUG_DISABLE_PLUGINS", "housing.metrics, terminal")
    pm = create_manager(third_party=False)
    assert "housing.metrics" not in pm.info
    assert "terminal" not in pm.info


def test_misspelled_hook_fails_at_start_naming_plugin_and_hook():
    class Typo:
        @hookimpl
        def on_epoch_ned(self, epoch):
            pass

    with pytest.raises(PluginLoadError) as info:
        create_manager(third_party=False, plugins=[("typo", Typo())])
    assert str(info.value) == (
        "plugin 'typo' implements unknown hook 'on_epoch_ned' (did you mean 'on_epoch_end'?)"
    )


def test_unknown_argument_and_default_values_are_contract_errors():
    class Bad:
        @hookimpl
        def on_epoch_end(self, epoch, loss):
            pass

        @hookimpl
        def should_stop(self, epoch, logs=None):
            pass

    problems = hook_problems(Bad(), "bad")
    assert any("unknown argument 'loss'" in p for p in problems)
    assert any("argument 'logs' has a default value" in p for p in problems)


def test_registering_a_class_asks_about_the_missing_parentheses():
    class Forgotten:
        @hookimpl
        def before_run(self, run):
            pass

    with pytest.raises(PluginLoadError, match=r"forgotten the `\(\)`"):
        create_manager(third_party=False, plugins=[("forgotten", Forgotten)])


def test_broken_entry_point_is_reported_and_the_others_still_load(tmp_path, monkeypatch):
    make_distribution(
        tmp_path, "kerasplug-broken", "raise ImportError('no module named x')\n", "broken"
    )
    make_distribution(
        tmp_path,
        "kerasplug-good",
        """
        from kerasplug import hookimpl

        @hookimpl
        def before_run(run):
            pass
        """,
        "good",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    pm = create_manager()
    assert "good" in pm.info and not pm.info["good"].builtin
    assert pm.info["good"].version == "1.2.3"
    assert "broken" not in pm.info
    (error,) = pm.load_errors
    assert "'broken'" in error and "kerasplug-broken 1.2.3" in error and "ImportError" in error


def test_cli_lists_third_party_plugins_and_reports_a_broken_one(tmp_path):
    make_distribution(tmp_path, "kerasplug-broken", "raise RuntimeError('boom')\n", "broken")
    make_distribution(
        tmp_path,
        "kerasplug-good",
        "from kerasplug import hookimpl\n\n@hookimpl\ndef before_run(run):\n    pass\n",
        "good",
    )
    result = run_cli("plugins", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["good", "1.2.3"]
    assert "housing.data" not in result.stdout
    (line,) = [x for x in result.stderr.splitlines() if "broken" in x]
    assert "RuntimeError: boom" in line

    listed = run_cli(
        "plugins",
        "--all",
        "--json",
        "-p",
        "no:broken",
        "-p",
        "no:housing.model",
        env={"PYTHONPATH": str(tmp_path)},
    )
    names = {p["name"] for p in json.loads(listed.stdout)}
    assert "good" in names and BUILTINS - {"housing.model"} <= names
    assert "housing.model" not in names and "broken" not in listed.stderr


def test_disabling_an_unknown_name_warns():
    result = run_cli("plugins", "-p", "no:housing.modle")
    assert "no plugin is named 'housing.modle'" in result.stderr


def test_local_plugin_by_module_name_and_by_path(tmp_path, monkeypatch):
    (tmp_path / "my_plugins.py").write_text(
        "from kerasplug import hookimpl\n\n@hookimpl\ndef after_run(result):\n    pass\n"
    )
    monkeypatch.chdir(tmp_path)
    pm = create_manager(third_party=False, local=["my_plugins"])
    assert pm.info["my_plugins"].hooks == ["after_run"]
    pm = create_manager(third_party=False, local=[str(tmp_path / "my_plugins.py")])
    assert "my_plugins" in pm.info


def test_missing_local_plugin_is_a_clear_error():
    with pytest.raises(PluginLoadError, match="plugin module 'nope_not_here' could not be"):
        create_manager(third_party=False, local=["nope_not_here"])


def test_tracing_prints_hook_plugin_and_duration(capsys):
    pm = create_manager(third_party=False, trace=True)
    pm.hook.load_data(run=None, config={"data": {"source": "nothing", "path": ""}})
    err = capsys.readouterr().err
    assert "[trace] load_data <- housing.data" in err and " ms -> NoneType" in err
