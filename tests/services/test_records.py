"""The records service: the dashboard's lists, and its saves through the importer's rules."""

import csv
import datetime as dt
from importlib.resources import files

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import assessment_row, finding_row, followup_row, visit_row, write_bundle
from tracker.errors import NotFound, PermissionDenied, ValidationFailed
from tracker.models import Assessment, AuditEvent, Confidentiality, Finding, Meeting, Role, Visit
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people import audit
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.records import editing as records

ANALYST = Actor("ana", Role.analyst, Confidentiality.restricted)
VIEWER = Actor("vic", Role.viewer, Confidentiality.restricted)


def new_finding(**overrides) -> dict:
    return {
        "finding_id": "KOR-2023-F99",
        "visit_id": "KOR-2023",
        "area": "ICT.ONLINE_CONTENT",
        "kind": "shortfall",
        "title": "No notice-and-action procedure for terrorist content",
        "detail": "",
        "priority": False,
        "severity": "moderate",
        "resolutions": [2396],
        "source_ref": "",
        "continues": "",
        "confidentiality": "committee",
    } | overrides


def count(engine, table, *where) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def audit_events(engine, entity: str, key: str) -> list[str]:
    """The row's events, oldest first, as the audit trail lists them (a creation read from its import)."""
    found = audit.events(engine, LOCAL_ADMIN, entity=entity, key=key)
    return list(reversed(found[found["key"] == key]["action"].tolist()))


# ---------------------------------------------------------------- lists


def test_list_visits_gives_partners_resolutions_and_counts(demo_engine):
    visits = records.list_visits(demo_engine, LOCAL_ADMIN).set_index("visit_id")

    assert list(visits.index) == ["KOR-2023", "KOR-2009"]
    assert visits.loc["KOR-2023", "partners"] == "ICAO; IMO; UNODC"
    assert visits.loc["KOR-2023", "resolutions"] == "1373; 2178; 2396"
    assert visits.loc["KOR-2023", "baseline_visit_id"] == "KOR-2009"
    assert visits.loc["KOR-2009", "baseline_visit_id"] == ""
    assert visits.loc["KOR-2009", "findings"] == count(demo_engine, Finding, Finding.visit_id == "KOR-2009")
    assert visits.loc["KOR-2023", "meetings"] == count(demo_engine, Meeting, Meeting.visit_id == "KOR-2023")


def test_list_findings_matches_an_area_with_its_sub_areas(demo_engine):
    frame, total = records.list_findings(demo_engine, LOCAL_ADMIN, area="BM")

    assert total == len(frame) > 0
    assert all(area == "BM" or area.startswith("BM.") for area in frame["area"])
    assert total == count(demo_engine, Finding, Finding.area.like("BM%"))


def test_list_findings_filters_by_status_at_the_latest_assessment(demo_engine):
    frame, total = records.list_findings(demo_engine, LOCAL_ADMIN, status="fully_implemented")

    assert total == count(demo_engine, Assessment, Assessment.status == "fully_implemented")
    assert set(frame["status"]) == {"fully_implemented"}
    assert set(frame["assessed_at"]) == {"KOR-2023"}


def test_list_findings_gives_unassessed_trackable_items_not_assessed_and_others_no_status(demo_engine):
    frame, _ = records.list_findings(demo_engine, LOCAL_ADMIN, visit_id="KOR-2023")

    trackable = frame["kind"].isin(["shortfall", "recommendation"])
    assert set(frame.loc[trackable, "status"]) == {"not_assessed"}
    assert set(frame.loc[~trackable, "status"]) == {""}


def test_list_findings_searches_id_title_and_detail_whatever_the_case(demo_engine):
    with (files("tracker") / "demo" / "findings.csv").open(encoding="utf-8") as handle:
        expected = {
            row["finding_id"]
            for row in csv.DictReader(handle)
            if "screen" in (row["finding_id"] + row["title"] + row["detail"]).lower()
        }

    frame, total = records.list_findings(demo_engine, LOCAL_ADMIN, text="  SCREEN ")

    assert len(expected) >= 2
    assert set(frame["finding_id"]) == expected and total == len(expected)


def test_list_findings_returns_at_most_the_limit_and_says_how_many_match(demo_engine):
    limited, total = records.list_findings(demo_engine, LOCAL_ADMIN, limit=5)

    assert len(limited) == 5 and total == count(demo_engine, Finding)


