"""After the visit: milestones.csv and ta.csv in the bundle, due dates, and consent to share."""

import datetime as dt
import json
import os
import uuid

import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import assessment_row, finding_row, followup_row, meeting_row, visit_row, write_bundle
from tracker.cli import app
from tracker.models import Milestone, Role, TAProvider, TARecord, Visit
from tracker.services.after_visit import deadlines, ta_pipeline
from tracker.services.bundle.exporter import export_bundle
from tracker.services.bundle.files import FILES
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people import audit
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.progress import comparison
from tracker.services.records import editing as records
from tracker.services.reports.documents import build_period_report, build_state_report, render

runner = CliRunner()


def _fresh_database(engine, request, tmp_path):
    """An empty second database of the same kind as `engine`, in a schema of this test's own."""
    from sqlalchemy import text

    from tracker import db
    from tracker.services.operations.reference import seed_reference_data

    if engine.dialect.name == "sqlite":
        other = db.get_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    else:
        schema = f"tracker_fresh_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
        other = db.get_engine(url.render_as_string(hide_password=False))

        def drop() -> None:
            other.dispose()
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))

        request.addfinalizer(drop)
    db.upgrade(other)
    seed_reference_data(other)
    return other


def milestone_row(visit_id="KOR-2023", milestone="draft_sent", date="2023-08-14", **overrides) -> dict:
    row = {"visit_id": visit_id, "milestone": milestone, "date": date, "note": "", "confidentiality": "committee"}
    return row | overrides


def ta_row(finding_id, status="identified", **overrides) -> dict:
    row = {
        "finding_id": finding_id,
        "status": status,
        "providers": "",
        "addresses": "",
        "updated_on": "",
        "note": "",
        "confidentiality": "committee",
    }
    return row | overrides


def run_import(engine, folder):
    return import_bundle(engine, sources_from_paths([folder]), LOCAL_ADMIN)


def count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def after_visit_bundle(folder, **visit):
    return write_bundle(
        folder,
        visits=[visit_row(), followup_row(**visit)],
        findings=[
            finding_row("KOR-2023-S1", "KOR-2023"),
            finding_row("KOR-2023-T1", "KOR-2023", kind="ta_need", title='=Training, in "quotes"'),
            finding_row("KOR-2023-T2", "KOR-2023", kind="ta_need"),
        ],
        milestones=[
            milestone_row(note="Sent by e-mail\nto the mission"),
            milestone_row(milestone="observations_received", date="2023-09-11", note="-late by a day"),
        ],
        ta=[
            ta_row(
                "KOR-2023-T1",
                "in_delivery",
                providers="unodc; ICAO",
                addresses="KOR-2023-S1",
                updated_on="2024-02-01",
                note="@first course given",
            ),
            ta_row("KOR-2023-T2", confidentiality="state_and_cted"),
        ],
    )


# ---------------------------------------------------------------- bundle files


def test_milestones_ta_and_consent_round_trip_byte_identical(engine, tmp_path, request):
    result = run_import(engine, after_visit_bundle(tmp_path / "in", consent="ta_needs_only", consent_date="2024-01-15"))
    assert result.ok, result.errors
    first = tmp_path / "first"
    export_bundle(engine, first, LOCAL_ADMIN)
    fresh = _fresh_database(engine, request, tmp_path)

    assert run_import(fresh, first).ok
    second = tmp_path / "second"
    export_bundle(fresh, second, LOCAL_ADMIN)

    for spec in FILES:
        assert (first / spec.name).read_bytes() == (second / spec.name).read_bytes(), spec.name
    assert (first / "ta.csv").read_text() == (
        "finding_id,status,providers,addresses,updated_on,note,confidentiality\n"
        "KOR-2023-T1,in_delivery,ICAO;UNODC,KOR-2023-S1,2024-02-01,'@first course given,committee\n"
        "KOR-2023-T2,identified,,,,,state_and_cted\n"
    )
    assert (first / "milestones.csv").read_text() == (
        "visit_id,milestone,date,note,confidentiality,update_id\n"
        'KOR-2023,draft_sent,2023-08-14,"Sent by e-mail\nto the mission",committee,\n'
        "KOR-2023,observations_received,2023-09-11,'-late by a day,committee,\n"
    )
    visits = (first / "visits.csv").read_text().splitlines()
    assert visits[0].endswith(",confidentiality,consent,consent_date,withdrawn")
    assert visits[1].endswith(",committee,none,,") and visits[2].endswith(",committee,ta_needs_only,2024-01-15,")
    again = run_import(engine, first)
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())


