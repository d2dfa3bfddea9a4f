"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

#: A small, fast version of the Boston example: a few epochs of a small network.
FAST = [
    "train.epochs=6",
    "train.batch_size=64",
    "train.learning_rate=0.01",
    "model.hidden=[16]",
    "early_stopping.patience=3",
    # The example refits a fresh network after early stopping; tests of other stages leave it
    # out (tests/training/test_refit.py covers it).
    "early_stopping.refit=false",
]

#: FAST without the reporting plugins (exploration, TensorBoard, explanations), for tests of
#: other stages that do not need them.
LEAN = [*FAST, "eda.enabled=false", "tensorboard.enabled=false", "explain.methods=[]"]


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `kerasplug ARGS` in a subprocess and return the completed process."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "kerasplug.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def builtin_plugin_names() -> list[str]:
    """The names of every built-in plugin (the core's and kerasplug's own entry points)."""
    from importlib import metadata

    from kerasplug.manager import BUILTIN_MODULES, DISTRIBUTION

    names = {name for name, _ in BUILTIN_MODULES}
    for ep in metadata.entry_points(group="kerasplug"):
        if ep.dist is not None and ep.dist.name.lower() == DISTRIBUTION:
            names.add(ep.name)
    return sorted(names)


def builtins_except(*keep: str) -> list[str]:
    """Every built-in plugin's name but `keep`: pass it as `disable=` to run only those."""
    return sorted(set(builtin_plugin_names()) - set(keep))


def chromium_screenshot(url: str, png: Path, width: int, height: int, *extra: str) -> None:
    """Render `url` in headless Chromium into `png` (flags that work on a closed network).

    The caller checks the picture: Chromium's exit code says little in headless mode.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={width},{height}",
                *extra,
                url,
            ],
            capture_output=True,
            timeout=120,
        )