def test_lists_leave_out_rows_above_the_readers_clearance(demo_engine):
    public_reader = Actor("pub", Role.viewer, Confidentiality.public)

    frame, total = records.list_findings(demo_engine, public_reader)
    meetings = records.list_meetings(demo_engine, public_reader)

    assert total == count(demo_engine, Finding, Finding.confidentiality == "public")
    assert set(frame["confidentiality"]) <= {"public"}
    assert set(meetings["confidentiality"]) <= {"public"}
    assert records.meeting_footprint(demo_engine, public_reader, "KOR-2023")["meetings"].sum() == len(
        meetings[meetings["visit_id"] == "KOR-2023"]
    )
    with pytest.raises(NotFound):
        records.get_finding(demo_engine, public_reader, "KOR-2009-F01")


def test_meeting_footprint_counts_every_meeting_once_by_kind_and_sector(demo_engine):
    footprint = records.meeting_footprint(demo_engine, LOCAL_ADMIN, "KOR-2023")

    assert footprint["meetings"].sum() == count(demo_engine, Meeting, Meeting.visit_id == "KOR-2023")
    assert not footprint.duplicated(["kind", "sector"]).any()


def test_assessment_worksheet_lists_the_baseline_items_the_comparison_counts(demo_engine):
    from tracker.services.progress.comparison import compare

    sheet = records.assessment_worksheet(demo_engine, LOCAL_ADMIN, "KOR-2023")
    totals = compare(demo_engine, LOCAL_ADMIN, "KOR")["totals"]

    assert len(sheet) == totals["baseline_gaps"] + totals["baseline_recommendations"]
    assert set(sheet["kind"]) == {"shortfall", "recommendation"}


# ---------------------------------------------------------------- the worksheet diff


def sheet(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["finding_id", "title", "status", "evidence"])


def test_assessment_changes_lists_rows_whose_status_or_evidence_changed():
    before = sheet(
        [("F1", "a", "not_assessed", ""), ("F2", "b", "initial_steps", "old"), ("F3", "c", "not_implemented", "x")]
    )
    after = sheet(
        [("F1", "a", "fully_implemented", ""), ("F2", "b", "initial_steps", "new"), ("F3", "c", "not_implemented", "x")]
    )

    assert records.assessment_changes(before, after) == [
        {"finding_id": "F1", "status": "fully_implemented", "evidence": ""},
        {"finding_id": "F2", "status": "initial_steps", "evidence": "new"},
    ]


def test_assessment_changes_ignores_blanks_around_evidence_and_missing_values():
    before = sheet([("F1", "a", "initial_steps", "text"), ("F2", "b", "not_assessed", None)])
    after = sheet([("F1", "a", "initial_steps", "  text \n"), ("F2", "b", "not_assessed", "")])

    assert records.assessment_changes(before, after) == []


def test_assessment_changes_does_not_touch_its_inputs():
    before = sheet([("F1", "a", "not_assessed", None)])
    after = sheet([("F1", "a", "initial_steps", None)])
    copies = before.copy(), after.copy()

    records.assessment_changes(before, after)

    pd.testing.assert_frame_equal(before, copies[0])
    pd.testing.assert_frame_equal(after, copies[1])


# ---------------------------------------------------------------- saves


def test_save_finding_adds_it_with_its_audit_event(demo_engine):
    counts = records.save_finding(demo_engine, ANALYST, new_finding(), new=True)

    assert (counts.created, counts.updated) == (1, 0)
    saved = records.get_finding(demo_engine, ANALYST, "KOR-2023-F99")
    assert saved["area"] == "ICT.ONLINE_CONTENT" and saved["resolutions"] == [2396] and saved["severity"] == "moderate"
    assert audit_events(demo_engine, "finding", "KOR-2023-F99") == ["create"]


def test_save_finding_edits_only_what_changed(demo_engine):
    original = records.get_finding(demo_engine, ANALYST, "KOR-2009-F01")

    counts = records.save_finding(demo_engine, ANALYST, original | {"title": "A clearer title"})

    assert (counts.created, counts.updated) == (0, 1)
    assert records.get_finding(demo_engine, ANALYST, "KOR-2009-F01") == original | {"title": "A clearer title"}
    assert audit_events(demo_engine, "finding", "KOR-2009-F01")[-1] == "update"
    assert records.save_finding(demo_engine, ANALYST, original | {"title": "A clearer title"}).unchanged == 1


