"""Meta-tests that keep the hook contract honest (after datasette's test_docs/test_plugins)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from kerasplug import hookspecs
from kerasplug.manager import known_hooks

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(known_hooks())
DOCS = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_exact_signature(hook):
    signature = f"def {hook}{inspect.signature(getattr(hookspecs, hook))}"
    assert f"### `{hook}`" in DOCS
    assert signature in DOCS, f"docs/hooks.md must show `{signature}`"


def test_the_docs_name_no_hook_that_does_not_exist():
    documented = set(re.findall(r"^### `(\w+)`", DOCS, flags=re.M))
    assert documented == set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring_with_the_standard_slots(hook):
    spec = getattr(hookspecs, hook)
    doc = inspect.getdoc(spec) or ""
    assert doc.startswith("Called "), "the summary says when the hook is called"
    for slot in ("Args:", "Returns:", "Example:"):
        assert slot in doc
    assert "run:" in doc, "every hook receives the run context"
    assert "run" in inspect.signature(spec).parameters
    if spec.kerasplug_spec.get("firstresult"):
        assert "Stops at the first non-None result." in doc


def test_every_hook_has_a_test():
    marked = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        marked |= set(re.findall(r"mark\.hook\(\"(\w+)\"\)", path.read_text(encoding="utf-8")))
    missing = sorted(set(HOOKS) - marked)
    assert not missing, f"hooks without a @pytest.mark.hook test: {missing}"


def test_every_config_key_is_in_the_config_reference():
    from kerasplug import create_manager
    from kerasplug.config import core_sections

    pm = create_manager(third_party=False)
    declared = [core_sections()] + [
        impl.function() for impl in pm.hook.config_sections.get_hookimpls()
    ]
    reference = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    missing = [
        f"{section}.{key}"
        for sections in declared
        for section, options in sections.items()
        for key in options
        if f"| `{section}.{key}` |" not in reference
    ]
    assert not missing, f"docs/config.md lacks {missing}"
