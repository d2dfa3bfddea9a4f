"""`kerasplug tensorboard [LOGDIR]`: serve a run directory (or a folder of them) in TensorBoard."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

NAME = "tensorboard"
HELP = "start TensorBoard on 127.0.0.1 over a run directory or a folder of runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "logdir",
        nargs="?",
        default="runs",
        metavar="RUN_DIR",
        help="a run directory, or a folder of run directories such as a tuning run (default: runs)",
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port to listen on (default: a free port)"
    )


def stop_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so `finally` blocks stop the TensorBoard child too."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def serve(server: Any, message: str) -> int:
    """Wait until the server is ready, print `message`, then wait until it exits or the user
    interrupts it; the server is stopped in every case."""
    stop_on_sigterm()
    try:
        server.wait_ready()
        print(message, flush=True)
        code = server.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        server.stop()
    if code:
        print(f"kerasplug: TensorBoard exited with code {code}", file=sys.stderr)
    return code


def main(args: argparse.Namespace) -> int:
    from kerasplug.tensorboard_server import TensorBoardServer

    server = TensorBoardServer(args.logdir, args.port).start()
    return serve(
        server,
        f"TensorBoard serving {args.logdir} at {server.url} (pid {server.pid}; Ctrl-C stops it)",
    )


class LiveRun:
    """TensorBoard beside `kerasplug run`: started with the run directory, stopped with the run
    unless kept, in which case the command serves it until Ctrl-C."""

    def __init__(self, enabled: bool, keep: bool) -> None:
        from kerasplug.tensorboard_server import LiveTensorBoard

        self.launcher = LiveTensorBoard() if enabled else None
        self.keep = keep

    def plugins(self) -> list[tuple[str, Any]]:
        return [("tensorboard-launcher", self.launcher)] if self.launcher else []

    def run(self, trainer: Any) -> None:
        if self.launcher:
            stop_on_sigterm()
        try:
            trainer.run()
        except BaseException:
            if self.launcher:
                self.launcher.stop()
            raise
        if self.launcher and not self.keep:
            self.launcher.stop()

    def after_run(self) -> int:
        server = self.launcher.server if self.launcher else None
        if server is None or not self.keep:
            return 0
        return serve(
            server, f"the run is done; TensorBoard keeps serving {server.url} until Ctrl-C"
        )


def live_tensorboard(enabled: bool, keep: bool) -> LiveRun:
    """The `--tensorboard` / `--keep-tensorboard` behaviour of `kerasplug run`."""
    from kerasplug.errors import UsageError

    if keep and not enabled:
        raise UsageError("--keep-tensorboard needs --tensorboard; add --tensorboard")
    return LiveRun(enabled, keep)
