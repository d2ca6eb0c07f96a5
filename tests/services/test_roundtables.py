"""Meetings with several sectors and the partner organisations that took part, as a roundtable has."""

import json

from sqlalchemy import select

from tests.conftest import meeting_row
from tests.services.test_between_visits import ROUNDTABLE, history
from tests.services.test_bundle import _fresh_database, run_import, snapshot
from tracker.models import MeetingPartner, MeetingSector
from tracker.services.bundle.exporter import export_bundle
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.records import editing as records
from tracker.services.records import withdrawal

TECHNICAL = meeting_row("KOR-2023-M02", sector="government", partners="UNODC")


def _with_meetings(folder, *meetings):
    return history(folder, meetings=list(meetings))


def test_a_roundtable_counts_once_as_a_meeting_and_once_under_each_of_its_sectors(engine, tmp_path):
    assert run_import(engine, _with_meetings(tmp_path / "in", ROUNDTABLE, TECHNICAL)).ok

    visits = records.list_visits(engine, LOCAL_ADMIN, state="KOR").set_index("visit_id")
    footprint = records.meeting_footprint(engine, LOCAL_ADMIN, "KOR-2023")
    by_sector = records.footprint_by_sector(footprint)

    assert visits.at["KOR-2023", "meetings"] == 2
    assert footprint.values.tolist() == [
        ["roundtable", "academia", 1],
        ["roundtable", "civil_society", 1],
        ["roundtable", "government", 1],
        ["roundtable", "private_sector", 1],
        ["technical", "government", 1],
    ]
    assert by_sector.values.tolist() == [
        ["government", 2],
        ["private_sector", 1],
        ["civil_society", 1],
        ["academia", 1],
    ]
    listed = records.list_meetings(engine, LOCAL_ADMIN, visit_id="KOR-2023").set_index("meeting_id")
    assert listed.at["KOR-2023-M01", "sector"] == "academia; civil_society; government; private_sector"
    assert listed.at["KOR-2023-M01", "partners"] == "GCTF; IOM; UNODC"
    assert listed.at["KOR-2023-M02", "partners"] == "UNODC"
    meeting = records.get_meeting(engine, LOCAL_ADMIN, "KOR-2023-M01")
    assert (meeting["sector"], meeting["partners"]) == (
        ["academia", "civil_society", "government", "private_sector"],
        ["GCTF", "IOM", "UNODC"],
    )


def test_an_unknown_sector_is_refused_naming_the_row_and_the_value(engine, tmp_path):
    folder = _with_meetings(tmp_path / "in", meeting_row("KOR-2023-M01", sector="government;press;acadmia"))
    before = snapshot(engine)

    result = run_import(engine, folder)

    assert snapshot(engine) == before
    allowed = (
        "use one of government, law_enforcement, judiciary, parliament, private_sector, civil_society, academia, "
        "international_org, other"
    )
    assert [str(error) for error in result.errors] == [
        f"meetings.csv:2: sector: 'press' is not a sector; {allowed}",
        f"meetings.csv:2: sector: 'acadmia' is not a sector; did you mean academia? {allowed}",
    ]


def test_a_blank_sector_is_the_government_and_one_sector_reads_as_before(engine, tmp_path):
    folder = _with_meetings(
        tmp_path / "in", meeting_row("KOR-2023-M01", sector=""), meeting_row("KOR-2023-M02", sector="judiciary")
    )
    assert run_import(engine, folder).ok

    with engine.connect() as connection:
        stored = connection.execute(select(MeetingSector.meeting_id, MeetingSector.sector)).all()
    assert sorted(map(tuple, stored)) == [("KOR-2023-M01", "government"), ("KOR-2023-M02", "judiciary")]


def test_the_workbook_bundle_and_the_data_package_carry_the_sectors_and_partners(engine, tmp_path, request):
    assert run_import(engine, _with_meetings(tmp_path / "in", ROUNDTABLE, TECHNICAL)).ok
    export_bundle(engine, tmp_path / "bundle.xlsx", LOCAL_ADMIN)
    fresh = _fresh_database(engine, request, tmp_path)
    assert run_import(fresh, tmp_path / "bundle.xlsx").ok
    export_bundle(engine, tmp_path / "first", LOCAL_ADMIN)
    export_bundle(fresh, tmp_path / "second", LOCAL_ADMIN)

    assert (tmp_path / "first" / "meetings.csv").read_bytes() == (tmp_path / "second" / "meetings.csv").read_bytes()
    package = json.loads((tmp_path / "first" / "datapackage.json").read_text())
    fields = {
        field["name"]: field
        for resource in package["resources"]
        if resource["name"] == "meetings"
        for field in resource["schema"]["fields"]
    }
    sectors = (
        "government|law_enforcement|judiciary|parliament|private_sector|civil_society|academia|international_org|other"
    )
    assert fields["sector"]["constraints"] == {"pattern": f"({sectors})(;({sectors}))*"}
    assert fields["partners"] == {
        "name": "partners",
        "type": "string",
        "description": "Partner organisation codes separated by ';'.",
    }


def test_the_form_saves_several_sectors_and_partners(engine, tmp_path):
    assert run_import(engine, _with_meetings(tmp_path / "in", TECHNICAL)).ok
    meeting = records.get_meeting(engine, LOCAL_ADMIN, "KOR-2023-M02")

    saved = records.save_meeting(
        engine, LOCAL_ADMIN, meeting | {"sector": ["parliament", "civil_society"], "partners": ["IOM", "UNODC"]}
    )

    assert saved.updated == 1
    assert sorted((c.field, c.old, c.new) for c in saved.changes) == [
        ("partners", ["UNODC"], ["IOM", "UNODC"]),
        ("sector", ["government"], ["civil_society", "parliament"]),
    ]
    again = records.get_meeting(engine, LOCAL_ADMIN, "KOR-2023-M02")
    assert (again["sector"], again["partners"]) == (["civil_society", "parliament"], ["IOM", "UNODC"])


def test_deleting_a_meeting_deletes_its_sectors_and_partners(engine, tmp_path):
    assert run_import(engine, _with_meetings(tmp_path / "in", ROUNDTABLE)).ok

    withdrawal.delete_permanently(engine, LOCAL_ADMIN, "meeting", "KOR-2023-M01")

    with engine.connect() as connection:
        assert connection.execute(select(MeetingSector.meeting_id)).all() == []
        assert connection.execute(select(MeetingPartner.meeting_id)).all() == []


def test_the_state_report_lists_each_meeting_with_its_sectors_and_partners(engine, tmp_path):
    from tracker.services.reports.builder import build_state_report
    from tracker.services.reports.documents import render

    assert run_import(engine, _with_meetings(tmp_path / "in", ROUNDTABLE, TECHNICAL)).ok

    text = render(build_state_report(engine, LOCAL_ADMIN, "KOR"), "md", charts=False).decode()

    held = text[text.index("Meetings held") :]
    assert "Meetings visible at this level: 2 at the follow-up visit, 0 at the baseline visit." in held
    assert (
        "At the follow-up visit, by sector (a meeting of several sectors counts once under each): "
        "Government 2, Private sector 1, Civil society 1, Academia 1."
    ) in held
    assert "| Date | Visit | Kind | Counterpart | Sectors | Partners | Notes |" in held
    assert (
        "| 22 May 2023 | KOR-2023 | Roundtable | National counter-terrorism roundtable | "
        "Academia; Civil society; Government; Private sector | GCTF; IOM; UNODC |  |"
    ) in held
