"""Between visits: a State's written updates and the reference data the team adds."""

import datetime as dt

from sqlalchemy import select

from tests.conftest import assessment_row, finding_row, followup_row, meeting_row, visit_row, write_bundle
from tests.services.test_bundle import _fresh_database, run_import, snapshot
from tracker.models import MemberState, Resolution
from tracker.services.bundle.exporter import export_bundle
from tracker.services.bundle.files import FILES
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress.comparison import compare

NEW_FILES = ("states.csv", "resolutions.csv", "partners.csv", "updates.csv", "update_items.csv")


def update_row(update_id="KOR-U-2016", received_on="2016-06-30", **overrides) -> dict:
    row = {
        "update_id": update_id,
        "state": "KOR",
        "received_on": received_on,
        "reference": "Note verbale 2016/17",
        "summary": "Six-month response on implementation",
        "confidentiality": "committee",
        "withdrawn": "",
    }
    return row | overrides


def item_row(finding_id, status, update_id="KOR-U-2016", **overrides) -> dict:
    row = {
        "finding_id": finding_id,
        "update_id": update_id,
        "status": status,
        "evidence": "As the State reports",
        "confidentiality": "committee",
        "withdrawn": "",
    }
    return row | overrides


ADDED_RESOLUTIONS = [
    {"number": "2331", "year": "2016", "title": "Trafficking in persons", "adopted_on": "2016-12-20"},
    {"number": "2388", "year": "2017", "title": "Trafficking in persons", "adopted_on": "2017-11-21"},
]
HOLY_SEE = {"iso3": "VAT", "name": "Holy See", "region": "Western European and Others"}
# One roundtable with four sectors and three partner organisations, recorded once.
ROUNDTABLE = meeting_row(
    "KOR-2023-M01",
    kind="roundtable",
    counterpart="National counter-terrorism roundtable",
    sector="government;civil_society;private_sector;academia",
    partners="UNODC;GCTF;IOM",
)


def history(folder, **replaced):
    """Two visits with a written update between them: one claim later verified lower, one higher."""
    files = {
        "states": [HOLY_SEE],
        "resolutions": ADDED_RESOLUTIONS,
        "partners": [{"code": "GCTF", "name": "Global Counterterrorism Forum"}],
        "visits": [
            visit_row(partners="GCTF"),
            followup_row(),
            visit_row("VAT-2024", state="VAT", kind="advocacy", start_date="2024-03-04", end_date="2024-03-05"),
        ],
        "findings": [
            finding_row("F1", resolutions="2331;2388"),
            finding_row("F2", kind="recommendation", resolutions="S/RES/2331 (2016)"),
            finding_row("V1", visit_id="VAT-2024"),
        ],
        "assessments": [
            assessment_row("F1", "partially_implemented", assessed_on="2024-02-01"),
            assessment_row("F2", "largely_implemented"),
        ],
        "meetings": [ROUNDTABLE],
        "updates": [update_row()],
        "update_items": [item_row("F1", "fully_implemented"), item_row("F2", "initial_steps")],
        "milestones": [
            {
                "visit_id": "KOR-2009",
                "milestone": "response_received",
                "date": "2016-06-30",
                "note": "",
                "confidentiality": "committee",
                "update_id": "KOR-U-2016",
            }
        ],
    }
    return write_bundle(folder, **(files | replaced))


