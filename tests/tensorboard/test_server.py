"""The real TensorBoard server over a finished run and a two-trial tuning run, queried over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import EXAMPLES, ROOT, chromium_screenshot, run_cli
from tests.tensorboard.conftest import IMAGE_TAG, NO_EXPLAIN, TB_FAST

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
URL_LINE = re.compile(r"at (http://127\.0\.0\.1:(\d+)/) \(pid (\d+);")
ALL_STATUSES = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]


def get(url: str) -> object:
    with OPENER.open(url, timeout=60) as response:
        return json.loads(response.read())


def post(url: str, body: dict) -> object:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with OPENER.open(request, timeout=60) as response:
        return json.loads(response.read())


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def read_until(process: subprocess.Popen, pattern: re.Pattern, timeout: float) -> re.Match:
    """Read the process's stdout lines until one matches (bounded in time)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = pattern.search(line)
        if match:
            return match
    raise AssertionError(f"no line matched {pattern.pattern!r}; got: {''.join(seen)[-2000:]}")


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def launch(*args: str) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "kerasplug.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def server(logs_root, staged_run, tuning_dir):
    """`kerasplug tensorboard` over the run and the tuning folder; stopped by its pid."""
    process = launch("tensorboard", str(logs_root))
    tensorboard_pid = None
    try:
        match = read_until(process, URL_LINE, timeout=180)
        url, port, tensorboard_pid = match.group(1), int(match.group(2)), int(match.group(3))
        yield url
    finally:
        kill(process.pid)
        process.wait(timeout=30)
        if tensorboard_pid is not None:
            time.sleep(1)
            assert not listening(port), "TensorBoard must stop with the command"
            kill(tensorboard_pid)  # only reached if the command failed to stop it


def test_the_http_api_serves_the_runs_scalars_images_and_hparams(server, staged_run):
    runs = get(server + "data/runs")
    assert {
        "boston/tensorboard",
        "boston/tensorboard/train",
        "boston/tensorboard/validation",
        "tuning/trial-1/tensorboard",
        "tuning/trial-2/tensorboard/train",
    } <= set(runs)

    tags = get(server + "data/plugin/scalars/tags")
    assert {"epoch_loss", "epoch_mae"} <= set(tags["boston/tensorboard/train"])
    assert {"learning_rate", "stage", "final/test_rmse"} <= set(tags["boston/tensorboard"])
    points = get(server + "data/plugin/scalars/scalars?run=boston/tensorboard/train&tag=epoch_loss")
    assert [step for _, step, _ in points] == list(range(6))
    np.testing.assert_allclose([v for *_, v in points], staged_run.history["loss"], rtol=1e-5)

    images = get(server + "data/plugin/images/tags")
    assert IMAGE_TAG in images["boston/tensorboard"]


def test_the_hparams_dashboard_compares_the_run_and_both_trials(server, tuning_dir):
    experiment = post(
        server + "data/plugin/hparams/experiment",
        {"experimentName": "", "includeMetrics": True},
    )
    hparams = {info["name"]: info for info in experiment["hparamInfos"]}
    assert set(hparams["model.hidden"]["domainDiscrete"]) == {"[8]", "[16]", "[24]"}
    metrics = {m["name"]["tag"] for m in experiment["metricInfos"]}
    assert {"final/test_rmse", "final/valid_r2", "epoch_loss"} <= metrics

    groups = post(
        server + "data/plugin/hparams/session_groups",
        {
            "experimentName": "",
            "allowedStatuses": ALL_STATUSES,
            "colParams": [{"metric": {"tag": "final/test_rmse", "group": ""}}],
            "startIndex": 0,
            "sliceSize": 100,
            "includeMetrics": True,
        },
    )["sessionGroups"]
    sessions = {s["name"]: (g, s) for g in groups for s in g["sessions"]}
    for trial, hidden in (("trial-1", "[8]"), ("trial-2", "[24]")):
        group, session = sessions[f"tuning/{trial}/tensorboard"]
        assert group["hparams"]["model.hidden"] == hidden
        saved = json.loads((tuning_dir / trial / "metrics.json").read_text())
        (value,) = [
            m["value"] for m in session["metricValues"] if m["name"]["tag"] == "final/test_rmse"
        ]
        assert value == pytest.approx(saved["test"]["rmse"], rel=1e-6)
    assert "boston/tensorboard" in sessions


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_the_scalars_page_renders_in_headless_chromium(server, tmp_path):
    import matplotlib.image

    shot = tmp_path / "scalars.png"
    chromium_screenshot(server + "#timeseries", shot, 1280, 900, "--virtual-time-budget=15000")
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (900, 1280)
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    not_white = (pixels < 0.95).any(axis=2).mean()
    assert len(colours) > 50, "a rendered page has text and charts, not a flat colour"
    assert 0.02 < not_white < 0.98


def test_a_port_in_use_is_a_one_line_error(logs_root):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("tensorboard", str(logs_root), "--port", str(port), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"kerasplug: error: port {port} on 127.0.0.1 is in use; choose another --port or "
        "leave it out to get a free one"
    )


def test_a_missing_folder_is_a_one_line_error(tmp_path):
    result = run_cli("tensorboard", str(tmp_path / "nope"), timeout=60)
    assert result.returncode == 2
    assert "is not a directory" in result.stderr and len(result.stderr.splitlines()) == 1


def run_args(run_dir: Path, *extra: str) -> list[str]:
    sets = [arg for s in [*TB_FAST, "train.epochs=2"] for arg in ("--set", s)]
    disabled = [arg for name in NO_EXPLAIN for arg in ("-p", f"no:{name}")]
    return [
        "run",
        str(EXAMPLES / "housing" / "boston.toml"),
        "--run-dir",
        str(run_dir),
        *sets,
        *disabled,
        *extra,
    ]


def test_run_with_tensorboard_serves_while_training_and_stops_at_the_end(tmp_path):
    result = run_cli(*run_args(tmp_path / "run", "--tensorboard"), timeout=300)
    assert result.returncode == 0, result.stderr
    match = re.search(r"TensorBoard: http://127\.0\.0\.1:(\d+)/", result.stdout)
    assert match, result.stdout
    assert not listening(int(match.group(1)))
    assert (tmp_path / "run" / "tensorboard" / "train").is_dir()


def test_keep_tensorboard_serves_the_finished_run_until_stopped(tmp_path):
    process = launch(*run_args(tmp_path / "run", "--tensorboard", "--keep-tensorboard"))
    port = None
    try:
        match = read_until(
            process, re.compile(r"keeps serving http://127\.0\.0\.1:(\d+)/"), timeout=300
        )
        port = int(match.group(1))
        runs = get(f"http://127.0.0.1:{port}/data/runs")
        assert {"tensorboard", "tensorboard/train", "tensorboard/validation"} <= set(runs)
    finally:
        kill(process.pid)
        process.wait(timeout=30)
    time.sleep(1)
    assert not listening(port)


def test_keep_tensorboard_needs_tensorboard(tmp_path):
    result = run_cli(*run_args(tmp_path / "run", "--keep-tensorboard"), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "--keep-tensorboard needs --tensorboard; add --tensorboard"
    )