def test_milestone_and_ta_writes_leave_audit_events(engine, tmp_path):
    assert run_import(engine, after_visit_bundle(tmp_path / "in")).ok
    trail = pd.concat([audit.events(engine, LOCAL_ADMIN, entity=e) for e in ("milestone", "ta_record")])
    events = list(trail[["entity", "key"]].itertuples(index=False, name=None))
    assert sorted(events) == [
        ("milestone", "KOR-2023/draft_sent"),
        ("milestone", "KOR-2023/observations_received"),
        ("ta_record", "KOR-2023-T1"),
        ("ta_record", "KOR-2023-T2"),
    ]

    deadlines.save_milestone(engine, LOCAL_ADMIN, milestone_row(milestone="adopted", date="2023-11-20"))
    trail = audit.events(engine, LOCAL_ADMIN, entity="milestone", key="KOR-2023/adopted")
    (changes,) = trail[trail["action"] == "create"]["changes"]
    assert json.loads(changes)["date"] == [None, "2023-11-20"]


def test_bad_dates_unknown_milestones_and_unknown_providers_are_refused_with_nothing_written(engine, tmp_path):
    folder = write_bundle(
        tmp_path / "bad",
        visits=[visit_row(), followup_row()],
        findings=[
            finding_row("KOR-2023-T1", "KOR-2023", kind="ta_need"),
            finding_row("KOR-2023-G1", "KOR-2023", kind="good_practice"),
        ],
        milestones=[
            milestone_row(date="14/08/2023"),
            milestone_row(milestone="report_sent"),
            milestone_row(milestone="adopted", date="2022-01-01"),
            milestone_row("KOR-2099", milestone="adopted"),
        ],
        ta=[
            ta_row("KOR-2023-T1", "matched", providers="UNODC;ACME", updated_on="2024-13-01"),
            ta_row("KOR-2023-G1", "waiting", addresses="KOR-2023-T1"),
        ],
    )

    result = run_import(engine, folder)

    assert [str(e) for e in result.errors] == [
        "milestones.csv:2: date: '14/08/2023' is not a date; write it as YYYY-MM-DD",
        "milestones.csv:3: milestone: 'report_sent' is not a milestone; did you mean draft_sent? use one of "
        "draft_sent, observations_received, adopted, transmitted, response_received",
        "milestones.csv:4: date: 2022-01-01 is before visit KOR-2023 started; a milestone comes after the visit",
        "milestones.csv:5: visit_id: visit KOR-2099 is neither in visits.csv nor in the database; add it to visits.csv",
        "ta.csv:2: updated_on: '2024-13-01' is not a date; write it as YYYY-MM-DD",
        "ta.csv:3: status: 'waiting' is not a status; use one of identified, agreed_by_state, "
        "shared_with_providers, matched, in_delivery, delivered, declined",
    ]
    assert count(engine, Visit) == 0 and count(engine, Milestone) == 0 and count(engine, TARecord) == 0

    result = run_import(
        engine,
        write_bundle(
            tmp_path / "refs",
            visits=[visit_row(), followup_row()],
            findings=[
                finding_row("KOR-2023-T1", "KOR-2023", kind="ta_need"),
                finding_row("KOR-2023-G1", "KOR-2023", kind="good_practice"),
            ],
            ta=[
                ta_row("KOR-2023-T1", "matched", providers="UNODC;ACME", addresses="KOR-2023-G1"),
                ta_row("KOR-2023-G1", "identified"),
                ta_row("KOR-2023-T9", "identified"),
            ],
        ),
    )
    messages = [str(e) for e in result.errors]
    assert messages[0].startswith("ta.csv:2: providers: ACME is not a known partner organisation; use one of APG, AU,")
    assert messages[1:] == [
        "ta.csv:2: addresses: finding KOR-2023-G1 is a good_practice; name the shortfall or recommendation the TA need answers",
        "ta.csv:3: finding_id: finding KOR-2023-G1 is a good_practice; a TA record belongs to a ta_need finding",
        "ta.csv:4: finding_id: finding KOR-2023-T9 is neither in findings.csv nor in the database; add it to findings.csv",
    ]
    assert count(engine, Visit) == 0 and count(engine, TAProvider) == 0