def test_a_history_with_a_written_update_round_trips_byte_for_byte(engine, tmp_path, request):
    result = run_import(engine, history(tmp_path / "in"))
    assert result.ok, result.errors
    first = tmp_path / "first"
    export_bundle(engine, first, LOCAL_ADMIN)
    fresh = _fresh_database(engine, request, tmp_path)
    assert run_import(fresh, first).ok
    second = tmp_path / "second"
    export_bundle(fresh, second, LOCAL_ADMIN)

    for spec in FILES:
        assert (first / spec.name).read_bytes() == (second / spec.name).read_bytes(), spec.name
    assert (first / "updates.csv").read_text() == (
        "update_id,state,received_on,reference,summary,confidentiality,withdrawn\n"
        "KOR-U-2016,KOR,2016-06-30,Note verbale 2016/17,Six-month response on implementation,committee,\n"
    )
    assert (first / "update_items.csv").read_text() == (
        "finding_id,update_id,status,evidence,confidentiality,withdrawn\n"
        "F1,KOR-U-2016,fully_implemented,As the State reports,committee,\n"
        "F2,KOR-U-2016,initial_steps,As the State reports,committee,\n"
    )
    assert (first / "states.csv").read_text() == "iso3,name,region\nVAT,Holy See,Western European and Others\n"
    assert "2331,2016,Trafficking in persons,2016-12-20\n" in (first / "resolutions.csv").read_text()
    assert (
        "1373,2001,Threats to international peace and security caused by terrorist acts,2001-09-28\n"
        in (first / "resolutions.csv").read_text()
    )
    assert "GCTF,Global Counterterrorism Forum\n" in (first / "partners.csv").read_text()
    assert "F1,KOR-2009,LEG,shortfall,Finding F1,,false,,2331;2388," in (first / "findings.csv").read_text()
    assert "F1,KOR-2023,partially_implemented,,2024-02-01,committee," in (first / "assessments.csv").read_text()
    assert "KOR-2009,response_received,2016-06-30,,committee,KOR-U-2016\n" in (first / "milestones.csv").read_text()
    assert (first / "meetings.csv").read_text() == (
        "meeting_id,visit_id,date,kind,counterpart,sector,partners,area,notes,confidentiality,withdrawn\n"
        "KOR-2023-M01,KOR-2023,2023-05-22,roundtable,National counter-terrorism roundtable,"
        "academia;civil_society;government;private_sector,GCTF;IOM;UNODC,,,committee,\n"
    )
    again = run_import(engine, first)
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())


def test_an_added_entity_is_not_a_member_state(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok
    with engine.connect() as connection:
        flags = dict(connection.execute(select(MemberState.iso3, MemberState.member_state)).all())
        adopted = dict(connection.execute(select(Resolution.number, Resolution.adopted_on)).all())
    assert flags["VAT"] is False and flags["KOR"] is True
    assert adopted[1373] == dt.date(2001, 9, 28) and adopted[2617] == dt.date(2021, 12, 30)
    assert adopted[2331] == dt.date(2016, 12, 20)


def test_a_written_update_changes_no_figure(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "without", updates=[], update_items=[], milestones=[])).ok
    before = compare(engine, LOCAL_ADMIN, "KOR")
    assert run_import(engine, history(tmp_path / "with")).ok
    after = compare(engine, LOCAL_ADMIN, "KOR")

    assert after == before
    assert before["status_counts"]["partially_implemented"] == 1
    assert before["status_counts"]["largely_implemented"] == 1
    assert "fully_implemented" not in before["status_counts"] or before["status_counts"]["fully_implemented"] == 0


def _errors(engine, folder) -> list[str]:
    before = snapshot(engine)
    result = run_import(engine, folder)
    assert snapshot(engine) == before
    return [str(error) for error in result.errors]


def test_an_update_item_of_another_state_is_refused(engine, tmp_path):
    folder = history(tmp_path / "in", update_items=[item_row("V1", "initial_steps")])

    assert _errors(engine, folder) == [
        "update_items.csv:2: finding_id: finding V1 is of VAT but update KOR-U-2016 is from KOR; "
        "record the status in an update from VAT"
    ]


def test_an_update_dated_before_the_item_was_raised_is_refused(engine, tmp_path):
    folder = history(tmp_path / "in", updates=[update_row(received_on="2008-01-15")], milestones=[])

    assert _errors(engine, folder) == [
        "update_items.csv:2: update_id: update KOR-U-2016 was received on 2008-01-15, before visit KOR-2009 "
        "raised finding F1; name a later update",
        "update_items.csv:3: update_id: update KOR-U-2016 was received on 2008-01-15, before visit KOR-2009 "
        "raised finding F2; name a later update",
    ]


def test_an_unknown_update_or_finding_is_refused(engine, tmp_path):
    folder = history(tmp_path / "in", update_items=[item_row("F9", "initial_steps", update_id="KOR-U-2099")])

    assert _errors(engine, folder) == [
        "update_items.csv:2: update_id: update KOR-U-2099 is neither in updates.csv nor in the database; "
        "add it to updates.csv",
        "update_items.csv:2: finding_id: finding F9 is neither in findings.csv nor in the database; "
        "add it to findings.csv",
    ]


def test_a_resolution_seeded_with_another_year_is_refused(engine, tmp_path):
    folder = history(
        tmp_path / "in", resolutions=[*ADDED_RESOLUTIONS, {"number": "2178", "year": "2015", "title": "FTF"}]
    )

    assert _errors(engine, folder) == [
        "resolutions.csv:4: year: resolution 2178 was adopted in 2014, not 2015; write 2014, or correct the number"
    ]


