"""Distributed tuning: a chief serves the search, and worker processes run its trials.

The chief holds the search as a Keras Tuner oracle and serves it with Keras Tuner's own
chief/worker gRPC service (`OracleServicer`, its messages and stubs). A strategy that wraps a
Keras Tuner oracle (`housing.tuner`'s Bayesian optimisation and Hyperband) is served as it is,
since Keras Tuner oracles are built to run concurrent trials; any other (grid, random, a
plugin's) is served through `StrategyOracle`. Next to it, on the same port, a small kerasplug
service with JSON messages does what Keras Tuner's messages have no room for: a joining
worker's config and plugins are checked against the chief's, and each finished trial's whole
record (metric, epochs, seconds, stop reason, error) comes back to the chief, which alone
writes trials.csv, tuning.json and best.toml. Trial numbers are the oracle's trial ids, so no
two processes ever write the same `trials/trial-NNN/` folder.

The chief runs trials too, and can start more worker processes on its own machine. This
module imports Keras Tuner (and so TensorFlow) and gRPC: it is imported only for a
distributed search.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any, Protocol

import grpc
import keras_tuner
from keras_tuner.src import protos
from keras_tuner.src.distribute.oracle_chief import OracleServicer
from keras_tuner.src.engine.trial import Trial, TrialStatus

from kerasplug import __version__
from kerasplug.errors import KerasplugError, UsageError
from kerasplug.rundir import RunDir
from kerasplug.trainer import Trainer
from kerasplug.tuning import (
    EXHAUSTED,
    Search,
    Strategy,
    TimeBudget,
    TrialResult,
    budget_spent,
    trials_done,
)

#: The kerasplug service next to Keras Tuner's `Oracle` service on the chief's port.
SERVICE = "kerasplug.Tuning"
#: The chief's name among the processes that run trials.
CHIEF = "chief"
#: Seconds between two looks of a waiting loop.
POLL = 0.2
#: Seconds the chief waits, once every trial is done, for workers to hear that the search is over.
GRACE = 10.0
#: Where local workers reach a chief that listens on every interface.
LOOPBACK = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}
#: Deadline of the quick calls a worker makes (joining, reporting, leaving), in seconds.
CALL_TIMEOUT = 60.0


def parse_address(text: str, option: str) -> tuple[str, int]:
    """The host and port of `HOST:PORT` (an IPv6 host in brackets)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"{option} {text!r}: give HOST:PORT, e.g. {option} 127.0.0.1:8470")
    return host, int(port)


def default_worker_name() -> str:
    """Keras Tuner's KERASTUNER_TUNER_ID if set, else host and process id."""
    return os.environ.get("KERASTUNER_TUNER_ID") or f"{socket.gethostname()}-{os.getpid()}"


# --- the oracle the chief serves -------------------------------------------------------------


class StrategyOracle(keras_tuner.Oracle):
    """A Keras Tuner oracle whose trials a kerasplug strategy proposes (grid, random, a plugin's).

    Values travel as JSON texts, since a Keras Tuner value is a single number, string or bool.
    """

    def __init__(self, strategy: Strategy, max_trials: int) -> None:
        super().__init__(
            objective=keras_tuner.Objective("loss", direction="min"),
            max_trials=max_trials,
            max_consecutive_failed_trials=max_trials + 1,
        )
        self.strategy = strategy
        self.verbose = 0
        # The oracle's bookkeeping files stay out of the tuning directory (see housing.tuner).
        self._workdir = tempfile.TemporaryDirectory(prefix="kerasplug-oracle-")
        self._set_project_dir(self._workdir.name, "oracle")

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        values = self.strategy.propose()
        if values is None:
            return {"status": TrialStatus.STOPPED}
        encoded = {key: json.dumps(value) for key, value in values.items()}
        return {"status": TrialStatus.RUNNING, "values": encoded}

    @keras_tuner.synchronized
    def end_trial(self, trial: Trial) -> None:
        metrics = self.trials[trial.trial_id].metrics
        done = trial.status == TrialStatus.COMPLETED and metrics.exists("loss")
        loss = float(metrics.get_last_value("loss")) if done else None
        self.strategy.report(_json_values(trial.hyperparameters.values), loss)
        super().end_trial(trial)


