"""The run directory: atomic writes of every artifact, and its status.

Every write goes to a temporary file in the same folder and is renamed into place, so a crash
at any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from kerasplug.errors import UsageError

#: A folder with this file was made by kerasplug and may be replaced with `--overwrite`.
STATUS_FILE = "status.json"


class RunDir:
    """A run directory. Paths given to its methods are relative to it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __fspath__(self) -> str:
        return str(self.path)

    def __truediv__(self, other: str) -> Path:
        return self.path / other

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    @contextlib.contextmanager
    def atomic(self, relative: str) -> Iterator[Path]:
        """Yield a temporary path to write to; on success it is renamed to `relative`."""
        final = self.path / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent
        )
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            yield tmp_path
            os.replace(tmp_path, final)
        finally:
            if tmp_path.exists():
                tmp_path.unlink()

    def write_bytes(self, relative: str, data: bytes) -> Path:
        with self.atomic(relative) as tmp:
            tmp.write_bytes(data)
        return self.path / relative

    def write_text(self, relative: str, text: str) -> Path:
        return self.write_bytes(relative, text.encode("utf-8"))

    def write_json(self, relative: str, data: Any) -> Path:
        return self.write_text(relative, json.dumps(data, indent=2, default=_jsonable) + "\n")

    def read_json(self, relative: str) -> Any:
        return json.loads((self.path / relative).read_text(encoding="utf-8"))

    def write_csv(self, relative: str, frame: Any, **kwargs: Any) -> Path:
        with self.atomic(relative) as tmp:
            frame.to_csv(tmp, **kwargs)
        return self.path / relative

    def save_figure(self, relative: str, figure: Any, **kwargs: Any) -> Path:
        """Save a matplotlib figure (PNG by the file's suffix) and close it."""
        import matplotlib.pyplot as plt

        with self.atomic(relative) as tmp:
            figure.savefig(tmp, format=Path(relative).suffix.lstrip(".") or "png", **kwargs)
        plt.close(figure)
        return self.path / relative

    def set_status(self, status: str, **details: Any) -> None:
        self.write_json(STATUS_FILE, {"status": status, **details})

    def status(self) -> dict[str, Any]:
        try:
            return self.read_json(STATUS_FILE)
        except FileNotFoundError:
            return {"status": "unknown"}


def existing(path: str | Path, label: str) -> tuple[RunDir, str]:
    """The run directory at `path` and its status ("running", "completed", "failed"), or a
    `UsageError` that starts with `label` (how the user gave the path)."""
    run_dir = RunDir(path)
    if not run_dir.path.is_dir():
        raise UsageError(f"{label}: no such run directory; check the path")
    status = run_dir.status()["status"]
    if status == "unknown":
        raise UsageError(
            f"{label} is not a kerasplug run directory (no status.json); give a directory "
            "that `kerasplug run` made"
        )
    return run_dir, status


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars and arrays (and paths) into JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def create(
    output_dir: str | Path,
    name: str,
    *,
    run_dir: str | Path | None = None,
    overwrite: bool = False,
) -> RunDir:
    """Create a fresh run directory and return it.

    Without `run_dir`, it is `output_dir/<name>-<YYYYmmdd-HHMMSS>` (a suffix keeps it unique).
    An explicit `run_dir` must not exist or be empty; `overwrite=True` replaces it only if it
    is a kerasplug run directory, so no other folder a user has can be lost.
    """
    if run_dir is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path(output_dir) / f"{name}-{stamp}"
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
    else:
        path = Path(run_dir)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            if not overwrite:
                raise UsageError(
                    f"run directory {str(path)!r} already exists; choose another --run-dir or "
                    "pass --overwrite to replace it"
                )
            if not (path / STATUS_FILE).is_file():
                raise UsageError(
                    f"run directory {str(path)!r} is not a kerasplug run directory; refusing "
                    "to overwrite it: choose another --run-dir"
                )
            shutil.rmtree(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"cannot write the run directory {str(path)!r}: {exc.strerror or exc}; choose a "
            "writable run.output_dir or --run-dir"
        ) from None
    return RunDir(path)