def test_a_visit_without_a_consent_column_keeps_its_consent_and_new_visits_start_at_none(engine, tmp_path):
    assert run_import(engine, write_bundle(tmp_path / "a", visits=[visit_row(consent="full")])).ok
    old_style = tmp_path / "old"
    old_style.mkdir()
    (old_style / "visits.csv").write_text(
        "visit_id,state,kind,start_date,end_date,lead\n"
        "KOR-2009,KOR,comprehensive,2009-09-14,2009-09-17,New lead\n"
        "KOR-2012,KOR,focused,2012-03-01,2012-03-02,\n"
    )
    assert run_import(engine, old_style).ok
    with engine.connect() as connection:
        consents = dict(connection.execute(select(Visit.visit_id, Visit.consent)).all())
    assert consents == {"KOR-2009": "full", "KOR-2012": "none"}


def test_an_unknown_consent_is_refused(engine, tmp_path):
    result = run_import(engine, write_bundle(tmp_path / "a", visits=[visit_row(consent="yes")]))
    assert [str(e) for e in result.errors] == [
        "visits.csv:2: consent: 'yes' is not a consent; use one of none, ta_needs_only, partial, full"
    ]


# ---------------------------------------------------------------- due dates


def _visit_with_draft(engine, tmp_path, days_ago: int, *extra_milestones):
    sent = dt.date.today() - dt.timedelta(days=days_ago)
    start = sent - dt.timedelta(days=60)
    folder = write_bundle(
        tmp_path / f"draft{days_ago}",
        visits=[
            visit_row("KOR-2025", start_date=start.isoformat(), end_date=(start + dt.timedelta(days=3)).isoformat())
        ],
        milestones=[milestone_row("KOR-2025", date=sent.isoformat()), *extra_milestones],
    )
    assert run_import(engine, folder).ok
    return sent


def test_tracker_due_lists_observations_ten_days_overdue_and_recording_them_clears_it(engine, tmp_path):
    sent = _visit_with_draft(engine, tmp_path, 40)

    result = runner.invoke(app, ["due", "--overdue", "--format", "json"])

    assert result.exit_code == 0, result.output
    due = (sent + dt.timedelta(days=30)).isoformat()
    assert json.loads(result.stdout) == [
        {"visit_id": "KOR-2025", "state": "KOR", "due": "observations", "due_date": due, "days_overdue": 10}
    ]
    deadlines.save_milestone(
        engine, LOCAL_ADMIN, milestone_row("KOR-2025", "observations_received", dt.date.today().isoformat())
    )
    cleared = runner.invoke(app, ["due", "--overdue", "--format", "json"])
    assert (cleared.exit_code, cleared.stdout) == (0, "[]\n")


def test_tracker_due_table_csv_within_and_ics(engine, tmp_path, monkeypatch):
    sent = _visit_with_draft(engine, tmp_path, 20)
    due = (sent + dt.timedelta(days=30)).isoformat()

    table = runner.invoke(app, ["due"])
    assert table.exit_code == 0
    assert table.stdout == (
        "visit     state  due date    status          due\n"
        f"KOR-2025  KOR    {due}  due in 10 days  factual observations on the draft report\n"
    )
    assert runner.invoke(app, ["due", "--overdue"]).stdout == "No open deadlines match.\n"
    assert runner.invoke(app, ["due", "--within", "9", "--format", "csv"]).stdout == (
        "visit_id,state,due,due_date,days_overdue\n"
    )
    assert runner.invoke(app, ["due", "--within", "10", "--format", "csv"]).stdout == (
        f"visit_id,state,due,due_date,days_overdue\nKOR-2025,KOR,observations,{due},-10\n"
    )
    calendar = runner.invoke(app, ["due", "--format", "ics"]).stdout_bytes.decode()
    assert calendar.startswith("BEGIN:VCALENDAR\r\n")
    assert f"DTSTART;VALUE=DATE:{due.replace('-', '')}\r\n" in calendar
    assert "UID:KOR-2025-observations@followup-tracker\r\n" in calendar

    monkeypatch.setenv("TRACKER_OBSERVATIONS_DAYS", "15")
    later = runner.invoke(app, ["due", "--format", "json"])
    assert json.loads(later.stdout)[0]["days_overdue"] == 5


def test_the_response_is_due_six_months_after_transmittal(engine, tmp_path):
    folder = write_bundle(
        tmp_path / "b",
        visits=[visit_row()],
        milestones=[
            milestone_row("KOR-2009", "draft_sent", "2009-10-01"),
            milestone_row("KOR-2009", "observations_received", "2009-10-20"),
            milestone_row("KOR-2009", "transmitted", "2009-12-31"),
        ],
    )
    assert run_import(engine, folder).ok
    dues = deadlines.open_dues(engine, LOCAL_ADMIN, today=dt.date(2010, 7, 10))
    assert [d.as_json() for d in dues] == [
        {"visit_id": "KOR-2009", "state": "KOR", "due": "response", "due_date": "2010-06-30", "days_overdue": 10}
    ]
    assert dues[0].in_words() == "10 days overdue"


