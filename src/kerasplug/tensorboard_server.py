"""Start and stop a real TensorBoard server on the loopback interface.

TensorBoard runs as a child process (`python -m tensorboard.main`), so this module imports
nothing heavy and the server's TensorFlow import never slows the caller down.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from kerasplug.errors import UsageError
from kerasplug.manager import hookimpl

HOST = "127.0.0.1"

#: Seconds to wait for a starting server to answer: TensorBoard imports TensorFlow first.
START_TIMEOUT = 180.0

# Loopback requests must not go through an HTTP proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def check_port(port: int) -> None:
    """Raise `UsageError` when `port` cannot be bound on the loopback interface."""
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is not a TCP port; choose one from 1 to 65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            raise UsageError(
                f"port {port} on {HOST} is in use; choose another --port or leave it out to "
                "get a free one"
            ) from None


class TensorBoardServer:
    """A TensorBoard process serving `logdir` at `url`.

    Args:
        logdir: the folder TensorBoard reads (searched recursively for event files).
        port: the port to listen on; `None` picks a free one.
    """

    def __init__(self, logdir: str | Path, port: int | None = None) -> None:
        self.logdir = Path(logdir)
        if not self.logdir.is_dir():
            raise UsageError(
                f"{str(self.logdir)!r} is not a directory; give a run directory or the folder "
                "that holds run directories (e.g. runs/)"
            )
        if port is None:
            port = free_port()
        else:
            check_port(port)
        self.port = port
        self.url = f"http://{HOST}:{port}/"
        self.process: subprocess.Popen[bytes] | None = None
        # TensorBoard's output, kept for error messages; open for the server's lifetime.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> TensorBoardServer:
        """Start the process (returns at once; `wait_ready` waits until it answers)."""
        command = [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(self.logdir),
            "--host",
            HOST,
            "--port",
            str(self.port),
            # Live runs: look for new event files every few seconds.
            "--reload_interval",
            "5",
        ]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, env=env
        )
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the server answers HTTP; raise `UsageError` if it exits or never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise UsageError(
                    f"TensorBoard exited before serving {self.url}: {self.last_log_line()}"
                )
            with (
                contextlib.suppress(OSError),
                _OPENER.open(self.url + "data/runs", timeout=5) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.5)
        self.stop()
        raise UsageError(f"TensorBoard did not answer at {self.url} within {timeout:.0f} s")

    def last_log_line(self) -> str:
        """The last line TensorBoard printed, for error messages."""
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> int:
        """Block until the server process ends; return its exit code."""
        assert self.process is not None, "start() the server first"
        return self.process.wait()

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 10 s); safe to call twice."""
        if self.running():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class LiveTensorBoard:
    """A plugin that starts TensorBoard on a run's directory as soon as the directory exists.

    `kerasplug run --tensorboard` registers it; the command stops the server when the run
    ends unless the user asked to keep it.
    """

    def __init__(self, port: int | None = None) -> None:
        if port is not None:
            check_port(port)
        self.port = port
        self.server: TensorBoardServer | None = None

    @hookimpl
    def before_run(self, run: Any) -> None:
        # Training does not wait for TensorBoard to answer; the URL is valid within seconds.
        self.server = TensorBoardServer(run.dir.path, self.port).start()
        run.echo(f"TensorBoard: {self.server.url}")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