def test_save_finding_refuses_to_add_over_an_existing_finding(demo_engine):
    with pytest.raises(ValidationFailed) as failure:
        records.save_finding(demo_engine, ANALYST, new_finding(finding_id="KOR-2009-F01"), new=True)

    assert "already exists" in records.field_errors(failure.value)["finding_id"]
    assert records.get_finding(demo_engine, ANALYST, "KOR-2009-F01")["visit_id"] == "KOR-2009"


def test_save_finding_refuses_to_edit_a_finding_that_does_not_exist(demo_engine):
    with pytest.raises(ValidationFailed) as failure:
        records.save_finding(demo_engine, ANALYST, new_finding(finding_id="NOPE-1"), new=False)

    assert "add it as a new finding" in records.field_errors(failure.value)["finding_id"]
    assert count(demo_engine, Finding, Finding.finding_id == "NOPE-1") == 0


def test_save_finding_reports_each_broken_reference_by_field_and_writes_nothing(demo_engine):
    before_audit = count(demo_engine, AuditEvent)

    with pytest.raises(ValidationFailed) as failure:
        records.save_finding(
            demo_engine, ANALYST, new_finding(visit_id="XXX-2023", area="NOPE", resolutions=[9999]), new=True
        )

    errors = records.field_errors(failure.value)
    assert set(errors) == {"visit_id", "area", "resolutions"}
    assert "XXX-2023" in errors["visit_id"] and "NOPE" in errors["area"] and "9999" in errors["resolutions"]
    assert str(failure.value).startswith("nothing was saved")
    assert count(demo_engine, Finding, Finding.finding_id == "KOR-2023-F99") == 0
    assert count(demo_engine, AuditEvent) == before_audit


def test_save_finding_reports_invalid_values_by_field(demo_engine):
    with pytest.raises(ValidationFailed) as failure:
        records.save_finding(demo_engine, ANALYST, new_finding(kind="gap", severity="huge"), new=True)

    assert set(records.field_errors(failure.value)) == {"kind", "severity"}


def test_save_finding_checks_a_continued_finding_is_earlier_and_of_the_same_state(demo_engine):
    with pytest.raises(ValidationFailed) as failure:
        records.save_finding(demo_engine, ANALYST, new_finding(visit_id="KOR-2009", continues="KOR-2023-F01"), new=True)

    assert "earlier" in records.field_errors(failure.value)["continues"]


def test_a_viewer_cannot_save(demo_engine):
    with pytest.raises(PermissionDenied):
        records.save_finding(demo_engine, VIEWER, new_finding(), new=True)
    with pytest.raises(PermissionDenied):
        records.save_assessments(demo_engine, VIEWER, "KOR-2023", [])
    assert count(demo_engine, Finding, Finding.finding_id == "KOR-2023-F99") == 0


def test_save_refuses_a_level_above_the_savers_clearance(demo_engine):
    committee_analyst = Actor("cat", Role.analyst, Confidentiality.committee)

    with pytest.raises(ValidationFailed) as failure:
        records.save_finding(demo_engine, committee_analyst, new_finding(confidentiality="restricted"), new=True)

    assert "clearance" in records.field_errors(failure.value)["confidentiality"]


# Control characters other than tab and line ends are refused (a test of its own says so).
REFUSED = "".join(map(chr, [*range(9), 11, 12, *range(14, 32), 127]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters=REFUSED), min_size=1, max_size=80
    ).filter(lambda t: t.strip()),
    detail=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=REFUSED), max_size=200),
)
def test_any_text_saved_through_a_form_reads_back_unchanged_but_trimmed(demo_engine, title, detail):
    records.save_finding(demo_engine, ANALYST, new_finding(finding_id="KOR-2023-F01", title=title, detail=detail))

    saved = records.get_finding(demo_engine, ANALYST, "KOR-2023-F01")
    assert (saved["title"], saved["detail"]) == (title.strip(), detail.strip())