def _serves_own_oracle(strategy: Strategy) -> bool:
    oracle = getattr(strategy, "oracle", None)
    return isinstance(oracle, keras_tuner.Oracle) and callable(getattr(strategy, "values", None))


def served_oracle(strategy: Strategy, max_trials: int) -> keras_tuner.Oracle:
    """The oracle a chief serves: the strategy's own Keras Tuner oracle, or one wrapping it."""
    if _serves_own_oracle(strategy):
        return strategy.oracle  # type: ignore[attr-defined]
    return StrategyOracle(strategy, max_trials)


def trial_values(search: Search, hp_values: Mapping[str, Any]) -> dict[str, Any]:
    """The config values of a served trial, in the order of `[tune.space]`."""
    if _serves_own_oracle(search.strategy):
        values = search.strategy.values(hp_values)  # type: ignore[attr-defined]
    else:
        values = _json_values(hp_values)
    ordered = {key: values[key] for key in search.space if key in values}
    return {**ordered, **values}


def _json_values(hp_values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: json.loads(text) for key, text in hp_values.items()}


# --- the chief -------------------------------------------------------------------------------


class Coordinator:
    """The chief's side of the search: hands out trials, hears how they went, keeps the records.

    The chief's own trial loop and the gRPC server's threads call it; one condition guards the
    oracle and the records, and wakes whoever waits for a change.
    """

    def __init__(
        self,
        search: Search,
        clock: TimeBudget,
        oracle: keras_tuner.Oracle,
        local_workers: Sequence[str],
        join_timeout: float,
    ) -> None:
        self.search = search
        self.clock = clock
        self.oracle = oracle
        self.total = search.cfg["trials"]
        self.join_timeout = join_timeout
        self.changed = threading.Condition()
        self.expected = set(local_workers)  # local workers that have not joined yet
        self.joined: set[str] = set()  # workers that have not yet heard the search is over
        self.running: dict[str, tuple[str, float]] = {}  # worker: (trial id, start)
        self.issued = 0
        self.stop_reason: str | None = None
        self.failure: str | None = None
        self.identity = identity(search)

    # --- called by the workers (through the server) and by the chief's own loop ---

    def join(self, worker: str, their: Mapping[str, Any]) -> dict[str, Any]:
        """Accept a worker whose config and plugins are the chief's; say where trials go."""
        problem = mismatch(self.identity, their)
        if problem:
            raise UsageError(problem)
        with self.changed:
            if worker == CHIEF or worker in self.joined or worker in self.running:
                raise UsageError(
                    f"a process named {worker!r} already runs trials of this search; give each "
                    "worker its own name (KERASTUNER_TUNER_ID)"
                )
            self.joined.add(worker)
            self.expected.discard(worker)
            self.changed.notify_all()
        return {"run_dir": str(self.search.context.dir), "seconds_left": self.clock.left()}

    def create_trial(self, worker: str) -> Trial:
        """The next trial for `worker`: RUNNING, IDLE (ask again soon) or STOPPED (it is over)."""
        with self.changed:
            self._wait_for_local_workers()
            if self.stop_reason is None:
                if self.issued >= self.total:
                    self.stop_reason = trials_done(self.total)
                elif self.clock.spent():
                    self.stop_reason = budget_spent(self.clock.seconds)
            if self.stop_reason is not None:
                return self._stopped(worker)
            trial = self.oracle.create_trial(worker)
            if trial.status == TrialStatus.RUNNING:
                self.issued += 1
                self.running[worker] = (trial.trial_id, time.perf_counter())
            elif trial.status == TrialStatus.STOPPED:
                self.stop_reason = EXHAUSTED
                return self._stopped(worker)
            return trial

    def finish(self, worker: str, trial_id: str, result: TrialResult) -> None:
        """Tell the oracle how `worker`'s trial went and record it."""
        with self.changed:
            running = self.running.pop(worker, None)
            if running is None or running[0] != trial_id:
                raise UsageError(f"{worker} reported trial {trial_id}, which it was not running")
            result.number, result.name = int(trial_id), f"trial-{int(trial_id):03d}"
            result.worker = worker
            self._end(trial_id, result.loss, result.error)
            self.search.record(result)
            self.changed.notify_all()

    def leave(self, worker: str, error: str | None) -> None:
        """A worker stopped (`error` says why, if it failed): its running trial failed."""
        with self.changed:
            self.joined.discard(worker)
            if worker in self.expected:
                self.expected.discard(worker)
                self.failure = self.failure or f"local worker {worker} did not join: {error}"
            running = self.running.pop(worker, None)
            if running is not None:
                trial_id, start = running
                number = int(trial_id)
                message = error or f"{worker} left without a result"
                self._end(trial_id, None, message)
                hp_values = self.oracle.trials[trial_id].hyperparameters.values
                trial = TrialResult(
                    number,
                    f"trial-{number:03d}",
                    trial_values(self.search, hp_values),
                    "failed",
                    seconds=time.perf_counter() - start,
                    error=message,
                    run_dir=self.search.context.dir / f"trials/trial-{number:03d}",
                    worker=worker,
                )
                self.search.record(trial)
            self.changed.notify_all()

    # --- called by the chief ---

    def wait_until_done(self) -> str:
        """Wait for the other processes' trials and for them to hear that the search is over."""
        with self.changed:
            while self.running and self.failure is None:
                self.changed.wait(POLL)
            deadline = time.monotonic() + GRACE
            while self.joined and self.failure is None and time.monotonic() < deadline:
                self.changed.wait(POLL)
            self._raise_failure()
            return self.stop_reason or trials_done(self.total)

    # --- helpers, called holding the condition ---

    def _wait_for_local_workers(self) -> None:
        # No trial starts before the local workers have joined, so that each gets its share.
        deadline = time.monotonic() + self.join_timeout
        while self.expected and self.failure is None:
            if time.monotonic() >= deadline:
                self.failure = (
                    f"local worker(s) {', '.join(sorted(self.expected))} did not join within "
                    f"{self.join_timeout:g} s; see workers/ in the tuning directory"
                )
                self.changed.notify_all()
            self.changed.wait(POLL)
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise UsageError(self.failure)

    def _stopped(self, worker: str) -> Trial:
        self.joined.discard(worker)
        self.changed.notify_all()
        return Trial(self.oracle.get_space(), status=TrialStatus.STOPPED)

    def _end(self, trial_id: str, loss: float | None, error: str | None) -> None:
        trial = self.oracle.trials[trial_id]
        if loss is None:
            trial.status, trial.message = TrialStatus.FAILED, error or "the kerasplug trial failed"
        else:
            self.oracle.update_trial(trial_id, {"loss": loss})
            trial.status = TrialStatus.COMPLETED
        self.oracle.end_trial(trial)


