"""Loading a run directory never runs code from it; tampered directories are refused."""

from __future__ import annotations

import pickle
import shutil

import pytest

from kerasplug import UnsafeArtifactError, load_run
from kerasplug.cli import main as cli_main
from tests.runs.conftest import slow_plugins

DISABLE = [a for name in slow_plugins() for a in ("-p", f"no:{name}")]


@pytest.fixture
def tampered(boston_saved, tmp_path):
    """A copy of a completed run, and raw rows to predict, for tampering with."""
    result, table = boston_saved
    copy = tmp_path / "run"
    shutil.copytree(result.run_dir, copy)
    table.head(5).to_csv(tmp_path / "rows.csv", index=False)
    return copy, tmp_path / "rows.csv", tmp_path / "payload-ran"


def predict(run_dir, rows):
    return cli_main(["predict", str(run_dir), str(rows), "-o", str(rows.parent / "out.csv")])


class Payload:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_in_place_of_the_preprocessing_file_is_refused_and_never_runs(tampered, capsys):
    run_dir, rows, marker = tampered
    payload = pickle.dumps(Payload(marker))
    (run_dir / "preprocessing.skops").write_bytes(payload)
    for args in ([], ["--unsafe"]):
        code = cli_main(
            ["predict", str(run_dir), str(rows), "-o", str(rows.parent / "o.csv"), *args]
        )
        assert code == 2
        assert capsys.readouterr().err.strip().splitlines()[-1] == (
            f"kerasplug: error: {run_dir / 'preprocessing.skops'} is not a skops file (a pickle "
            "in its place?) and was not loaded: kerasplug never unpickles, even with --unsafe; "
            "if you trust its source, convert it yourself with skops.io.dump, else re-create "
            "the run"
        )
        assert not marker.exists(), "the payload must not run"
    pickle.loads(payload)  # the payload is real: unpickling it does run it
    assert marker.exists()


def lambda_model(marker):
    """A network whose Lambda layer writes `marker` when it is called."""
    import keras

    function = eval(f"lambda x: x + 0.0 * len(open({str(marker)!r}, 'w').name)")
    return keras.Sequential(
        [keras.Input((13,)), keras.layers.Lambda(function), keras.layers.Dense(1)]
    )


def test_a_model_with_a_python_lambda_is_refused_unless_the_source_is_trusted(tampered, capsys):
    run_dir, rows, marker = tampered
    lambda_model(marker).save(run_dir / "model.keras")
    marker.unlink()  # building the model called the lambda once
    out = rows.parent / "o.csv"
    assert cli_main(["predict", str(run_dir), str(rows), "-o", str(out), *DISABLE]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"kerasplug: error: {run_dir / 'model.keras'} contains Python code (e.g. a Lambda layer) "
        "and was not loaded; if you trust its source, load it with safe_mode=False "
        "(CLI: --unsafe)"
    )
    assert not marker.exists(), "the payload must not run"
    with pytest.raises(UnsafeArtifactError, match="contains Python code"):
        load_run(run_dir, disable=slow_plugins())
    assert not marker.exists()
    # Overriding for a trusted source loads it, and the lambda does run then.
    assert cli_main(["predict", str(run_dir), str(rows), "-o", str(out), "--unsafe"]) == 0
    assert marker.exists() and out.is_file()


def test_an_unknown_type_in_the_preprocessing_needs_an_explicit_trust(tampered, capsys):
    import operator

    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    run_dir, rows, _ = tampered
    state = skops.io.load(
        run_dir / "preprocessing.skops",
        trusted=skops.io.get_untrusted_types(file=run_dir / "preprocessing.skops"),
    )
    state["pipeline"].steps.insert(0, ("negate", FunctionTransformer(operator.neg)))
    skops.io.dump(state, run_dir / "preprocessing.skops")
    assert predict(run_dir, rows) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "holds types no installed plugin vouches for: _operator.neg" in line
    assert line.endswith("if you trust its source, pass them as trusted types (CLI: --trust TYPE)")
    code = cli_main(
        [
            "predict",
            str(run_dir),
            str(rows),
            "-o",
            str(rows.parent / "o.csv"),
            "--trust",
            "_operator.neg",
            *DISABLE,
        ]
    )
    assert code == 0
