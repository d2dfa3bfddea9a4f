"""`kerasplug summary` and the custom-model example."""

from __future__ import annotations

import os
import subprocess
import sys

from kerasplug.cli import main
from tests.helpers import EXAMPLES, ROOT
from tests.transfer.conftest import QUIET


def test_summary_prints_the_layer_table_as_the_first_stage_starts(capsys):
    assert main(["summary", str(EXAMPLES / "housing" / "transfer.toml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "as stage 'head' starts training"
    assert out[1].split() == ["layer", "type", "output", "shape", "params", "trains"]
    rows = {line.split()[0]: line for line in out[2:-1]}
    assert rows["dense_1"].endswith("frozen") and "(None, 64)" in rows["dense_1"]
    assert rows["output"].endswith("yes")
    # 13 inputs -> 64 -> 32 -> 1 with batch norm: output trains, the rest is frozen or state.
    dense = 13 * 64 + 64 + 64 * 32 + 32
    norm_trained, norm_state = 2 * (64 + 32), 2 * (64 + 32)
    assert out[-1] == (
        f"model 'mlp': {dense + norm_trained + norm_state + 33:,} params: 33 trainable, "
        f"{dense + norm_trained:,} frozen, {norm_state:,} non-trainable state"
    )


def test_the_custom_model_example_trains_with_its_first_block_frozen(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "custom_model.py"),
            *("--epochs", "2", "--run-dir", str(tmp_path / "custom")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "KERASPLUG_DISABLE_PLUGINS": ",".join(QUIET)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "epochs per stage: {'frozen_block1': 2, 'all': 2}" in done.stdout
    summary = (tmp_path / "custom" / "layers.txt").read_text(encoding="utf-8")
    rows = {line.split()[0]: line.split()[-1] for line in summary.splitlines()[1:-1]}
    assert rows == {
        "block1_dense": "frozen",
        "block1_norm": "frozen",
        "block2_dense": "yes",
        "price": "yes",
    }