def identity(search: Search) -> dict[str, Any]:
    """What must be the same in every process of a search: version, config and plugins."""
    return {
        "version": __version__,
        # A JSON round trip, so that both sides compare the same kinds of values.
        "config": json.loads(json.dumps(search.config, default=str)),
        "plugins": sorted(
            info.name for info in search.pm.plugin_infos() if not info.name.startswith("tune.")
        ),
    }


def mismatch(chief: Mapping[str, Any], worker: Mapping[str, Any]) -> str | None:
    """Why a worker with `worker`'s identity cannot join a chief with `chief`'s, if it cannot."""
    if worker.get("version") != chief["version"]:
        return (
            f"this worker runs kerasplug {worker.get('version')}, the chief {chief['version']}; "
            "install the same version everywhere"
        )
    where = _first_difference(chief["config"], worker.get("config", {}))
    if where:
        return (
            f"this worker's config differs from the chief's at {where}; start every process "
            "with the same config file and --set options"
        )
    mine, theirs = set(chief["plugins"]), set(worker.get("plugins", []))
    if mine != theirs:
        changes = [f"{n} (worker only)" for n in sorted(theirs - mine)]
        changes += [f"{n} (chief only)" for n in sorted(mine - theirs)]
        return (
            f"this worker's plugins differ from the chief's: {', '.join(changes)}; enable and "
            "disable the same plugins (-p) everywhere"
        )
    return None


