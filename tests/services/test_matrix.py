"""The tracking matrix and workbook bundles: written, opened elsewhere, edited and read back."""

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select, update

from tests.services.test_bundle import _fresh_database
from tracker.models import Assessment, AuditEvent, Finding
from tracker.services.bundle import matrix
from tracker.services.bundle.exporter import export_bundle
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths, sources_from_uploads
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.presentation.palette import STATUS_GROUP_COLOURS
from tracker.services.presentation.wording import label
from tracker.services.progress import comparison

STATUS_WORDS = [
    "Fully implemented",
    "Addressed otherwise",
    "Largely implemented",
    "Partially implemented",
    "Initial steps",
    "Not implemented",
    "Contrary action",
    "No longer relevant",
    "Not assessed",
    "Insufficient information",
]


def write_matrix(engine, path: Path, level="committee") -> Path:
    matrix.save_matrix([matrix.state_matrix(engine, LOCAL_ADMIN, "KOR", level=level)], path)
    return path


def cells_of(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def stored_assessments(engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Assessment.finding_id, Assessment.status, Assessment.evidence).where(
                Assessment.visit_id == "KOR-2023"
            )
        )
        return {finding_id: (status, evidence) for finding_id, status, evidence in rows}


def audit_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(AuditEvent)).scalar()


def row_of(sheet, finding_id: str) -> int:
    """The 1-based row of an item on an openpyxl sheet."""
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 1).value == finding_id:
            return row
    raise AssertionError(finding_id)


def test_the_state_sheet_has_the_design_header_and_every_visible_item_with_its_status(demo_engine, tmp_path):
    path = write_matrix(demo_engine, tmp_path / "kor.xlsx")
    sheets = cells_of(path)

    assert list(sheets) == ["Summary", "KOR"]
    header, *rows = sheets["KOR"]
    assert header == [
        "Id",
        "Area",
        "Thematic area",
        "Kind",
        "Priority",
        "Severity",
        "Finding",
        "Source",
        "KOR-2023 status",
        "KOR-2023 evidence",
        "KOR-2023 assessed on",
        "Latest State update",
    ]
    stored = stored_assessments(demo_engine)
    trackable = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")["status_counts"]
    assert len(rows) == sum(trackable.values())
    for row in rows:
        status, evidence = stored.get(row[0], ("", ""))
        assert row[8] == label(status)
        assert row[9] == evidence
    assert sheets["Summary"][1][0] == "Level: committee"
    assert sheets["Summary"][2][0].startswith("Written: ")


def test_the_summary_holds_the_numbers_of_compare_at_the_level(demo_engine, tmp_path):
    path = write_matrix(demo_engine, tmp_path / "kor.xlsx")
    summary = cells_of(path)["Summary"]
    header = summary[matrix.SUMMARY_HEADER_ROW]
    rows = [dict(zip(header, row)) for row in summary[matrix.SUMMARY_HEADER_ROW + 1 :]]
    result = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")

    assert [row["Area"] for row in rows] == [area["area"] for area in result["areas"]] + ["TOTAL"]
    total = rows[-1]
    assert total["Baseline gaps"] == result["totals"]["baseline_gaps"]
    assert total["Gaps closed"] == result["totals"]["gaps_closed"]
    assert total["New gaps"] == result["totals"]["new_gaps"]
    assert total["Implementation index"] == result["totals"]["implementation_index"]


def test_status_cells_of_the_latest_follow_up_carry_the_ten_status_drop_down(demo_engine, tmp_path):
    path = write_matrix(demo_engine, tmp_path / "kor.xlsx")
    items = len(cells_of(path)["KOR"]) - 1
    with zipfile.ZipFile(path) as book:
        sheet = ET.fromstring(book.read("xl/worksheets/sheet2.xml"))
        styles = book.read("xl/styles.xml").decode()
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    validation = sheet.find("m:dataValidations/m:dataValidation", ns)

    assert validation.get("type") == "list"
    assert validation.get("sqref") == f"I2:I{items + 1}"
    assert validation.find("m:formula1", ns).text == '"' + ",".join(STATUS_WORDS) + '"'
    assert sheet.find("m:sheetViews/m:sheetView/m:pane", ns).get("topLeftCell") == "B2"
    assert sheet.find("m:autoFilter", ns) is not None
    assert "Level: Committee" in sheet.find("m:headerFooter/m:oddHeader", ns).text
    assert "Level: Committee" in sheet.find("m:headerFooter/m:oddFooter", ns).text
    # The dashboard's status-group colours fill the status cells.
    for group in ("closed", "open"):
        assert "FF" + STATUS_GROUP_COLOURS[group].lstrip("#").upper() in styles


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="needs LibreOffice (Debian libreoffice-calc)")
def test_libreoffice_opens_the_matrix_and_finds_the_stored_statuses(demo_engine, tmp_path):
    path = write_matrix(demo_engine, tmp_path / "kor.xlsx")
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = (tmp_path / "kor-KOR.csv").read_text(encoding="utf-8")
    visible = matrix.state_matrix(demo_engine, LOCAL_ADMIN, "KOR", level="committee").items
    stored = stored_assessments(demo_engine)

    assert text.startswith("Id,Area,Thematic area,Kind,Priority,Severity,Finding,Source,KOR-2023 status")
    assert len(visible) == len(text.splitlines()) - 1
    for finding_id in visible["finding_id"]:
        line = next(line for line in text.splitlines() if line.startswith(finding_id + ","))
        assert label(stored.get(finding_id, ("", ""))[0]) in line