def test_an_unknown_resolution_says_how_to_add_it(engine, tmp_path):
    folder = history(tmp_path / "in", resolutions=[])

    assert _errors(engine, folder) == [
        f"findings.csv:{line}: resolutions: resolution {number} is not in the reference list; correct the number, "
        "or add it to resolutions.csv (number,year,title,adopted_on) or with 'tracker reference add-resolution'"
        for line, number in ((2, 2331), (2, 2388), (3, 2331))
    ]


def test_a_state_code_of_a_member_state_is_refused(engine, tmp_path):
    folder = history(tmp_path / "in", states=[HOLY_SEE, {"iso3": "KOR", "name": "Korea", "region": "Asia-Pacific"}])

    assert _errors(engine, folder) == [
        "states.csv:3: iso3: KOR is the code of the UN Member State Republic of Korea; give the entity a code of "
        "its own (rename a Member State with 'tracker reference rename-state')"
    ]


def test_an_unknown_partner_is_refused(engine, tmp_path):
    from tracker.taxonomy import PARTNERS

    folder = history(tmp_path / "in", partners=[])
    known = ", ".join(sorted(code for code, _ in PARTNERS))
    message = (
        f"partners: GCTF is not a known partner organisation; use one of {known}, "
        "or add it to partners.csv (or with 'tracker reference add-partner')"
    )

    assert _errors(engine, folder) == [f"visits.csv:2: {message}", f"meetings.csv:2: {message}"]


def test_the_workbook_bundle_and_data_package_carry_the_new_files(engine, tmp_path, request):
    import json

    assert run_import(engine, history(tmp_path / "in")).ok
    export_bundle(engine, tmp_path / "bundle.xlsx", LOCAL_ADMIN)
    fresh = _fresh_database(engine, request, tmp_path)
    result = run_import(fresh, tmp_path / "bundle.xlsx")
    assert result.ok, result.errors
    export_bundle(engine, tmp_path / "first", LOCAL_ADMIN)
    export_bundle(fresh, tmp_path / "second", LOCAL_ADMIN)

    for name in NEW_FILES:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name
    package = json.loads((tmp_path / "first" / "datapackage.json").read_text())
    resources = {resource["name"]: resource for resource in package["resources"]}
    assert {name.removesuffix(".csv") for name in NEW_FILES} <= set(resources)
    assert resources["update_items"]["schema"]["foreignKeys"][1] == {
        "fields": "update_id",
        "reference": {"resource": "updates", "fields": "update_id"},
    }


def test_the_matrix_shows_the_dated_assessment_and_the_latest_update_self_reported(engine, tmp_path):
    import datetime as dt

    import openpyxl

    from tracker.models import Assessment
    from tracker.services.bundle import matrix
    from tracker.services.bundle.importer import import_bundle
    from tracker.services.bundle.sources import sources_from_paths

    assert run_import(engine, history(tmp_path / "in")).ok
    shown = matrix.state_matrix(engine, LOCAL_ADMIN, "KOR").in_words()
    assert shown[["Id", "KOR-2023 status", "KOR-2023 assessed on", "Latest State update"]].values.tolist() == [
        ["F1", "Partially implemented", "2024-02-01", "Fully implemented (self-reported, 2016-06-30, KOR-U-2016)"],
        ["F2", "Largely implemented", "2023-05-25", "Initial steps (self-reported, 2016-06-30, KOR-U-2016)"],
    ]
    path = tmp_path / "kor.xlsx"
    matrix.save_matrix([matrix.state_matrix(engine, LOCAL_ADMIN, "KOR")], path)
    book = openpyxl.load_workbook(path)
    sheet = book["KOR"]
    header = [cell.value for cell in sheet[1]]
    assert header[8:] == ["KOR-2023 status", "KOR-2023 evidence", "KOR-2023 assessed on", "Latest State update"]
    assert sheet.cell(2, 12).value == "Fully implemented (self-reported, 2016-06-30, KOR-U-2016)"
    # A re-assessment made between visits keeps the date the analyst gives, typed as a date or as text.
    sheet.cell(3, 11).value = dt.datetime(2024, 9, 30)
    sheet.cell(2, 11).value = "2024-03-15"
    book.save(path)

    result = import_bundle(engine, sources_from_paths([path]), LOCAL_ADMIN)

    assert result.ok, [str(e) for e in result.errors]
    assert result.counts["assessments.csv"].updated == 2
    with engine.connect() as connection:
        dates = dict(connection.execute(select(Assessment.finding_id, Assessment.assessed_on)).all())
    assert dates == {"F1": dt.date(2024, 3, 15), "F2": dt.date(2024, 9, 30)}