def _first_difference(chief: Mapping[str, Any], worker: Mapping[str, Any], prefix: str = "") -> str:
    for key in sorted(set(chief) | set(worker)):
        there, here = chief.get(key), worker.get(key)
        if isinstance(there, dict) and isinstance(here, dict):
            found = _first_difference(there, here, f"{prefix}{key}.")
            if found:
                return found
        elif there != here or (key in chief) != (key in worker):
            return f"{prefix}{key} ({_text(here)} here, {_text(there)} at the chief)"
    return ""


def _text(value: Any) -> str:
    return "unset" if value is None else json.dumps(value)


class _OracleService(OracleServicer):
    """Keras Tuner's oracle service, handing out trials through the coordinator."""

    def __init__(self, coordinator: Coordinator) -> None:
        super().__init__(coordinator.oracle)
        self.coordinator = coordinator

    def CreateTrial(self, request: Any, context: grpc.ServicerContext) -> Any:
        trial = _answer(context, self.coordinator.create_trial, request.tuner_id)
        return protos.get_service().CreateTrialResponse(trial=trial.to_proto())


def _answer(context: grpc.ServicerContext, call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except KerasplugError as exc:
        context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))


def _kerasplug_service(coordinator: Coordinator) -> grpc.GenericRpcHandler:
    calls = {
        "Join": lambda r: coordinator.join(r["worker"], r["identity"]),
        "Finish": lambda r: coordinator.finish(r["worker"], r["trial_id"], _unwire(r["trial"])),
        "Leave": lambda r: coordinator.leave(r["worker"], r.get("error")),
    }

    def method(call: Any) -> grpc.RpcMethodHandler:
        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            return _answer(context, call, request) or {}

        return grpc.unary_unary_rpc_method_handler(
            handle, request_deserializer=_load, response_serializer=_dump
        )

    return grpc.method_handlers_generic_handler(
        SERVICE, {name: method(call) for name, call in calls.items()}
    )


def _dump(message: Any) -> bytes:
    return json.dumps(message).encode()


def _load(data: bytes) -> Any:
    return json.loads(data.decode())


def _wire(trial: TrialResult) -> dict[str, Any]:
    return {**trial.as_dict(), "number": trial.number, "loss": trial.loss}


def _unwire(data: Mapping[str, Any]) -> TrialResult:
    return TrialResult(
        int(data["number"]),
        str(data["trial"]),
        dict(data["values"]),
        str(data["status"]),
        value=data["value"],
        loss=data["loss"],
        seconds=float(data["seconds"]),
        epochs=data["epochs"],
        stop_reason=data["stop_reason"],
        error=data["error"],
        run_dir=Path(data["run_dir"]) if data["run_dir"] else None,
        worker=data["worker"],
    )


def serve(coordinator: Coordinator, host: str, port: int) -> tuple[grpc.Server, int]:
    """Start the chief's gRPC server at host:port (0: a free port); return it and its port."""
    _check_free(host, port)
    # gRPC sets SO_REUSEPORT by default, which would let two chiefs share one port silently.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=32), options=[("grpc.so_reuseport", 0)]
    )
    protos.get_service_grpc().add_OracleServicer_to_server(_OracleService(coordinator), server)
    server.add_generic_rpc_handlers((_kerasplug_service(coordinator),))
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        raise UsageError(
            f"--chief {host}:{port}: cannot listen there; choose a free port on this machine"
        ) from None
    server.start()
    return server, bound


def _check_free(host: str, port: int) -> None:
    """Fail with a clear line where gRPC would only log 'Failed to add port'."""
    if port == 0:
        return
    where = f"--chief {host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise UsageError(f"{where}: cannot resolve {host!r} ({exc.strerror})") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(
                    f"{where}: port {port} is in use; choose another port or stop the process "
                    "that holds it"
                ) from None
            raise UsageError(f"{where}: cannot listen there ({exc.strerror})") from None


