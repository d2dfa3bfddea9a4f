"""`load_run` and `kerasplug predict`: raw rows in, predictions in the target's units out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kerasplug import DataError, Step, Trainer, UsageError, hookimpl, load_run
from kerasplug.cli import main as cli_main
from tests.helpers import run_cli
from tests.runs.conftest import slow_plugins


def held_out(boston_saved):
    """The run's test rows: raw, as the table had them, and the run's own predictions."""
    result, table = boston_saved
    predictions = pd.read_csv(result.run_dir / "predictions.csv")
    test = predictions[predictions["split"] == "test"]
    return table.loc[test["row"].to_numpy()], test


def test_cli_predict_on_held_out_rows_reproduces_the_runs_predictions_exactly(
    boston_saved, tmp_path
):
    rows, test = held_out(boston_saved)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    done = run_cli(
        "predict",
        str(boston_saved[0].run_dir),
        str(tmp_path / "rows.csv"),
        "-o",
        str(tmp_path / "out.csv"),
        *[a for name in slow_plugins() for a in ("-p", f"no:{name}")],
    )
    assert done.returncode == 0, done.stderr
    assert "note: ignoring column(s) the model was not trained on: ['MEDV']" in done.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["row", "y_pred"]
    assert len(out) == len(test) > 50
    np.testing.assert_array_equal(out["y_pred"].to_numpy(), test["y_pred"].to_numpy())


def test_load_run_exposes_the_run_and_predicts_in_original_units(boston_saved):
    rows, test = held_out(boston_saved)
    run = load_run(boston_saved[0].run_dir, disable=slow_plugins())
    assert run.task == "regression" and run.target == "MEDV"
    assert run.metrics["test"]["rmse"] == pytest.approx(boston_saved[0].metrics["test"]["rmse"])
    assert run.config["train"]["epochs"] == 6
    assert "MEDV" not in run.columns and len(run.columns) == 13
    predicted = run.predict(rows.drop(columns=["MEDV"]))
    assert list(predicted.index) == list(rows.index)
    np.testing.assert_array_equal(predicted["y_pred"].to_numpy(), test["y_pred"].to_numpy())


@pytest.fixture(scope="module")
def loaded(boston_saved):
    return load_run(boston_saved[0].run_dir, disable=slow_plugins())


def test_missing_columns_are_a_clear_error(loaded, boston_saved):
    rows = boston_saved[1].head(3).drop(columns=["CRIM", "TAX"])
    with pytest.raises(
        DataError,
        match=r"^the input lacks column\(s\) \['CRIM', 'TAX'\] that the model was trained on; "
        r"add them$",
    ):
        loaded.predict(rows)


def test_a_wrong_type_names_the_column_the_value_and_the_row(loaded, boston_saved):
    rows = boston_saved[1].head(3).astype({"AGE": object})
    rows.loc[1, "AGE"] = "old"
    with pytest.raises(
        DataError,
        match=r"^column 'AGE' must be numeric \(float64 in training\) but holds 'old' \(row 1\); "
        r"fix those values$",
    ):
        loaded.predict(rows)


def test_numbers_read_as_text_are_accepted(loaded, boston_saved):
    rows = boston_saved[1].head(3)
    as_text = rows.astype({"AGE": str})
    np.testing.assert_array_equal(loaded.predict(as_text), loaded.predict(rows))


def test_empty_input_is_a_clear_error(loaded, boston_saved):
    with pytest.raises(DataError, match=r"^the input has no rows; give at least one row"):
        loaded.predict(boston_saved[1].head(0))


def test_cli_empty_input_file_and_missing_output_folder_exit_2(boston_saved, tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    run_dir = str(boston_saved[0].run_dir)
    code = cli_main(["predict", run_dir, str(tmp_path / "empty.csv"), "-o", str(tmp_path / "o")])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"kerasplug: error: input file '{tmp_path / 'empty.csv'}' is empty; give a header row "
        "and rows"
    )
    code = cli_main(["predict", run_dir, str(tmp_path / "empty.csv"), "-o", "/nonexistent/o.csv"])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "kerasplug: error: the folder of --output '/nonexistent/o.csv' does not exist; "
        "create it first"
    )


def test_an_unfinished_run_cannot_be_loaded(boston_saved, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(boston_saved[0].run_dir, copy)
    (copy / "status.json").write_text('{"status": "running"}')
    with pytest.raises(UsageError, match=r"did not complete \(status 'running'\); finish it"):
        load_run(copy)


class TextColumn:
    """A table with a text column, one-hot encoded (unknown values ignored)."""

    @hookimpl(tryfirst=True)
    def load_data(self):
        rng = np.random.default_rng(0)
        frame = pd.DataFrame(
            {"a": rng.normal(size=80), "town": rng.choice(["north", "south", "east"], 80)}
        )
        frame["y"] = 2 * frame["a"] + (frame["town"] == "north") + rng.normal(0, 0.1, 80)
        return frame

    @hookimpl
    def preprocessing_steps(self):
        from sklearn.compose import ColumnTransformer
        from sklearn.preprocessing import OneHotEncoder

        encode = ColumnTransformer(
            [("town", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["town"])],
            remainder="passthrough",
            verbose_feature_names_out=False,
        )
        return [Step("encode", encode, order=400)]


def test_unseen_categories_warn_and_extra_columns_get_a_note(tmp_path):
    import io

    result = Trainer(
        {"data": {"target": "y"}, "train": {"epochs": 2, "verbose": 0}},
        plugins=[("text", TextColumn())],
        disable=["housing.preprocess", *slow_plugins()],
        run_dir=tmp_path / "run",
        third_party=False,
    ).run()
    out = io.StringIO()
    run = load_run(
        result.run_dir,
        plugins=[("text", TextColumn())],
        disable=["housing.preprocess", *slow_plugins()],
        out=out,
    )
    rows = pd.DataFrame({"a": [0.5, 0.1], "town": ["north", "harbour"], "id": [1, 2]})
    predicted = run.predict(rows)
    assert predicted["y_pred"].notna().all()
    assert out.getvalue().splitlines() == [
        "note: ignoring column(s) the model was not trained on: ['id']",
        "warning: column 'town' has values not seen in training: ['harbour']; the "
        "preprocessing treats them as unknown",
    ]
