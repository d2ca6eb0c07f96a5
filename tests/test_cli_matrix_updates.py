"""The tracking matrix's `Latest State update` column read back by `tracker import`: whole outputs."""

import openpyxl
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import write_bundle
from tests.services.test_between_visits import history, update_row
from tests.services.test_bundle import run_import, snapshot
from tracker.cli import app
from tracker.models import UpdateItem

runner = CliRunner()
ERRORS = "Error: the bundle has {} error(s) and nothing was written; correct the rows listed above and import again.\n"


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def _matrix(engine, tmp_path, cells: dict[str, str]):
    """The KOR matrix with the `Latest State update` cell of each named item replaced."""
    path = tmp_path / "kor.xlsx"
    assert tracker("matrix", "KOR", "--out", path).exit_code == 0
    book = openpyxl.load_workbook(path)
    sheet = book["KOR"]
    column = [cell.value for cell in sheet[1]].index("Latest State update") + 1
    rows = {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1)}
    for finding_id, text in cells.items():
        sheet.cell(rows[finding_id], column).value = text
    book.save(path)
    return path, column


def _claims(engine) -> dict[tuple[str, str], str]:
    with engine.connect() as connection:
        rows = connection.execute(select(UpdateItem.finding_id, UpdateItem.update_id, UpdateItem.status)).all()
    return {(finding_id, update_id): status for finding_id, update_id, status in rows}


def test_a_corrected_or_newly_named_update_in_the_matrix_is_what_that_update_says(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok
    later = update_row("KOR-U-2020", received_on="2020-01-10")
    assert run_import(engine, write_bundle(tmp_path / "later", updates=[later])).ok
    path, _ = _matrix(
        engine,
        tmp_path,
        {
            "F1": "largely implemented (self-reported, 2016-06-30, KOR-U-2016)",
            "F2": "Not implemented (self-reported, KOR-U-2020)",
        },
    )

    done = tracker("import", path)

    assert (done.exit_code, done.stdout) == (
        0,
        "assessments.csv: 0 created, 0 updated, 2 unchanged\nupdate_items.csv: 1 created, 1 updated, 0 unchanged\n",
    )
    assert _claims(engine) == {
        ("F1", "KOR-U-2016"): "largely_implemented",
        ("F2", "KOR-U-2016"): "initial_steps",
        ("F2", "KOR-U-2020"): "not_implemented",
    }


def test_a_matrix_left_as_exported_changes_no_update_item(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok
    path, _ = _matrix(engine, tmp_path, {})

    done = tracker("import", path)

    assert (done.exit_code, done.stdout) == (
        0,
        "assessments.csv: 0 created, 0 updated, 2 unchanged\nupdate_items.csv: 0 created, 0 updated, 2 unchanged\n",
    )


def test_a_mistyped_latest_update_is_named_by_sheet_and_cell_and_nothing_is_written(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok
    path, column = _matrix(
        engine,
        tmp_path,
        {"F1": "Fuly implemented (self-reported, 2016-06-30, KOR-U-2016)", "F2": "the State says it is done"},
    )
    letter = openpyxl.utils.get_column_letter(column)
    before = snapshot(engine)

    failed = tracker("import", path)

    assert (failed.exit_code, failed.stdout) == (1, "")
    assert failed.stderr == (
        f'KOR!{letter}2: Latest State update: "Fuly implemented" is not a status; did you mean "Fully implemented"?\n'
        f'KOR!{letter}3: Latest State update: "the State says it is done" is not a self-reported status; write it '
        "as Status (self-reported, YYYY-MM-DD, UPDATE_ID), e.g. Fully implemented (self-reported, 2016-06-30, "
        "KOR-U-2016)\n" + ERRORS.format(2)
    )
    assert snapshot(engine) == before


def test_a_wrong_date_or_an_unknown_update_is_refused(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok
    path, column = _matrix(
        engine,
        tmp_path,
        {
            "F1": "Fully implemented (self-reported, 2016-07-01, KOR-U-2016)",
            "F2": "Initial steps (self-reported, 2019-02-01, KOR-U-2019)",
        },
    )
    letter = openpyxl.utils.get_column_letter(column)

    failed = tracker("import", path)

    assert failed.stderr == (
        f"KOR!{letter}2: Latest State update: update KOR-U-2016 was received on 2016-06-30, not 2016-07-01; "
        "correct the date, or name the update received that day\n"
        f"KOR!{letter}3: update_id: update KOR-U-2019 is neither in updates.csv nor in the database; "
        "add it to updates.csv\n" + ERRORS.format(2)
    )