class LocalWorkers:
    """Worker processes the chief starts on its own machine; each logs to a file of its own."""

    def __init__(self, count: int, args: Sequence[str]) -> None:
        self.names = [f"worker-{i}" for i in range(1, count + 1)]
        self.args = list(args)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs = tempfile.TemporaryDirectory(prefix="kerasplug-workers-")
        self._done = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self, address: str, join_timeout: float, coordinator: Coordinator) -> None:
        for name in self.names:
            with open(self._log(name), "wb") as log:
                self.procs[name] = subprocess.Popen(
                    [
                        *(sys.executable, "-m", "kerasplug.cli", "tune", *self.args),
                        *("--worker", address, "--join-timeout", f"{join_timeout:g}"),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "KERASTUNER_TUNER_ID": name},
                )
        self._watcher = threading.Thread(target=self._watch, args=(coordinator,), daemon=True)
        self._watcher.start()

    def stop(self, run_dir: RunDir, timeout: float) -> None:
        """Wait for the workers to end (stop those that do not) and keep their logs."""
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait()
        self._done.set()
        if self._watcher is not None:
            self._watcher.join()
        for name in self.procs:
            run_dir.write_text(f"workers/{name}.log", self._log(name).read_text(errors="replace"))
        self._logs.cleanup()

    def _log(self, name: str) -> Path:
        return Path(self._logs.name) / f"{name}.log"

    def _watch(self, coordinator: Coordinator) -> None:
        reported: set[str] = set()
        while not self._done.is_set():
            for name, proc in self.procs.items():
                if name not in reported and proc.poll() is not None:
                    reported.add(name)
                    code = proc.returncode
                    coordinator.leave(name, f"{name} exited with code {code}: {self._tail(name)}")
            self._done.wait(POLL)

    def _tail(self, name: str) -> str:
        lines = [line.strip() for line in self._log(name).read_text(errors="replace").splitlines()]
        prefix = "kerasplug: error: "
        errors = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
        return (errors or [line for line in lines if line] or ["no output"])[-1]


class ChiefSearch(Search):
    """A search served at an address: this process and the workers that join run its trials."""

    def __init__(
        self,
        base: Trainer,
        *,
        address: str = "127.0.0.1:0",
        local_workers: int = 0,
        worker_args: Sequence[str] = (),
        join_timeout: float = 120.0,
        run_dir: str | Path | None = None,
        overwrite: bool = False,
    ) -> None:
        """`local_workers` processes start with `kerasplug tune WORKER_ARGS --worker ADDRESS`.

        `worker_args` is the config file and the options (`--set`, `-p`) that made `base`.
        """
        self.host, self.port = parse_address(address, "--chief")
        _check_free(self.host, self.port)  # before the tuning directory is made
        if local_workers and not worker_args:
            raise UsageError("local workers need worker_args: the config file and its options")
        super().__init__(base, run_dir=run_dir, overwrite=overwrite)
        self.local = LocalWorkers(local_workers, worker_args)
        self.join_timeout = join_timeout

    def _run_trials(self, clock: TimeBudget) -> str:
        oracle = served_oracle(self.strategy, self.cfg["trials"])
        coordinator = Coordinator(self, clock, oracle, self.local.names, self.join_timeout)
        server, port = serve(coordinator, self.host, self.port)
        shown = socket.gethostname() if self.host in LOOPBACK else self.host
        self.context.echo(
            f"serving the search at {self.host}:{port}; more workers join with "
            f"`kerasplug tune CONFIG --worker {shown}:{port}`"
            + (
                f"; starting local workers {', '.join(self.local.names)}"
                if self.local.names
                else ""
            )
        )
        try:
            self.local.start(
                f"{LOOPBACK.get(self.host, self.host)}:{port}", self.join_timeout, coordinator
            )
            run_trials(coordinator, self, CHIEF)
            return coordinator.wait_until_done()
        finally:
            server.stop(grace=1.0).wait()
            self.local.stop(self.context.dir, timeout=GRACE)


class TrialSource(Protocol):
    """Where a process gets its trials and reports them: the coordinator or a chief client."""

    def create_trial(self, worker: str) -> Trial: ...

    def finish(self, worker: str, trial_id: str, result: TrialResult) -> None: ...


def run_trials(source: TrialSource, search: Search, worker: str) -> int:
    """Run trials from `source` until the search is over; return how many ran here."""
    count = 0
    while True:
        trial = source.create_trial(worker)
        if trial.status == TrialStatus.IDLE:
            # Hyperband waits for a round's trials before it promotes the best of them.
            time.sleep(1.0)
            continue
        if trial.status != TrialStatus.RUNNING:
            return count
        values = trial_values(search, trial.hyperparameters.values)
        result = search.run_trial(int(trial.trial_id), values)
        result.worker = worker
        source.finish(worker, trial.trial_id, result)
        count += 1


