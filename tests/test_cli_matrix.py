"""`tracker matrix`, and `tracker export` / `tracker import` of .xlsx workbooks: whole outputs."""

import openpyxl
from python_calamine import CalamineWorkbook
from sqlalchemy import select, update
from typer.testing import CliRunner

from tracker.cli import app
from tracker.models import Assessment, Finding

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_matrix_of_one_state_writes_the_workbook_and_says_what_it_holds(demo_engine, tmp_path):
    result = tracker("matrix", "kor", "--out", tmp_path / "kor.xlsx", "--level", "committee")

    assert result.exit_code == 0, result.output
    assert result.stdout == "KOR: 25 baseline items, KOR-2023 against KOR-2009\n"
    assert result.stderr == f"Wrote the tracking matrix at level committee to {tmp_path / 'kor.xlsx'}.\n"
    assert CalamineWorkbook.from_path(str(tmp_path / "kor.xlsx")).sheet_names == ["Summary", "KOR"]


def test_matrix_of_all_states_has_a_sheet_per_state_with_a_follow_up(demo_engine, tmp_path):
    result = tracker("matrix", "--all", "--out", tmp_path / "all.xlsx")

    assert result.exit_code == 0, result.output
    assert result.stdout == "KOR: 27 baseline items, KOR-2023 against KOR-2009\n"
    assert CalamineWorkbook.from_path(str(tmp_path / "all.xlsx")).sheet_names == ["Summary", "KOR"]


def test_matrix_mistakes_are_one_sentence_each(demo_engine, tmp_path):
    out = tmp_path / "m.xlsx"
    cases = [
        (("matrix", "KOR"), "Error: give the workbook to write with --out FILE.xlsx.\n"),
        (("matrix", "--out", out), "Error: give either a State's ISO3 code or --all, not both or neither.\n"),
        (
            ("matrix", "KOR", "--all", "--out", out),
            "Error: give either a State's ISO3 code or --all, not both or neither.\n",
        ),
        (
            ("matrix", "--all", "--followup", "KOR-2023", "--out", out),
            "Error: --followup names one State's visit; leave it out with --all.\n",
        ),
        (
            ("matrix", "KOR", "--out", tmp_path / "m.csv"),
            f"Error: {tmp_path / 'm.csv'} does not end in .xlsx; name the workbook FILE.xlsx.\n",
        ),
        (
            ("matrix", "FIN", "--out", out),
            "Error: Finland (FIN) has no follow-up visit that you may see; record a follow-up visit "
            "with a baseline_visit_id, or use a higher --level.\n",
        ),
        (
            ("matrix", "KOR", "--out", out, "--level", "secret"),
            "Error: 'secret' is not a confidentiality level; use one of public, un_platform, member_states, committee, state_and_cted, restricted.\n",
        ),
    ]
    for args, message in cases:
        result = tracker(*args)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", message), args
    assert not out.exists()


def test_an_edited_matrix_imports_and_a_mistyped_status_is_named_by_sheet_and_cell(demo_engine, tmp_path):
    path = tmp_path / "kor.xlsx"
    tracker("matrix", "KOR", "--out", path, "--level", "committee")
    book = openpyxl.load_workbook(path)
    sheet = book["KOR"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "KOR-2009-F03")
    sheet.cell(row, 9).value = "Partialy implemented"
    book.save(path)

    failed = tracker("import", path)
    assert (failed.exit_code, failed.stdout) == (1, "")
    assert failed.stderr == (
        f'KOR!I{row}: status: "Partialy implemented" is not a status; did you mean "Partially implemented"?\n'
        "Error: the bundle has 1 error(s) and nothing was written; correct the rows listed above and import again.\n"
    )

    sheet.cell(row, 9).value = "fully implemented"
    book.save(path)
    done = tracker("import", path)
    assert (done.exit_code, done.stdout) == (0, "assessments.csv: 0 created, 1 updated, 24 unchanged\n")


def test_export_to_xlsx_and_import_it_again_changes_nothing(demo_engine, tmp_path):
    path = tmp_path / "bundle.xlsx"
    exported = tracker("export", path, "--level", "restricted")
    assert exported.exit_code == 0, exported.output
    assert exported.stderr == f"Exported to {path}.\n"

    again = tracker("import", path, "--dry-run")
    assert again.exit_code == 0, again.output
    assert all(" 0 created, 0 updated," in line for line in again.stdout.splitlines()[:5])