def test_a_milestone_above_the_level_sets_no_deadline_there(engine, tmp_path):
    _visit_with_draft(engine, tmp_path, 40)
    deadlines.save_milestone(
        engine,
        LOCAL_ADMIN,
        milestone_row("KOR-2025", "observations_received", "2099-01-01", confidentiality="restricted"),
    )
    assert deadlines.open_dues(engine, LOCAL_ADMIN, "restricted") == []
    assert [d.days_overdue for d in deadlines.open_dues(engine, LOCAL_ADMIN, "committee")] == [10]
    assert runner.invoke(app, ["due", "--level", "public", "--format", "json"]).stdout == "[]\n"


# ---------------------------------------------------------------- consent to share, on every surface


def consent_bundle(folder, consent: str):
    """A follow-up at un_platform holding rows of every kind at un_platform, public and committee."""
    return write_bundle(
        folder,
        visits=[
            visit_row(confidentiality="public", consent="partial"),
            followup_row(confidentiality="un_platform", consent=consent),
        ],
        findings=[
            finding_row("KOR-2009-B1", confidentiality="public", title="Baseline gap B1"),
            finding_row(
                "KOR-2023-T1", "KOR-2023", kind="ta_need", confidentiality="un_platform", title="Platform need T1"
            ),
            finding_row("KOR-2023-S1", "KOR-2023", confidentiality="un_platform", title="Platform gap S1"),
            finding_row(
                "KOR-2023-P1", "KOR-2023", kind="good_practice", confidentiality="public", title="Public practice P1"
            ),
            finding_row("KOR-2023-T2", "KOR-2023", kind="ta_need", title="Committee need T2"),
            finding_row("KOR-2023-C1", "KOR-2023", title="Committee gap C1"),
        ],
        assessments=[assessment_row("KOR-2009-B1", "partially_implemented", confidentiality="un_platform")],
        meetings=[
            meeting_row("KOR-2023-M1", confidentiality="un_platform", counterpart="Platform meeting M1"),
            meeting_row("KOR-2023-M2", confidentiality="public", counterpart="Public meeting M2"),
        ],
        milestones=[milestone_row(confidentiality="un_platform")],
        ta=[
            ta_row("KOR-2023-T1", "matched", providers="UNODC", addresses="KOR-2023-S1", confidentiality="un_platform"),
            ta_row("KOR-2023-T2", "identified"),
        ],
    )


# What an un_platform export holds of each file under each consent (keys, sorted).
EXPECTED = {
    "none": {
        "findings.csv": ["KOR-2009-B1", "KOR-2023-P1"],
        "assessments.csv": [],
        "meetings.csv": ["KOR-2023-M2"],
        "milestones.csv": [],
        "ta.csv": [],
    },
    "ta_needs_only": {
        "findings.csv": ["KOR-2009-B1", "KOR-2023-P1", "KOR-2023-T1"],
        "assessments.csv": [],
        "meetings.csv": ["KOR-2023-M2"],
        "milestones.csv": [],
        "ta.csv": ["KOR-2023-T1"],
    },
    "partial": {
        "findings.csv": ["KOR-2009-B1", "KOR-2023-P1", "KOR-2023-S1", "KOR-2023-T1"],
        "assessments.csv": ["KOR-2009-B1"],
        "meetings.csv": ["KOR-2023-M1", "KOR-2023-M2"],
        "milestones.csv": ["KOR-2023"],
        "ta.csv": ["KOR-2023-T1"],
    },
    "full": {
        "findings.csv": ["KOR-2009-B1", "KOR-2023-C1", "KOR-2023-P1", "KOR-2023-S1", "KOR-2023-T1", "KOR-2023-T2"],
        "assessments.csv": ["KOR-2009-B1"],
        "meetings.csv": ["KOR-2023-M1", "KOR-2023-M2"],
        "milestones.csv": ["KOR-2023"],
        "ta.csv": ["KOR-2023-T1", "KOR-2023-T2"],
    },
}


def _keys(folder, name) -> list[str]:
    lines = (folder / name).read_text().splitlines()[1:]
    return sorted(line.split(",")[0] for line in lines)