def test_an_unchanged_matrix_imports_as_all_unchanged(demo_engine, tmp_path):
    path = write_matrix(demo_engine, tmp_path / "kor.xlsx")
    result = import_bundle(demo_engine, sources_from_paths([path]), LOCAL_ADMIN)

    assert result.ok, [str(e) for e in result.errors]
    counts = result.counts["assessments.csv"]
    shown = matrix.state_matrix(demo_engine, LOCAL_ADMIN, "KOR", level="committee").items
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, int((shown["KOR-2023 status"] != "").sum()))


def test_two_statuses_and_one_evidence_changed_in_the_file_change_exactly_those_assessments(demo_engine, tmp_path):
    path = write_matrix(demo_engine, tmp_path / "kor.xlsx")
    before = stored_assessments(demo_engine)
    index_before = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")["totals"]
    book = openpyxl.load_workbook(path)
    sheet = book["KOR"]
    sheet.cell(row_of(sheet, "KOR-2009-F03"), 9).value = "FULLY IMPLEMENTED"
    sheet.cell(row_of(sheet, "KOR-2009-F04"), 9).value = "not_implemented"
    sheet.cell(row_of(sheet, "KOR-2009-F02"), 10).value = "Confirmed by the 2024 amendment."
    book.save(path)
    events = audit_count(demo_engine)

    result = import_bundle(demo_engine, sources_from_paths([path]), LOCAL_ADMIN)

    assert result.ok, [str(e) for e in result.errors]
    assert result.counts["assessments.csv"].updated == 3
    after = stored_assessments(demo_engine)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"KOR-2009-F02", "KOR-2009-F03", "KOR-2009-F04"}
    assert after["KOR-2009-F03"][0] == "fully_implemented"
    assert after["KOR-2009-F04"][0] == "not_implemented"
    assert after["KOR-2009-F02"] == (before["KOR-2009-F02"][0], "Confirmed by the 2024 amendment.")
    assert audit_count(demo_engine) == events + 3  # one event per changed row
    totals = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")["totals"]
    # F03 (a shortfall) moves from progressing to closed, F04 (a shortfall) from progressing to open.
    assert totals["gaps_closed"] == index_before["gaps_closed"] + 1
    assert totals["gaps_open"] == index_before["gaps_open"] + 1
    assert totals["gaps_progressing"] == index_before["gaps_progressing"] - 2


