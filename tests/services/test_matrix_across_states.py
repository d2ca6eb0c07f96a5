"""Every State's matrix as one table: on screen and as the first sheet of the every-State workbook."""

import openpyxl
from sqlalchemy import select

from tests.conftest import assessment_row, finding_row, followup_row, visit_row, write_bundle
from tests.services.test_matrix import cells_of
from tracker.models import MemberState
from tracker.services.bundle import across_states, matrix
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN


def with_finland(engine, folder) -> None:
    """Finland beside the demo's Korea: one restricted item, one assessed, one not assessed at its follow-up."""
    write_bundle(
        folder,
        visits=[
            visit_row("FIN-2010", state="FIN", start_date="2010-03-01", end_date="2010-03-04"),
            followup_row("FIN-2024", baseline="FIN-2010", state="FIN", start_date="2024-03-01", end_date="2024-03-04"),
        ],
        findings=[
            finding_row("FIN-2010-F01", visit_id="FIN-2010", area="CFT", kind="recommendation", priority="true"),
            finding_row("FIN-2010-F02", visit_id="FIN-2010", title='=HYPERLINK("x")'),
            finding_row("FIN-2010-F03", visit_id="FIN-2010", confidentiality="restricted"),
        ],
        assessments=[
            assessment_row("FIN-2010-F01", "initial_steps", visit_id="FIN-2024", evidence="A draft law is tabled."),
            assessment_row("FIN-2010-F03", "not_implemented", visit_id="FIN-2024", confidentiality="restricted"),
        ],
    )
    assert import_bundle(engine, sources_from_paths([folder]), LOCAL_ADMIN).ok


def region_of(engine, iso3: str) -> str:
    with engine.connect() as connection:
        return connection.execute(select(MemberState.region).where(MemberState.iso3 == iso3)).scalar_one()


def test_the_combined_table_has_every_item_of_every_state_at_its_latest_follow_up(demo_engine, tmp_path):
    with_finland(demo_engine, tmp_path / "fin")
    matrices = matrix.all_matrices(demo_engine, LOCAL_ADMIN, "committee")

    combined = across_states.combined_items(matrices)

    assert list(combined.columns) == [*across_states.COMBINED_HEADERS, *across_states.CODE_COLUMNS]
    assert len(combined) == sum(len(m.items) for m in matrices)
    assert combined["State"].unique().tolist() == ["FIN", "KOR"]
    finland = combined[combined["State"] == "FIN"].to_dict("records")
    # The restricted item stays out at committee level.
    assert sorted(row["Id"] for row in finland) == ["FIN-2010-F01", "FIN-2010-F02"]
    recommendation = next(row for row in finland if row["Id"] == "FIN-2010-F01")
    assert {k: recommendation[k] for k in ("State name", "Region", "Follow-up visit", "Kind", "Priority")} == {
        "State name": "Finland",
        "Region": region_of(demo_engine, "FIN"),
        "Follow-up visit": "FIN-2024",
        "Kind": "Recommendation",
        "Priority": "Yes",
    }
    assert (recommendation["Status"], recommendation["Status group"], recommendation["Evidence"]) == (
        "Initial steps",
        "Progressing",
        "A draft law is tabled.",
    )
    assert (recommendation["status_code"], recommendation["group_code"]) == ("initial_steps", "progressing")
    unassessed = next(row for row in finland if row["Id"] == "FIN-2010-F02")
    assert (unassessed["Status"], unassessed["Status group"], unassessed["group_code"]) == ("", "", "")
    korea = matrices[[m.state for m in matrices].index("KOR")]
    assert combined[combined["State"] == "KOR"]["Id"].tolist() == korea.items["finding_id"].tolist()
    latest = matrix.status_header(korea.visits[-1])
    assert combined[combined["State"] == "KOR"]["status_code"].tolist() == korea.items[latest].tolist()


def test_the_every_state_workbook_opens_on_the_combined_sheet_with_an_autofilter(demo_engine, tmp_path):
    with_finland(demo_engine, tmp_path / "fin")
    matrices = matrix.all_matrices(demo_engine, LOCAL_ADMIN, "committee")
    path = tmp_path / "all.xlsx"

    matrix.save_matrix(matrices, path)

    sheets = cells_of(path)
    assert list(sheets) == ["All States", "Summary", "FIN", "KOR"]
    combined = sheets["All States"]
    assert combined[0][0] == "Tracking matrix: every item of every State, at its latest follow-up visit"
    assert combined[1][0] == "Level: committee"
    assert combined[2][0].startswith("Written: ")
    assert combined[across_states.COMBINED_HEADER_ROW] == list(across_states.COMBINED_HEADERS)
    rows = combined[across_states.COMBINED_HEADER_ROW + 1 :]
    assert len(rows) == sum(len(m.items) for m in matrices)
    assert "FIN-2010-F03" not in {row[5] for row in rows}
    by_id = {row[5]: dict(zip(across_states.COMBINED_HEADERS, row)) for row in rows}
    assert by_id["FIN-2010-F01"]["Status"] == "Initial steps"
    assert by_id["FIN-2010-F01"]["Region"] == region_of(demo_engine, "FIN")
    # A text a spreadsheet would run as a formula is written behind a quote mark, as in every sheet.
    assert by_id["FIN-2010-F02"]["Finding"] == '\'=HYPERLINK("x")'
    sheet = openpyxl.load_workbook(path)["All States"]
    header_row = across_states.COMBINED_HEADER_ROW + 1
    assert sheet.auto_filter.ref == f"A{header_row}:R{header_row + len(rows)}"
    assert sheet.freeze_panes == f"A{header_row + 1}"


def test_the_every_state_workbook_imports_unchanged_and_its_combined_sheet_is_not_read(demo_engine, tmp_path):
    with_finland(demo_engine, tmp_path / "fin")
    path = tmp_path / "all.xlsx"
    matrix.save_matrix(matrix.all_matrices(demo_engine, LOCAL_ADMIN, "committee"), path)
    book = openpyxl.load_workbook(path)
    combined = book["All States"]
    status = across_states.COMBINED_HEADERS.index("Status") + 1
    combined.cell(across_states.COMBINED_HEADER_ROW + 2, status).value = "Fully implemented"
    book.save(path)

    result = import_bundle(demo_engine, sources_from_paths([path]), LOCAL_ADMIN, dry_run=True)

    assert result.ok, result.errors
    assert not any(count.created or count.updated for count in result.counts.values())


def test_a_workbook_of_one_state_has_no_combined_sheet(demo_engine, tmp_path):
    path = tmp_path / "kor.xlsx"
    matrix.save_matrix([matrix.state_matrix(demo_engine, LOCAL_ADMIN, "KOR")], path)

    assert list(cells_of(path)) == ["Summary", "KOR"]
