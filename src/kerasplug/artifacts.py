"""Saving and safely loading the model and the fitted preprocessing.

Nothing here executes code from a run directory: the network is a `.keras` file loaded with
`safe_mode=True` (no Python lambdas), the preprocessing a skops file loaded with an explicit
list of trusted types (scikit-learn's, numpy's, and those that installed plugins vouch for).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kerasplug.errors import UnsafeArtifactError
from kerasplug.rundir import RunDir

MODEL_FILE = "model.keras"
PREPROCESSING_FILE = "preprocessing.skops"

#: Module prefixes whose types the core trusts in skops files.
TRUSTED_PREFIXES = ("sklearn.", "numpy.")


def save_model(run_dir: RunDir, model: Any) -> Path:
    with run_dir.atomic(MODEL_FILE) as tmp:
        model.save(tmp)
    return run_dir / MODEL_FILE


def save_preprocessing(run_dir: RunDir, state: dict[str, Any]) -> Path:
    """Save the fitted pipeline and target transform (a dict) with skops."""
    import skops.io

    with run_dir.atomic(PREPROCESSING_FILE) as tmp:
        skops.io.dump(state, tmp)
    return run_dir / PREPROCESSING_FILE


def load_model(path: str | Path, *, safe_mode: bool = True) -> Any:
    """Load a `.keras` model; refuse anything that would run code unless `safe_mode=False`."""
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=safe_mode)
    except (ValueError, TypeError) as exc:
        if "safe_mode" in str(exc) or "lambda" in str(exc).lower():
            raise UnsafeArtifactError(
                f"{path} contains Python code (e.g. a Lambda layer) and was not loaded; if you "
                "trust its source, load it with safe_mode=False (CLI: --unsafe)"
            ) from None
        raise


def load_preprocessing(path: str | Path, trusted: Iterable[str] = ()) -> dict[str, Any]:
    """Load a skops file, trusting only known types; refuse pickles and unknown types."""
    import skops.io

    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise UnsafeArtifactError(
            f"{path} is not a skops file (a pickle in its place?) and was not loaded: "
            "kerasplug never unpickles, even with --unsafe; if you trust its source, convert it "
            "yourself with skops.io.dump, else re-create the run"
        )
    extra = set(trusted)
    untrusted = skops.io.get_untrusted_types(file=path)
    refused = [t for t in untrusted if t not in extra and not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise UnsafeArtifactError(
            f"{path} holds types no installed plugin vouches for: {', '.join(refused)}; if you "
            "trust its source, pass them as trusted types (CLI: --trust TYPE)"
        )
    return skops.io.load(path, trusted=untrusted)


def plugin_trusted_types(pm: Any, run: Any = None) -> list[str]:
    """The class names that registered plugins vouch for (the `trusted_types` hook)."""
    answers = pm.hook.trusted_types(run=run)
    return sorted({name for answer in answers for name in (answer or [])})