def test_the_period_report_of_the_update_year_lists_it_self_reported(engine, tmp_path):
    from tracker.services.reports.builder import build_period_report
    from tracker.services.reports.documents import render

    assert run_import(engine, history(tmp_path / "in")).ok

    text = render(
        build_period_report(engine, LOCAL_ADMIN, dt.date(2016, 1, 1), dt.date(2016, 12, 31)), "md", charts=False
    ).decode()
    other_year = render(
        build_period_report(engine, LOCAL_ADMIN, dt.date(2023, 1, 1), dt.date(2023, 12, 31)), "md", charts=False
    ).decode()

    start = text.index("Written updates from States")
    section = text[start : start + 1200]
    assert "Republic of Korea: update KOR-U-2016" in section
    assert "Received 30 June 2016, Note verbale 2016/17." in section
    assert "| F1 | Finding F1 | Fully implemented (self-reported) | As the State reports |" in section
    assert "| F2 | Finding F2 | Initial steps (self-reported) | As the State reports |" in section
    other = other_year[other_year.index("Written updates from States") :]
    assert other.split("\n\n")[1] == "5\\. None received in the period at the Restricted level."


def test_an_added_entity_is_listed_as_not_a_member_state(engine, tmp_path):
    from tracker.services.progress.comparison import followup_visits
    from tracker.services.records.editing import reference_options

    folder = history(
        tmp_path / "in",
        visits=[
            visit_row(partners="GCTF"),
            followup_row(),
            visit_row("VAT-2020", state="VAT", start_date="2020-03-04", end_date="2020-03-05"),
            followup_row("VAT-2024", baseline="VAT-2020", state="VAT", start_date="2024-03-04", end_date="2024-03-05"),
        ],
        findings=[finding_row("F1"), finding_row("F2", kind="recommendation"), finding_row("V1", visit_id="VAT-2020")],
    )
    assert run_import(engine, folder).ok

    options = reference_options(engine)["states"]
    assert options["VAT"] == "Holy See (not a UN Member State)"
    assert options["KOR"] == "Republic of Korea"
    names = dict(followup_visits(engine, LOCAL_ADMIN)[["state", "state_name"]].values.tolist())
    assert names == {"KOR": "Republic of Korea", "VAT": "Holy See (not a UN Member State)"}


def test_the_state_report_shows_the_latest_update_beside_the_verified_status(engine, tmp_path):
    from tracker.services.reports.builder import build_state_report
    from tracker.services.reports.documents import render

    assert run_import(engine, history(tmp_path / "in")).ok

    text = render(build_state_report(engine, LOCAL_ADMIN, "KOR"), "md", charts=False).decode()

    annex = text[text.index("Annex: all items") :]
    assert "| Status at follow-up | Assessed on | Evidence | Latest State update (self-reported) | Level |" in annex
    # The status with the date it refers to: a re-assessment made between visits keeps its own date.
    assert (
        "| Partially implemented | 1 February 2024 |  | Fully implemented (self-reported, 2016-06-30, KOR-U-2016) "
        "| Committee |"
    ) in annex
    assert "| F2 | Counter-terrorism legislation |  | Finding F2 | Largely implemented | 25 May 2023 |" in annex


def test_a_withdrawn_update_item_is_no_longer_shown_and_a_used_update_is_not_deleted(engine, tmp_path):
    import pytest

    from tracker.errors import TrackerError
    from tracker.services.bundle import matrix
    from tracker.services.records import withdrawal

    assert run_import(engine, history(tmp_path / "in")).ok
    withdrawal.withdraw(engine, LOCAL_ADMIN, "update_item", "F1/KOR-U-2016", "entered twice")

    shown = matrix.state_matrix(engine, LOCAL_ADMIN, "KOR").in_words().set_index("Id")
    assert shown.loc["F1", "Latest State update"] == ""
    assert shown.loc["F2", "Latest State update"] == "Initial steps (self-reported, 2016-06-30, KOR-U-2016)"
    with pytest.raises(TrackerError) as refused:
        withdrawal.delete_permanently(engine, LOCAL_ADMIN, "state_update", "KOR-U-2016")
    assert str(refused.value) == (
        "state_update KOR-U-2016 cannot be deleted: other rows (update items) depend on it; "
        "withdraw it instead, or delete those rows first."
    )
