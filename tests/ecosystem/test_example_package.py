"""The example third-party package, pip-installed into a throwaway venv and used through the CLI."""

from __future__ import annotations

import json
import shutil

import pytest
import tomli_w

from kerasplug import UnsafeArtifactError
from kerasplug.artifacts import PREPROCESSING_FILE, load_preprocessing
from kerasplug.testing import isolated_manager, tiny_config
from tests.ecosystem.conftest import EXAMPLE

HOOKS = "before_fit, compute_metrics, config_sections, preprocessing_steps, report, should_stop"

#: What `kerasplug plugins` must not import (the listing imports every plugin module).
PROBE = (
    "import sys, contextlib, io\n"
    "from kerasplug import cli\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    cli.main(['plugins'])\n"
    "print(sorted(m for m in ('tensorflow', 'keras', 'pandas', 'sklearn') if m in sys.modules))\n"
)


@pytest.fixture(scope="module")
def tiny_toml(tmp_path_factory):
    """The kit's tiny training as a config file for `kerasplug run`."""
    path = tmp_path_factory.mktemp("config") / "tiny.toml"
    path.write_text(tomli_w.dumps(tiny_config(isolated_manager())), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(example_venv, tiny_toml, tmp_path_factory):
    """One tiny CLI run with the example plugin and one with `-p no:example`."""
    base = tmp_path_factory.mktemp("cli-runs")
    made = {}
    for label, extra in (("with", []), ("without", ["-p", "no:example"])):
        run_dir = base / label
        result = example_venv.kerasplug("run", str(tiny_toml), "--run-dir", str(run_dir), *extra)
        assert result.returncode == 0, result.stderr[-2000:]
        made[label] = run_dir
    return made


def test_kerasplug_plugins_lists_the_installed_example(example_venv):
    result = example_venv.kerasplug("plugins")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["example", "0.1.0", *f"{HOOKS}, trusted_types".split()]


def test_listing_plugins_imports_nothing_heavy_from_the_example(example_venv):
    result = example_venv.run("-c", PROBE)
    assert result.stdout.strip() == "[]", result.stderr


def test_minus_p_no_example_hides_it_from_the_listing(example_venv):
    result = example_venv.kerasplug("plugins", "-p", "no:example")
    assert result.returncode == 0, result.stderr
    assert "example" not in result.stdout


@pytest.mark.hook("compute_metrics")
def test_a_run_uses_every_part_of_the_example(runs):
    run_dir = runs["with"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 0.0 <= metrics["test"]["within_tolerance"] <= 1.0
    names = [p["name"] for p in json.loads((run_dir / "plugins.json").read_text())]
    assert "example" in names
    summary = (run_dir / "example" / "summary.md").read_text()
    assert f"| test | {metrics['test']['within_tolerance']:.3f} |" in summary


def test_minus_p_no_example_runs_without_it(runs):
    run_dir = runs["without"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert "within_tolerance" not in metrics["test"]
    assert "example" not in [p["name"] for p in json.loads((run_dir / "plugins.json").read_text())]
    assert not (run_dir / "example").exists()


@pytest.mark.hook("trusted_types")
def test_the_saved_winsorizer_reloads_only_where_the_example_vouches_for_it(example_venv, runs):
    path = runs["with"] / PREPROCESSING_FILE
    with pytest.raises(UnsafeArtifactError, match=r"kerasplug_example\.steps\.Winsorizer"):
        load_preprocessing(path)
    code = (
        "import sys\n"
        "from kerasplug import create_manager\n"
        "from kerasplug.artifacts import load_preprocessing, plugin_trusted_types\n"
        "state = load_preprocessing(sys.argv[1], plugin_trusted_types(create_manager()))\n"
        "print(type(state['pipeline'].named_steps['winsorize']).__name__)\n"
    )
    result = example_venv.run("-c", code, str(path))
    assert result.stdout.strip() == "Winsorizer", result.stderr[-2000:]


def test_the_examples_own_tests_pass_with_the_kit(example_venv, tmp_path):
    tests = shutil.copytree(EXAMPLE / "tests", tmp_path / "tests")
    result = example_venv.run("-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout[-3000:]
    assert (
        "example-check_state_resets"
        in example_venv.run(
            "-m", "pytest", str(tests), "-q", "--collect-only", "-p", "no:cacheprovider"
        ).stdout
    )
