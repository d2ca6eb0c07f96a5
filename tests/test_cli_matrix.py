"""`tracker matrix`, and `tracker export` / `tracker import` of .xlsx workbooks: whole outputs."""

import openpyxl
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from tracker.cli import app

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
