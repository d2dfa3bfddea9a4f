"""`kerasplug new-plugin`: a skeleton that installs, passes its own tests and is listed."""

from __future__ import annotations

from tests.ecosystem.conftest import make_venv
from tests.helpers import run_cli


def test_new_plugin_installs_passes_its_tests_and_is_listed(tmp_path):
    venv = make_venv(tmp_path / "venv")
    made = venv.kerasplug("new-plugin", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("wrote ./kerasplug-demo: pip install ./kerasplug-demo")

    venv.pip_install(tmp_path / "kerasplug-demo")
    tests = venv.run("-m", "pytest", "kerasplug-demo/tests", "-q", "-p", "no:cacheprovider",
                     cwd=tmp_path)  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "7 passed" in tests.stdout

    listed = venv.kerasplug("plugins")
    assert listed.stdout.split() == ["demo", "0.1.0", "compute_metrics"]


def test_new_plugin_writes_into_the_given_folder(tmp_path):
    result = run_cli("new-plugin", "my-metrics", str(tmp_path))
    assert result.returncode == 0, result.stderr
    root = tmp_path / "kerasplug-my-metrics"
    assert 'my-metrics = "kerasplug_my_metrics"' in (root / "pyproject.toml").read_text()
    assert (root / "src" / "kerasplug_my_metrics" / "__init__.py").is_file()
    assert (root / "tests" / "test_kerasplug_my_metrics.py").is_file()


def test_new_plugin_refuses_to_overwrite_a_folder_in_one_line(tmp_path):
    (tmp_path / "kerasplug-demo").mkdir()
    result = run_cli("new-plugin", "demo", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"kerasplug: error: {str(tmp_path / 'kerasplug-demo')!r} already exists; "
        "choose another NAME or DIR"
    ]


def test_new_plugin_refuses_a_name_that_is_not_a_package_name(tmp_path):
    result = run_cli("new-plugin", "My Plugin", str(tmp_path))
    assert result.returncode == 2
    assert "plugin name 'My Plugin' is not valid" in result.stderr
    assert not list(tmp_path.iterdir())