def test_a_bad_status_an_unknown_id_and_a_changed_title_each_name_sheet_and_cell(demo_engine, tmp_path):
    path = write_matrix(demo_engine, tmp_path / "kor.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["KOR"]
    bad_status, unknown, retitled = (row_of(sheet, f"KOR-2009-F0{n}") for n in (3, 4, 1))
    sheet.cell(bad_status, 9).value = "Partialy implemented"
    sheet.cell(unknown, 1).value = "KOR-2009-F99"
    stored_title = sheet.cell(retitled, 7).value
    sheet.cell(retitled, 7).value = "A different title"
    book.save(path)
    before = stored_assessments(demo_engine)
    events = audit_count(demo_engine)

    result = import_bundle(demo_engine, sources_from_paths([path]), LOCAL_ADMIN)

    assert not result.ok
    assert sorted(str(e) for e in result.errors) == sorted(
        [
            f'KOR!I{bad_status}: status: "Partialy implemented" is not a status; did you mean "Partially implemented"?',
            f'KOR!A{unknown}: Id: "KOR-2009-F99" is not a stored baseline shortfall or recommendation; '
            "keep the Id column as exported",
            f'KOR!G{retitled}: Finding: the title of KOR-2009-F01 differs from the stored one ("{stored_title}"); '
            "edit titles in the tracker, not in the matrix",
        ]
    )
    assert stored_assessments(demo_engine) == before
    assert audit_count(demo_engine) == events


def test_at_committee_level_no_row_above_it_appears_in_any_sheet(demo_engine, tmp_path):
    with demo_engine.begin() as connection:
        connection.execute(
            update(Finding).where(Finding.finding_id == "KOR-2009-F05").values(confidentiality="state_and_cted")
        )
        connection.execute(
            update(Assessment).where(Assessment.finding_id == "KOR-2009-F06").values(confidentiality="restricted")
        )
        hidden_evidence = connection.execute(
            select(Assessment.evidence).where(Assessment.finding_id == "KOR-2009-F06")
        ).scalar()
        hidden_title = connection.execute(select(Finding.title).where(Finding.finding_id == "KOR-2009-F05")).scalar()
    path = tmp_path / "all.xlsx"
    matrix.save_matrix(matrix.all_matrices(demo_engine, LOCAL_ADMIN, "committee"), path)

    text = json.dumps(cells_of(path), default=str)
    assert "KOR-2009-F05" not in text and hidden_title not in text and hidden_evidence not in text
    f06 = next(row for row in cells_of(path)["KOR"] if row[0] == "KOR-2009-F06")
    assert f06[8] == "" and f06[9] == ""
    shown = matrix.state_matrix(demo_engine, LOCAL_ADMIN, "KOR", level="committee").items
    assert "KOR-2009-F05" not in set(shown["finding_id"])


def test_a_workbook_bundle_imported_into_an_empty_database_exports_the_same_csv_bytes(demo_engine, tmp_path, request):
    export_bundle(demo_engine, tmp_path / "source", LOCAL_ADMIN)
    workbook = tmp_path / "bundle.xlsx"
    export_bundle(demo_engine, workbook, LOCAL_ADMIN)
    assert list(CalamineWorkbook.from_path(str(workbook)).sheet_names) == [
        "areas",
        "states",
        "resolutions",
        "partners",
        "visits",
        "findings",
        "assessments",
        "meetings",
        "updates",
        "update_items",
        "milestones",
        "ta",
        "link_decisions",
        "area_resolutions",
    ]
    fresh = _fresh_database(demo_engine, request, tmp_path)

    result = import_bundle(fresh, sources_from_paths([workbook]), LOCAL_ADMIN)
    assert result.ok, [str(e) for e in result.errors]
    export_bundle(fresh, tmp_path / "again", LOCAL_ADMIN)

    for name in ("areas.csv", "visits.csv", "findings.csv", "assessments.csv", "meetings.csv", "datapackage.json"):
        assert (tmp_path / "source" / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="needs LibreOffice (Debian libreoffice-calc)")
def test_a_workbook_bundle_saved_again_by_libreoffice_imports_unchanged(demo_engine, tmp_path):
    export_bundle(demo_engine, tmp_path / "bundle.xlsx", LOCAL_ADMIN)
    (tmp_path / "saved").mkdir()
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path / "saved"),
            str(tmp_path / "bundle.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    data = (tmp_path / "saved" / "bundle.xlsx").read_bytes()

    result = import_bundle(demo_engine, sources_from_uploads([("bundle.xlsx", data)]), LOCAL_ADMIN)

    assert result.ok, [str(e) for e in result.errors]
    assert all(c.created == 0 and c.updated == 0 for c in result.counts.values()), result.counts


def test_an_error_in_a_workbook_bundle_names_the_sheet_and_cell(demo_engine, tmp_path):
    path = tmp_path / "bundle.xlsx"
    export_bundle(demo_engine, path, LOCAL_ADMIN)
    book = openpyxl.load_workbook(path)
    book["findings"]["D3"].value = "gap"
    book.save(path)

    result = import_bundle(demo_engine, sources_from_paths([path]), LOCAL_ADMIN)

    assert [str(e) for e in result.errors] == [
        "findings!D3: kind: 'gap' is not a kind; use one of shortfall, recommendation, good_practice, ta_need, "
        "progress, concern, capacity_to_assist"
    ]


def test_frictionless_accepts_an_export_and_rejects_a_broken_enum_or_key(demo_engine, tmp_path):
    from frictionless import Package

    export_bundle(demo_engine, tmp_path / "good", LOCAL_ADMIN)
    report = Package(str(tmp_path / "good" / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    for name, old, new in (
        ("assessments.csv", ",fully_implemented,", ",done,"),
        ("findings.csv", "KOR-2009-F01,KOR-2009,", "KOR-2009-F01,KOR-1999,"),
    ):
        broken = tmp_path / f"broken-{name}"
        shutil.copytree(tmp_path / "good", broken)
        text = (broken / name).read_text(encoding="utf-8")
        assert old in text
        (broken / name).write_text(text.replace(old, new, 1), encoding="utf-8")
        report = Package(str(broken / "datapackage.json")).validate()
        assert not report.valid, name
        assert {error.type for task in report.tasks for error in task.errors} & {"constraint-error", "foreign-key"}


def test_a_zip_export_carries_the_data_package_and_imports_without_it_complaining(demo_engine, tmp_path):
    export_bundle(demo_engine, tmp_path / "bundle.zip", LOCAL_ADMIN)
    with zipfile.ZipFile(tmp_path / "bundle.zip") as bundle:
        package = json.loads(bundle.read("datapackage.json"))
    assert [r["path"] for r in package["resources"]] == [
        "areas.csv",
        "states.csv",
        "resolutions.csv",
        "partners.csv",
        "visits.csv",
        "findings.csv",
        "assessments.csv",
        "meetings.csv",
        "updates.csv",
        "update_items.csv",
        "milestones.csv",
        "ta.csv",
        "link_decisions.csv",
        "area_resolutions.csv",
    ]
    status = next(f for f in package["resources"][6]["schema"]["fields"] if f["name"] == "status")
    assert status["constraints"] == {"required": True, "enum": [s.replace(" ", "_").lower() for s in STATUS_WORDS]}

    result = import_bundle(demo_engine, sources_from_paths([tmp_path / "bundle.zip"]), LOCAL_ADMIN)
    assert result.ok and all(c.created == c.updated == 0 for c in result.counts.values())


def test_awkward_text_survives_a_workbook_bundle_round_trip(engine, tmp_path, request):
    from tests.conftest import finding_row, visit_row, write_bundle

    awkward = "=SUM(A1) & <b>bold</b>\r\nsecond line\ttab; 'quoted' \"double\" – ü"
    write_bundle(
        tmp_path / "in",
        visits=[visit_row(summary="@mention")],
        findings=[finding_row("KOR-2009-F01", title=awkward, detail="-minus", priority="true")],
    )
    assert import_bundle(engine, sources_from_paths([tmp_path / "in"]), LOCAL_ADMIN).ok
    export_bundle(engine, tmp_path / "source", LOCAL_ADMIN)
    export_bundle(engine, tmp_path / "bundle.xlsx", LOCAL_ADMIN)
    fresh = _fresh_database(engine, request, tmp_path)

    result = import_bundle(fresh, sources_from_paths([tmp_path / "bundle.xlsx"]), LOCAL_ADMIN)
    assert result.ok, [str(e) for e in result.errors]
    export_bundle(fresh, tmp_path / "again", LOCAL_ADMIN)

    for name in ("visits.csv", "findings.csv"):
        assert (tmp_path / "source" / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    with fresh.connect() as connection:
        assert connection.execute(select(Finding.title)).scalar() == awkward.strip()


def test_the_matrix_of_every_state_has_a_sheet_per_state_and_each_in_the_summary(demo_engine, tmp_path):
    from tests.conftest import assessment_row, finding_row, followup_row, visit_row, write_bundle

    write_bundle(
        tmp_path / "fin",
        visits=[
            visit_row("FIN-2010", state="FIN", start_date="2010-03-01", end_date="2010-03-04"),
            followup_row("FIN-2024", baseline="FIN-2010", state="FIN", start_date="2024-03-01", end_date="2024-03-04"),
        ],
        findings=[finding_row("FIN-2010-F01", visit_id="FIN-2010"), finding_row("FIN-2010-F02", visit_id="FIN-2010")],
        assessments=[assessment_row("FIN-2010-F01", "initial_steps", visit_id="FIN-2024")],
    )
    assert import_bundle(demo_engine, sources_from_paths([tmp_path / "fin"]), LOCAL_ADMIN).ok
    path = tmp_path / "all.xlsx"
    matrix.save_matrix(matrix.all_matrices(demo_engine, LOCAL_ADMIN, "committee"), path)

    sheets = cells_of(path)
    assert list(sheets) == ["All States", "Summary", "FIN", "KOR"]
    assert sheets["FIN"][1:] == [
        [
            "FIN-2010-F01",
            "LEG",
            "Counter-terrorism legislation",
            "Shortfall",
            "No",
            "",
            "Finding FIN-2010-F01",
            "",
            "Initial steps",
            "",
            "2023-05-25",
            "",
        ],
        [
            "FIN-2010-F02",
            "LEG",
            "Counter-terrorism legislation",
            "Shortfall",
            "No",
            "",
            "Finding FIN-2010-F02",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    states = {row[0] for row in sheets["Summary"][matrix.SUMMARY_HEADER_ROW + 1 :]}
    assert states == {"FIN", "KOR"}