# --- a worker --------------------------------------------------------------------------------


class ChiefClient:
    """A worker's line to the chief: Keras Tuner's oracle stub and the kerasplug service."""

    def __init__(self, address: str, search: Search, join_timeout: float) -> None:
        self.address = address
        self.search = search
        self.channel = grpc.insecure_channel(address)
        try:
            grpc.channel_ready_future(self.channel).result(timeout=join_timeout)
        except grpc.FutureTimeoutError:
            self.channel.close()
            raise UsageError(
                f"no tuning chief answered at {address} within {join_timeout:g} s; start "
                f"`kerasplug tune CONFIG --chief {address}` first, or check the address "
                "(--join-timeout waits longer)"
            ) from None
        self.oracle = protos.get_service_grpc().OracleStub(self.channel)
        self.methods = {
            name: self.channel.unary_unary(
                f"/{SERVICE}/{name}", request_serializer=_dump, response_deserializer=_load
            )
            for name in ("Join", "Finish", "Leave")
        }

    def join(self, worker: str) -> dict[str, Any]:
        request = {"worker": worker, "identity": identity(self.search)}
        return self._call(self.methods["Join"], request, CALL_TIMEOUT)

    def create_trial(self, worker: str) -> Trial:
        request = protos.get_service().CreateTrialRequest(tuner_id=worker)
        # No deadline: the chief may hold the first trial until its local workers have joined.
        return Trial.from_proto(self._call(self.oracle.CreateTrial, request, None).trial)

    def finish(self, worker: str, trial_id: str, result: TrialResult) -> None:
        request = {"worker": worker, "trial_id": trial_id, "trial": _wire(result)}
        self._call(self.methods["Finish"], request, CALL_TIMEOUT)
        self.search.context.echo(self.search.progress_line(result, self.search.cfg["trials"]))

    def leave(self, worker: str, error: str) -> None:
        """Tell the chief this worker stops (best effort: the chief may be gone already)."""
        with contextlib.suppress(grpc.RpcError):
            self.methods["Leave"]({"worker": worker, "error": error}, timeout=5.0)

    def _call(self, method: Any, request: Any, timeout: float | None) -> Any:
        try:
            return method(request, timeout=timeout)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise UsageError(exc.details()) from None
            raise UsageError(
                f"lost the tuning chief at {self.address} ({exc.code().name.lower()}): it has "
                "ended or failed; see its output"
            ) from None


def work(
    base: Trainer,
    address: str,
    *,
    worker: str | None = None,
    run_dir: str | Path | None = None,
    join_timeout: float = 120.0,
) -> int:
    """Join the search served at `address` and run its trials until it is over.

    Trials go to the chief's tuning directory when this machine sees it (same machine or a
    shared file system), else to `run_dir`. Returns how many trials ran here.
    """
    parse_address(address, "--worker")
    worker = worker or default_worker_name()
    search = Search(base)
    client = ChiefClient(address, search, join_timeout)
    answer = client.join(worker)
    trials_dir = Path(run_dir or answer["run_dir"])
    if run_dir is not None:
        trials_dir.mkdir(parents=True, exist_ok=True)
    elif not (trials_dir / "config.toml").is_file():
        client.leave(worker, "its tuning directory is not on the worker's machine")
        raise UsageError(
            f"the chief's tuning directory {trials_dir} is not on this machine; give this "
            "worker --run-dir DIR for its trials"
        )
    search.context.dir = RunDir(trials_dir)
    search.context.echo(f"{worker} joined the search at {address}; trials go to {trials_dir}")
    clock = TimeBudget(search.cfg["time_budget"], answer["seconds_left"])
    search.pm.register_plugin(clock, "tune.budget")
    try:
        count = run_trials(client, search, worker)
    except BaseException as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        client.leave(worker, f"{type(exc).__name__}: {first_line}")
        raise
    finally:
        search.pm.unregister_plugin("tune.budget")
    search.context.echo(
        f"{worker} ran {count} trials; the chief writes the summary in {answer['run_dir']}"
    )
    return count
