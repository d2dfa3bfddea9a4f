"""Throwaway virtual environments with a plugin package pip-installed, shared per session.

The shared test environment must not get the example plugin installed (it would change every
other test's plugins), so each environment here is a fresh venv that sees the shared
site-packages through a `.pth` file and gets only the package under test installed, offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES

EXAMPLE = EXAMPLES / "plugins" / "kerasplug-example"


@dataclass
class Venv:
    """A throwaway venv: run Python or `kerasplug` in it."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def run(
        self, *args: str, cwd: Path | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KERASPLUG_")}
        env.pop("PYTHONPATH", None)
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        return subprocess.run(
            [str(self.python), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def kerasplug(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "kerasplug.cli", *args, cwd=cwd)

    def pip_install(self, package: Path) -> None:
        result = self.run(
            "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q",
            str(package),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr


def make_venv(root: Path) -> Venv:
    """A venv whose Python also sees the shared site-packages (kerasplug, TensorFlow, pip)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    venv = Venv(root)
    purelib = venv.run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    shared = sysconfig.get_paths()["purelib"]
    # addsitedir (not a bare path) so the shared .pth files, kerasplug's editable install
    # among them, are processed too.
    Path(purelib.stdout.strip(), "_shared_site.pth").write_text(
        f"import site; site.addsitedir({shared!r})\n", encoding="utf-8"
    )
    return venv


@pytest.fixture(scope="session")
def example_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A venv with examples/plugins/kerasplug-example pip-installed (from a copy, so the build
    leaves nothing in the source tree)."""
    base = tmp_path_factory.mktemp("example-venv")
    source = shutil.copytree(
        EXAMPLE, base / "kerasplug-example", ignore=shutil.ignore_patterns("__pycache__")
    )
    venv = make_venv(base / "venv")
    venv.pip_install(source)
    return venv