def test_save_visit_and_meeting_add_and_edit(demo_engine):
    visit = {
        "visit_id": "KOR-2030",
        "state": "KOR",
        "kind": "follow_up",
        "modality": "hybrid",
        "start_date": "2030-03-04",
        "end_date": "2030-03-06",
        "baseline_visit_id": "KOR-2023",
        "lead": "Lead",
        "partners": ["UNODC"],
        "resolutions": [1373],
        "summary": "",
        "confidentiality": "committee",
    }
    records.save_visit(demo_engine, ANALYST, visit | {"start_date": dt.date(2030, 3, 4)}, new=True)
    records.save_meeting(
        demo_engine,
        ANALYST,
        {
            "meeting_id": "KOR-2030-M01",
            "visit_id": "KOR-2030",
            "date": dt.date(2030, 3, 4),
            "kind": "technical",
            "counterpart": "Ministry of Justice",
            "sector": "government",
            "area": "",
            "notes": "",
            "confidentiality": "committee",
        },
        new=True,
    )
    records.save_visit(
        demo_engine, ANALYST, records.get_visit(demo_engine, ANALYST, "KOR-2030") | {"partners": ["UNODC", "ICAO"]}
    )

    saved = records.get_visit(demo_engine, ANALYST, "KOR-2030")
    assert saved["partners"] == ["ICAO", "UNODC"] and saved["start_date"] == dt.date(2030, 3, 4)
    assert records.get_meeting(demo_engine, ANALYST, "KOR-2030-M01")["counterpart"] == "Ministry of Justice"
    assert audit_events(demo_engine, "visit", "KOR-2030") == ["create", "update"]


def test_save_visit_reports_a_baseline_of_another_state(demo_engine):
    visit = {
        "visit_id": "JPN-2030",
        "state": "JPN",
        "kind": "follow_up",
        "start_date": "2030-03-04",
        "end_date": "2030-03-06",
        "baseline_visit_id": "KOR-2009",
    }

    with pytest.raises(ValidationFailed) as failure:
        records.save_visit(demo_engine, ANALYST, visit, new=True)

    assert "same state" in records.field_errors(failure.value)["baseline_visit_id"]
    assert count(demo_engine, Visit, Visit.visit_id == "JPN-2030") == 0


def test_save_assessments_writes_every_change_in_one_go(demo_engine):
    counts = records.save_assessments(
        demo_engine,
        ANALYST,
        "KOR-2023",
        [
            {"finding_id": "KOR-2009-F01", "status": "largely_implemented", "evidence": "Revised"},
            {"finding_id": "KOR-2009-F05", "status": "fully_implemented", "evidence": "Multi\nline"},
        ],
    )

    sheet = records.assessment_worksheet(demo_engine, ANALYST, "KOR-2023").set_index("finding_id")
    assert counts.created + counts.updated == 2
    assert sheet.loc["KOR-2009-F01", ["status", "evidence"]].tolist() == ["largely_implemented", "Revised"]
    assert sheet.loc["KOR-2009-F05", ["status", "evidence"]].tolist() == ["fully_implemented", "Multi\nline"]
    assert audit_events(demo_engine, "assessment", "KOR-2009-F01/KOR-2023") == ["create", "update"]


def test_save_assessments_saves_none_when_one_change_is_wrong(demo_engine):
    before = records.assessment_worksheet(demo_engine, ANALYST, "KOR-2023")

    with pytest.raises(ValidationFailed) as failure:
        records.save_assessments(
            demo_engine,
            ANALYST,
            "KOR-2023",
            [
                {"finding_id": "KOR-2009-F01", "status": "not_implemented", "evidence": "A long\nnote"},
                {"finding_id": "KOR-2009-F02", "status": "done"},
                {"finding_id": "KOR-2023-F01", "status": "fully_implemented"},
            ],
        )

    problems = {(e["key"], e["field"]) for e in failure.value.errors}
    assert problems == {("KOR-2009-F02/KOR-2023", "status"), ("KOR-2023-F01/KOR-2023", "visit_id")}
    pd.testing.assert_frame_equal(records.assessment_worksheet(demo_engine, ANALYST, "KOR-2023"), before)


def test_save_assessments_with_no_change_writes_nothing(demo_engine):
    before_audit = count(demo_engine, AuditEvent)

    assert records.save_assessments(demo_engine, ANALYST, "KOR-2023", []).created == 0
    assert count(demo_engine, AuditEvent) == before_audit