def test_a_matrix_with_its_evidence_column_removed_imports_its_statuses_and_keeps_the_evidence(demo_engine, tmp_path):
    path = tmp_path / "kor.xlsx"
    tracker("matrix", "KOR", "--out", path, "--level", "committee")
    book = openpyxl.load_workbook(path)
    sheet = book["KOR"]
    assert [sheet.cell(1, column).value for column in (9, 10)] == ["KOR-2023 status", "KOR-2023 evidence"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "KOR-2009-F03")
    sheet.delete_cols(10)
    sheet.cell(row, 9).value = "Fully implemented"
    book.save(path)
    evidence_before = evidence_of(demo_engine)

    done = tracker("import", path)

    assert (done.exit_code, done.stderr, done.stdout) == (
        0,
        "",
        "assessments.csv: 0 created, 1 updated, 24 unchanged\n",
    )
    assert status_of(demo_engine, "KOR-2009-F03") == "fully_implemented"
    assert evidence_of(demo_engine) == evidence_before
    assert evidence_before["KOR-2009-F03"]


def evidence_of(engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Assessment.finding_id, Assessment.evidence).where(Assessment.visit_id == "KOR-2023")
        )
        return dict(rows.all())


def status_of(engine, finding_id: str) -> str:
    with engine.connect() as connection:
        return connection.execute(
            select(Assessment.status).where(Assessment.visit_id == "KOR-2023", Assessment.finding_id == finding_id)
        ).scalar_one()


# Each part would read back as another text if written as it is: `A`, `_x0041B`, `_`.
LOOKS_ESCAPED = "Art. _x0041_, _x0041_x0042_ and _x005F_ as typed"


def test_text_that_reads_as_an_excel_escape_comes_back_from_both_workbooks_as_written(demo_engine, tmp_path):
    with demo_engine.begin() as connection:
        connection.execute(update(Finding).where(Finding.finding_id == "KOR-2009-F03").values(title=LOOKS_ESCAPED))
        connection.execute(
            update(Assessment)
            .where(Assessment.finding_id == "KOR-2009-F03", Assessment.visit_id == "KOR-2023")
            .values(evidence=LOOKS_ESCAPED)
        )
    bundle, matrix = tmp_path / "bundle.xlsx", tmp_path / "kor.xlsx"
    assert tracker("export", bundle, "--level", "restricted").exit_code == 0
    assert tracker("matrix", "KOR", "--out", matrix, "--level", "committee").exit_code == 0

    again = tracker("import", bundle, "--dry-run")
    assert (again.exit_code, again.stderr) == (0, "")
    assert again.stdout == (
        "areas.csv: 0 created, 0 updated, 34 unchanged\n"
        "states.csv: 0 created, 0 updated, 0 unchanged\n"
        "resolutions.csv: 0 created, 0 updated, 16 unchanged\n"
        "partners.csv: 0 created, 0 updated, 20 unchanged\n"
        "visits.csv: 0 created, 0 updated, 2 unchanged\n"
        "findings.csv: 0 created, 0 updated, 71 unchanged\n"
        "assessments.csv: 0 created, 0 updated, 27 unchanged\n"
        "meetings.csv: 0 created, 0 updated, 20 unchanged\n"
        "updates.csv: 0 created, 0 updated, 0 unchanged\n"
        "update_items.csv: 0 created, 0 updated, 0 unchanged\n"
        "milestones.csv: 0 created, 0 updated, 9 unchanged\n"
        "ta.csv: 0 created, 0 updated, 6 unchanged\n"
        "link_decisions.csv: 0 created, 0 updated, 0 unchanged\n"
        "area_resolutions.csv: 0 created, 0 updated, 40 unchanged\n"
        "Dry run: nothing was written; these changes would be made.\n"
    )

    edited = tracker("import", matrix)
    assert (edited.exit_code, edited.stderr, edited.stdout) == (
        0,
        "",
        "assessments.csv: 0 created, 0 updated, 25 unchanged\n",
    )
    assert evidence_of(demo_engine)["KOR-2009-F03"] == LOOKS_ESCAPED