@pytest.fixture(params=list(EXPECTED))
def consented(request, engine, tmp_path):
    result = run_import(engine, consent_bundle(tmp_path / "consent", request.param))
    assert result.ok, result.errors
    return engine, request.param


def test_an_un_platform_export_follows_the_states_consent(consented, tmp_path):
    engine, consent = consented
    out = tmp_path / "platform"

    export_bundle(engine, out, LOCAL_ADMIN, "un_platform")

    for name, keys in EXPECTED[consent].items():
        assert _keys(out, name) == keys, name
    # The follow-up itself is there, because a public row of it is.
    assert _keys(out, "visits.csv") == ["KOR-2009", "KOR-2023"]
    if consent == "ta_needs_only":
        # The need travels without the hidden gap it addresses.
        assert (out / "ta.csv").read_text().splitlines()[1] == "KOR-2023-T1,matched,UNODC,,,,un_platform"


def test_an_un_platform_export_imports_on_its_own(consented, tmp_path, request):
    engine, _ = consented
    export_bundle(engine, tmp_path / "platform", LOCAL_ADMIN, "un_platform")
    fresh = _fresh_database(engine, request, tmp_path)
    result = run_import(fresh, tmp_path / "platform")
    assert result.ok, result.errors


def test_consent_changes_nothing_at_public_or_above_un_platform(consented, tmp_path):
    engine, consent = consented
    for level in ("public", "committee"):
        export_bundle(engine, tmp_path / "before" / level, LOCAL_ADMIN, level)
    other = "none" if consent == "full" else "full"
    records.save_visit(engine, LOCAL_ADMIN, followup_row(confidentiality="un_platform", consent=other))
    for level in ("public", "committee"):
        export_bundle(engine, tmp_path / "after" / level, LOCAL_ADMIN, level)

    for level in ("public", "committee"):
        for spec in FILES:
            if spec.name != "visits.csv":
                before, after = tmp_path / "before" / level / spec.name, tmp_path / "after" / level / spec.name
                assert before.read_bytes() == after.read_bytes(), (level, spec.name)
    assert _keys(tmp_path / "after" / "public", "findings.csv") == ["KOR-2009-B1"]
    assert len(_keys(tmp_path / "after" / "committee", "findings.csv")) == 6


def test_the_cli_export_and_compare_follow_consent(consented, tmp_path):
    _, consent = consented
    exported = runner.invoke(app, ["export", str(tmp_path / "cli"), "--level", "un_platform"])
    assert exported.exit_code == 0, exported.output
    assert _keys(tmp_path / "cli", "findings.csv") == EXPECTED[consent]["findings.csv"]

    compared = runner.invoke(app, ["compare", "KOR", "--level", "un_platform", "--format", "json"])
    assert compared.exit_code == 0, compared.output
    totals = json.loads(compared.stdout)["totals"]
    assert (totals["ta_needs_followup"], totals["followup_gaps"], totals["good_practices_followup"]) == {
        "none": (0, 0, 1),
        "ta_needs_only": (1, 0, 1),
        "partial": (1, 1, 1),
        "full": (2, 2, 1),
    }[consent]
    # The baseline gap's un_platform assessment is a row of the follow-up, shared only with partial or full.
    assert json.loads(compared.stdout)["status_counts"]["partially_implemented"] == (
        1 if consent in ("partial", "full") else 0
    )


def test_lists_pipeline_and_deadlines_follow_consent_for_a_platform_reader(consented):
    from tracker.models import Confidentiality

    engine, consent = consented
    reader = Actor("platform", Role.viewer, Confidentiality.un_platform)
    findings, _ = records.list_findings(engine, reader, visit_id="KOR-2023")
    expected = [k for k in EXPECTED[consent]["findings.csv"] if k.startswith("KOR-2023")]
    assert sorted(findings["finding_id"]) == expected
    assert sorted(ta_pipeline.pipeline(engine, reader)["finding_id"]) == [k for k in expected if "-T" in k]
    meetings = records.list_meetings(engine, reader, visit_id="KOR-2023")
    assert sorted(meetings["meeting_id"]) == EXPECTED[consent]["meetings.csv"]
    dues = deadlines.open_dues(engine, reader, today=dt.date(2023, 12, 1))
    assert [d.visit_id for d in dues] == (["KOR-2023"] if consent in ("partial", "full") else [])
    # A committee reader is not touched by consent.
    committee = Actor("committee", Role.viewer, Confidentiality.committee)
    assert len(records.list_findings(engine, committee, visit_id="KOR-2023")[0]) == 5


