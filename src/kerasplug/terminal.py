"""The terminal reporter: a compact line per epoch and a summary table at the end.

A core built-in plugin (like pytest's terminal reporter); disable it with `-p no:terminal`.
"""

from __future__ import annotations

import time
from typing import Any

from kerasplug.manager import hookimpl

_SHOWN = ("loss", "val_loss", "mae", "val_mae", "accuracy", "val_accuracy")


class _Clock:
    started = 0.0


@hookimpl
def before_fit(run: Any) -> None:
    _Clock.started = time.perf_counter()


@hookimpl
def on_epoch_end(run: Any, epoch: int, logs: dict[str, float], stage: Any) -> None:
    if not run.config["train"]["verbose"]:
        return
    now = time.perf_counter()
    seconds, _Clock.started = now - _Clock.started, now
    shown = [f"{k} {logs[k]:.4g}" for k in _SHOWN if k in logs]
    run.echo(f"epoch {epoch + 1:>4}  {'  '.join(shown)}  ({seconds:.2f}s)")


@hookimpl(trylast=True)
def after_run(run: Any, result: Any) -> None:
    metrics = result.metrics
    parts = [p for p in ("train", "valid", "test") if isinstance(metrics.get(p), dict)]
    names = list(dict.fromkeys(n for p in parts for n in metrics[p]))
    if names:
        width = max(len(n) for n in names)
        run.echo("")
        run.echo(f"{'metric':<{width}}  " + "  ".join(f"{p:>10}" for p in parts))
        for name in names:
            cells = []
            for part in parts:
                value = metrics[part].get(name)
                std = metrics.get(f"{part}_std", {}).get(name)
                text = "" if value is None else f"{value:.4g}"
                cells.append(f"{text + (f'±{std:.2g}' if std is not None else ''):>10}")
            run.echo(f"{name:<{width}}  " + "  ".join(cells))
    if result.stop_reason:
        run.echo(f"stopped: {result.stop_reason}")
    run.echo(f"run directory: {result.run_dir}")
