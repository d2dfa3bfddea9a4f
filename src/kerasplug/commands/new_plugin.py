"""`kerasplug new-plugin NAME [DIR]`: write a working plugin package skeleton.

The package `kerasplug-NAME` has a pyproject with the entry point `NAME`, one hook and one test
that uses the testing kit, so `pip install ./kerasplug-NAME` and its tests pass at once.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from kerasplug.errors import UsageError

NAME = "new-plugin"
HELP = "write a new plugin package (pyproject with the entry point, one hook, one test)"

_VALID = re.compile(r"[a-z][a-z0-9_]*(-[a-z0-9_]+)*")

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "A kerasplug plugin."
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["kerasplug>={version}"]

[project.optional-dependencies]
test = ["pytest>=8"]

# `{name}` is the name that `kerasplug plugins` shows and `-p no:{name}` disables.
[project.entry-points.kerasplug]
{name} = "{package}"

[tool.setuptools.packages.find]
where = ["src"]
"""

README = """\
# {dist}

A [kerasplug](https://pypi.org/project/kerasplug/) plugin: it adds the metric `max_error`.

```bash
pip install .                 # then `kerasplug plugins` lists `{name}`
python -m pytest tests        # the tests use kerasplug's testing kit
kerasplug run CONFIG -p no:{name}   # a run without it
```

Add hooks to `src/{package}/__init__.py`; the contract is kerasplug's docs/hooks.md, the guide
docs/plugins.md.
"""

MODULE = '''\
"""{dist}: a kerasplug plugin.

kerasplug imports this module to list plugins, so keep heavy imports (TensorFlow, pandas,
scikit-learn) inside the hooks that use them.
"""

from __future__ import annotations

from typing import Any

from kerasplug import hookimpl


@hookimpl
def compute_metrics(run: Any, y_true: Any, y_pred: Any) -> dict[str, float] | None:
    """The largest absolute error of a regression, in the target's units."""
    if run.task != "regression":
        return None
    import numpy as np

    return {{"max_error": float(np.max(np.abs(y_true - y_pred)))}}
'''

TEST = '''\
"""{dist}'s tests, with kerasplug's testing kit (its fixtures come with kerasplug)."""

from __future__ import annotations

import {package}
from kerasplug.testing import parametrize_with_checks


@parametrize_with_checks([("{name}", {package})])
def test_the_plugin_keeps_the_hook_contract(plugin, check):
    check(plugin)


def test_a_run_reports_the_max_error(kerasplug_run):
    result = kerasplug_run({package})
    test = result.predictions[result.predictions["split"] == "test"]
    worst = (test["y_true"] - test["y_pred"]).abs().max()
    assert result.metrics["test"]["max_error"] == worst
'''


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the plugin's name, e.g. demo (package kerasplug-demo)")
    parser.add_argument(
        "dir", nargs="?", default=".", help="where to write kerasplug-NAME/ (default: here)"
    )


def write_skeleton(name: str, where: str | Path) -> Path:
    """Write the package `kerasplug-NAME` into `where` and return its folder."""
    from kerasplug import __version__

    if not _VALID.fullmatch(name):
        raise UsageError(
            f"plugin name {name!r} is not valid: use lower-case letters, digits, '_' and '-', "
            "starting with a letter (e.g. demo, my-metrics)"
        )
    dist = f"kerasplug-{name}"
    package = f"kerasplug_{name.replace('-', '_')}"
    root = Path(where) / dist
    if root.exists():
        raise UsageError(f"{str(root)!r} already exists; choose another NAME or DIR")
    fields = {"name": name, "dist": dist, "package": package, "version": __version__}
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{package}/__init__.py": MODULE,
        f"tests/test_{package}.py": TEST,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fields), encoding="utf-8")
    return root


def main(args: argparse.Namespace) -> int:
    root = write_skeleton(args.name, args.dir)
    # "./" keeps pip from looking the folder's name up on the package index.
    shown = str(root) if root.is_absolute() else f".{os.sep}{root}"
    print(f"wrote {shown}: pip install {shown} && python -m pytest {shown}{os.sep}tests")
    return 0