def test_reports_at_un_platform_follow_consent(consented):
    engine, consent = consented
    document = build_state_report(engine, LOCAL_ADMIN, "KOR", None, "un_platform")
    text = render(document, "md").decode()
    shown = {
        "Platform need T1": consent != "none",
        "Platform gap S1": consent in ("partial", "full"),
        "Committee need T2": consent == "full",
        "Committee gap C1": consent == "full",
        "Public practice P1": True,
        "Public meeting M2": True,
        "Platform meeting M1": consent in ("partial", "full"),
    }
    assert {title: title in text for title in shown} == shown
    period = render(
        build_period_report(engine, LOCAL_ADMIN, dt.date(2023, 1, 1), dt.date(2023, 12, 31), "un_platform"), "md"
    )
    assert ("Committee need T2" in period.decode()) == (consent == "full")
    assert (b"United Nations Office on Drugs and Crime" in period) == (consent != "none")


def test_a_comparison_at_un_platform_counts_what_its_export_would_hold(consented, tmp_path, request):
    engine, _ = consented
    export_bundle(engine, tmp_path / "platform", LOCAL_ADMIN, "un_platform")
    fresh = _fresh_database(engine, request, tmp_path)
    assert run_import(fresh, tmp_path / "platform").ok
    here = comparison.compare(engine, LOCAL_ADMIN, "KOR", None, "un_platform")
    there = comparison.compare(fresh, LOCAL_ADMIN, "KOR", None, "restricted")
    assert here["totals"] == there["totals"]


def test_a_workbook_bundle_at_un_platform_follows_the_states_consent(consented, tmp_path):
    from python_calamine import CalamineWorkbook

    engine, consent = consented
    workbook = tmp_path / "platform.xlsx"

    export_bundle(engine, workbook, LOCAL_ADMIN, "un_platform")

    sheets = CalamineWorkbook.from_path(str(workbook))
    for name, keys in EXPECTED[consent].items():
        rows = sheets.get_sheet_by_name(name.removesuffix(".csv")).to_python()[1:]
        assert sorted(str(row[0]) for row in rows) == keys, name


def test_a_period_without_follow_up_visits_lists_no_technical_assistance(engine, tmp_path):
    assert run_import(engine, after_visit_bundle(tmp_path / "bundle")).ok

    empty = render(build_period_report(engine, LOCAL_ADMIN, dt.date(2030, 1, 1), dt.date(2030, 12, 31)), "md").decode()
    covered = render(
        build_period_report(engine, LOCAL_ADMIN, dt.date(2023, 1, 1), dt.date(2023, 12, 31)), "md"
    ).decode()

    assert "United Nations Office on Drugs and Crime" in covered
    assert "United Nations Office on Drugs and Crime" not in empty
    provider_section = empty[empty.index("Technical assistance by provider") :]
    assert provider_section.split("\n\n")[1] == "3\\. None recorded at the Restricted level."


def _due(days_overdue: int, today: dt.date) -> deadlines.Due:
    due_date = today - dt.timedelta(days=days_overdue)
    return deadlines.Due(
        visit_id="KOR-2025",
        state="KOR",
        state_name="Republic of Korea",
        due=deadlines.DueKind.observations,
        since=due_date - dt.timedelta(days=30),
        due_date=due_date,
        days_overdue=days_overdue,
    )


def test_an_overdue_deadline_goes_into_the_calendar_today_with_a_reminder():
    from icalendar import Calendar

    stamp = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    content = deadlines.dues_calendar([_due(12, stamp.date()), _due(-20, stamp.date())], stamp=stamp)
    overdue, ahead = Calendar.from_ical(content).walk("VEVENT")

    assert overdue.decoded("dtstart") == dt.date(2026, 12, 7)
    assert str(overdue["summary"]) == (
        "KOR-2025: Republic of Korea's factual observations on the draft report overdue since 2026-11-25"
    )
    assert [alarm.decoded("trigger") for alarm in overdue.walk("VALARM")] == [dt.timedelta(hours=9)]
    assert ahead.decoded("dtstart") == dt.date(2026, 12, 27)
    assert str(ahead["summary"]) == "KOR-2025: Republic of Korea's factual observations on the draft report due"
    assert [alarm.decoded("trigger") for alarm in ahead.walk("VALARM")] == [
        dt.timedelta(hours=9),
        dt.timedelta(days=-7, hours=9),
    ]