def test_a_reader_never_sees_nor_erases_a_link_to_a_row_above_their_clearance(engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "hidden",
        visits=[
            visit_row("KOR-2009", confidentiality="restricted"),
            visit_row("KOR-2015", start_date="2015-01-05", end_date="2015-01-07"),
            followup_row("KOR-2023", "KOR-2009"),
        ],
        findings=[
            finding_row("KOR-2015-F1", "KOR-2015", confidentiality="restricted"),
            finding_row("KOR-2023-F1", "KOR-2023", continues="KOR-2015-F1"),
        ],
    )
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok
    reader = Actor("cat", Role.analyst, Confidentiality.committee)

    assert records.list_visits(engine, reader).set_index("visit_id").loc["KOR-2023", "baseline_visit_id"] == ""
    assert records.list_findings(engine, reader, visit_id="KOR-2023")[0]["continues"].tolist() == [""]
    visit, finding = records.get_visit(engine, reader, "KOR-2023"), records.get_finding(engine, reader, "KOR-2023-F1")
    assert "baseline_visit_id" not in visit and "continues" not in finding

    records.save_visit(engine, reader, visit | {"lead": "New lead"})
    records.save_finding(engine, reader, finding | {"title": "New title"})

    assert records.get_visit(engine, LOCAL_ADMIN, "KOR-2023")["baseline_visit_id"] == "KOR-2009"
    assert records.get_finding(engine, LOCAL_ADMIN, "KOR-2023-F1")["continues"] == "KOR-2015-F1"
    assert records.get_finding(engine, LOCAL_ADMIN, "KOR-2023-F1")["title"] == "New title"


def test_an_assessment_above_the_readers_clearance_reads_as_not_assessed(engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "hidden",
        visits=[visit_row("KOR-2009"), followup_row("KOR-2023", "KOR-2009")],
        findings=[finding_row("KOR-2009-F1"), finding_row("KOR-2009-F2")],
        assessments=[
            assessment_row("KOR-2009-F1", "fully_implemented", confidentiality="restricted"),
            assessment_row("KOR-2009-F2", "initial_steps"),
        ],
    )
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok
    committee_reader = Actor("cat", Role.viewer, Confidentiality.committee)

    def statuses(reader) -> dict:
        frame, _ = records.list_findings(engine, reader)
        return dict(zip(frame["finding_id"], zip(frame["status"], frame["assessed_at"])))

    assert statuses(LOCAL_ADMIN) == {
        "KOR-2009-F1": ("fully_implemented", "KOR-2023"),
        "KOR-2009-F2": ("initial_steps", "KOR-2023"),
    }
    assert statuses(committee_reader) == {
        "KOR-2009-F1": ("not_assessed", ""),
        "KOR-2009-F2": ("initial_steps", "KOR-2023"),
    }
    assert records.list_findings(engine, committee_reader, status="fully_implemented")[1] == 0


def test_findings_come_in_natural_id_order_a_page_at_a_time_with_the_area_name(engine, tmp_path):
    ids = ["KOR-2009-F10", "KOR-2009-F2", "KOR-2009-F1", "KOR-2009-F21", "KOR-2009-F3"]
    bundle = write_bundle(tmp_path / "b", visits=[visit_row()], findings=[finding_row(f) for f in ids])
    import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)

    first, total = records.list_findings(engine, LOCAL_ADMIN, limit=2)
    second, _ = records.list_findings(engine, LOCAL_ADMIN, limit=2, offset=2)
    rest, _ = records.list_findings(engine, LOCAL_ADMIN, limit=2, offset=4)

    assert total == 5
    assert [*first["finding_id"], *second["finding_id"], *rest["finding_id"]] == [
        "KOR-2009-F1",
        "KOR-2009-F2",
        "KOR-2009-F3",
        "KOR-2009-F10",
        "KOR-2009-F21",
    ]
    assert set(first["area_name"]) == {"Counter-terrorism legislation"}


def test_the_next_free_id_of_a_visit_follows_its_highest_number_and_width(demo_engine):
    assert records.next_finding_id(demo_engine, "KOR-2023") == "KOR-2023-F" + str(
        1
        + max(
            int(f.rsplit("F", 1)[1])
            for f in records.list_findings(demo_engine, LOCAL_ADMIN, visit_id="KOR-2023")[0]["finding_id"]
        )
    ).zfill(2)
    assert records.next_finding_id(demo_engine, "KOR-2030") == "KOR-2030-F01"
