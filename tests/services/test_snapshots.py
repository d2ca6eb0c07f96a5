"""Issued reports: kept whole and sealed, visible only to readers cleared for them, and diffed against now."""

import datetime as dt
import hashlib
import io
import json

import docx
import pytest
from sqlalchemy import select, update

from tests.conftest import assessment_row, finding_row, followup_row, write_bundle
from tests.services.test_reports import rendered_text
from tracker.errors import NotFound, PermissionDenied, TrackerError
from tracker.models import AuditEvent, Confidentiality, ReportSnapshot, Role
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.reports import documents as reports
from tracker.services.reports import snapshots
from tracker.services.reports.since_last import NO_EARLIER_REPORT

# Two assessments of the demo change and a finding is added, by import.
CHANGED = [
    assessment_row("KOR-2009-F02", "fully_implemented", evidence="All offences now covered."),
    assessment_row("KOR-2009-F03", "not_implemented", evidence="The provision was repealed."),
]
ADDED = finding_row("KOR-2023-F99", "KOR-2023", title="No offence of travelling for terrorist training")


def issue_state_report(engine, actor=LOCAL_ADMIN, level="committee", fmt="md", title="Korea, first report"):
    document = reports.build_state_report(engine, actor, "KOR", level=level)
    content = reports.render(document, fmt, charts=False)
    return reports.issue(engine, actor, document, fmt, content, title), content


def change_by_import(engine, folder):
    bundle = write_bundle(folder, findings=[ADDED], assessments=CHANGED)
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok


def test_a_diff_lists_exactly_the_changed_assessments_and_the_added_finding(demo_engine, tmp_path):
    snapshot_id, _ = issue_state_report(demo_engine)
    change_by_import(demo_engine, tmp_path / "changes")

    result = snapshots.diff(demo_engine, LOCAL_ADMIN, snapshot_id)

    assert {key: result[key] for key in ("from", "to", "scope", "level")} == {
        "from": snapshot_id,
        "to": "now",
        "scope": "state:KOR:KOR-2023",
        "level": "committee",
    }
    assert result["status_changes"] == [
        {
            "finding_id": "KOR-2009-F02",
            "followup": "KOR-2023",
            "old_status": "largely_implemented",
            "new_status": "fully_implemented",
            "old_group": "progressing",
            "new_group": "closed",
        },
        {
            "finding_id": "KOR-2009-F03",
            "followup": "KOR-2023",
            "old_status": "partially_implemented",
            "new_status": "not_implemented",
            "old_group": "progressing",
            "new_group": "open",
        },
    ]
    assert result["added"] == [
        {"finding_id": "KOR-2023-F99", "visit_id": "KOR-2023", "kind": "shortfall", "area": "LEG"}
    ]
    assert result["withdrawn"] == [] and result["followups_added"] == []
    legislation = next(area for area in result["areas"] if area["area"] == "LEG")
    assert legislation == {"area": "LEG", "index_from": 75.0, "index_to": 66.7}
    assert all(area["index_from"] == area["index_to"] for area in result["areas"] if area["area"] != "LEG")


def test_nothing_changed_gives_empty_lists(demo_engine):
    snapshot_id, _ = issue_state_report(demo_engine)

    result = snapshots.diff(demo_engine, LOCAL_ADMIN, snapshot_id)

    assert [result[key] for key in ("status_changes", "added", "withdrawn", "followups_added")] == [[]] * 4


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_the_next_report_opens_with_the_changes_since_the_last_one(demo_engine, tmp_path, fmt):
    first = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    assert first.sections[0].paragraphs == [NO_EARLIER_REPORT]
    issue_state_report(demo_engine, title="Korea, first report")
    change_by_import(demo_engine, tmp_path / "changes")

    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")

    assert document.sections[0].heading == "Since the last report"
    if fmt == "docx":
        opened = docx.Document(io.BytesIO(reports.render(document, "docx", charts=False)))
        body = [(p.style.name, p.text) for p in opened.paragraphs]
        start, end = body.index(("Heading 1", "I. Since the last report")), body.index(("Heading 1", "II. Scope"))
        opening = "\n".join(text for _, text in body[start:end])
        tables = {
            tuple(c.text for c in t.rows[0].cells): [[c.text for c in r.cells] for r in t.rows[1:]]
            for t in opened.tables
        }
        moved = tables[
            ("Id", "Follow-up visit", "Item", "Status at the last report", "Status now", "Evidence", "Assessed on")
        ]
        added = tables[("Id", "Visit", "Kind", "Thematic area", "Item")]
        areas = tables[("Thematic area", "At the last report", "Now", "Change")]
    else:
        text = rendered_text(document, fmt)
        opening = text[text.index("The last report on this scope") : text.index("Member State: Republic of Korea")]
        moved = added = areas = None
    assert "“Korea, first report” (issued report 1)" in opening
    assert "Since then, 2 baseline items changed status; 1 item added and no item withdrawn" in opening
    if moved is None:
        for expected in (
            "KOR-2009-F02",
            "KOR-2009-F03",
            "KOR-2023-F99",
            "Largely implemented",
            "Not implemented",
            "All offences now covered.",
            "The provision was repealed.",
            "25 May 2023",
            "\N{MINUS SIGN}8.3",
        ):
            assert expected in opening
        assert "0.0" not in opening
        assert "No offence of travelling for terrorist training" in opening
    else:
        assert [row[0] for row in moved] == ["KOR-2009-F02", "KOR-2009-F03"]
        assert [row[3:] for row in moved] == [
            ["Largely implemented", "Fully implemented", "All offences now covered.", "25 May 2023"],
            ["Partially implemented", "Not implemented", "The provision was repealed.", "25 May 2023"],
        ]
        # Only the area that moved, and all areas, each with a signed change.
        assert [row[0] for row in areas] == ["Counter-terrorism legislation", "All areas"]
        assert areas[0][1:] == ["75.0", "66.7", "\N{MINUS SIGN}8.3"]
        assert added == [["KOR-2023-F99", "KOR-2023", "Shortfall", "Counter-terrorism legislation", ADDED["title"]]]


def test_the_last_report_is_that_of_the_same_scope_and_level(demo_engine):
    issue_state_report(demo_engine, level="public", title="Public edition")

    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")

    assert document.sections[0].paragraphs == [NO_EARLIER_REPORT]


def test_get_returns_the_issued_bytes_and_their_stored_digest(demo_engine):
    snapshot_id, content = issue_state_report(demo_engine, fmt="html")

    snapshot = snapshots.get(demo_engine, LOCAL_ADMIN, snapshot_id)

    assert snapshot.content == content
    assert snapshot.sha256 == hashlib.sha256(content).hexdigest()
    assert (snapshot.scope, snapshot.level, snapshot.format) == (
        "state:KOR:KOR-2023",
        Confidentiality.committee,
        "html",
    )
    assert snapshot.issued_at.tzinfo is not None
    assert dt.datetime.now(dt.UTC) - snapshot.issued_at < dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("column", "value"),
    [("results", "[]"), ("title", "Another title"), ("content", b"other bytes"), ("level", "public")],
)
def test_a_changed_snapshot_row_is_detected_by_its_hash(demo_engine, column, value):
    snapshot_id, _ = issue_state_report(demo_engine)
    with demo_engine.begin() as connection:
        table = ReportSnapshot.__table__
        connection.execute(update(table).where(table.c.id == snapshot_id).values({column: value}))

    with pytest.raises(TrackerError) as refused:
        snapshots.get(demo_engine, LOCAL_ADMIN, snapshot_id)

    assert str(refused.value) == (
        f"issued report {snapshot_id} no longer matches its seal: it was changed after it was issued, "
        "or this server's seal key is not the one it was sealed with; "
        "restore it from a backup and ask an administrator to check the audit trail."
    )


def test_issuing_is_audited(demo_engine):
    snapshot_id, content = issue_state_report(demo_engine)

    with demo_engine.connect() as connection:
        event = connection.execute(
            select(AuditEvent).where(AuditEvent.entity == "report_snapshot", AuditEvent.key == str(snapshot_id))
        ).one()

    changes = json.loads(event.changes)
    assert (event.action, event.username) == ("create", "local")
    assert changes["sha256"] == [None, hashlib.sha256(content).hexdigest()]
    assert changes["scope"] == [None, "state:KOR:KOR-2023"]


def test_a_viewer_cannot_issue(demo_engine):
    viewer = Actor("reader", Role.viewer, Confidentiality.restricted)

    with pytest.raises(PermissionDenied):
        issue_state_report(demo_engine, actor=viewer)

    assert snapshots.listing(demo_engine, LOCAL_ADMIN).empty


def test_a_reader_cleared_below_its_level_sees_neither_it_nor_its_changes(demo_engine, tmp_path):
    snapshot_id, _ = issue_state_report(demo_engine, level="committee")
    change_by_import(demo_engine, tmp_path / "changes")
    reader = Actor("platform", Role.analyst, Confidentiality.member_states)

    assert snapshots.listing(demo_engine, reader).empty
    assert snapshots.last(demo_engine, reader, "state:KOR:KOR-2023", Confidentiality.committee) is None
    for read in (
        lambda: snapshots.get(demo_engine, reader, snapshot_id),
        lambda: snapshots.diff(demo_engine, reader, snapshot_id),
    ):
        with pytest.raises(NotFound) as refused:
            read()
        assert str(refused.value) == (
            f"there is no issued report {snapshot_id} that you may see; run 'tracker reports list' to see them."
        )
    # Asked for at committee, the reader's report falls to their own level, where nothing was issued.
    document = reports.build_state_report(demo_engine, reader, "KOR", level="committee")
    assert document.sections[0].paragraphs == [NO_EARLIER_REPORT]
    assert list(snapshots.listing(demo_engine, LOCAL_ADMIN)["id"]) == [snapshot_id]


def test_a_diff_between_two_snapshots_and_its_refusals(demo_engine, tmp_path):
    first, _ = issue_state_report(demo_engine, title="First")
    change_by_import(demo_engine, tmp_path / "changes")
    second, _ = issue_state_report(demo_engine, title="Second")
    public, _ = issue_state_report(demo_engine, level="public", title="Public")

    result = snapshots.diff(demo_engine, LOCAL_ADMIN, first, second)

    assert (result["from"], result["to"]) == (first, second)
    assert [change["finding_id"] for change in result["status_changes"]] == ["KOR-2009-F02", "KOR-2009-F03"]
    assert snapshots.diff(demo_engine, LOCAL_ADMIN, second)["status_changes"] == []
    with pytest.raises(TrackerError) as refused:
        snapshots.diff(demo_engine, LOCAL_ADMIN, first, public)
    assert str(refused.value) == (
        f"issued reports {first} and {public} are at different levels (committee and public); "
        "compare two reports at the same level, or one report with now."
    )


def test_a_period_report_is_issued_with_every_follow_up_in_scope(demo_engine, tmp_path):
    start, end = dt.date(2023, 1, 1), dt.date(2023, 12, 31)
    document = reports.build_period_report(demo_engine, LOCAL_ADMIN, start, end, level="committee")
    content = reports.render(document, "md")
    snapshot_id = reports.issue(demo_engine, LOCAL_ADMIN, document, "md", content, "2023")
    later = write_bundle(
        tmp_path / "later",
        visits=[followup_row("KOR-2023B", "KOR-2009", start_date="2023-11-06", end_date="2023-11-08")],
    )
    assert import_bundle(demo_engine, sources_from_paths([later]), LOCAL_ADMIN).ok

    result = snapshots.diff(demo_engine, LOCAL_ADMIN, snapshot_id)

    assert result["scope"] == "period:2023-01-01..2023-12-31"
    assert result["followups_added"] == [{"visit_id": "KOR-2023B"}]
    assert result["status_changes"] == [] and result["withdrawn"] == []
    again = reports.build_period_report(demo_engine, LOCAL_ADMIN, start, end, level="committee")
    assert "Follow-up visits added: KOR-2023B." in again.sections[0].paragraphs


def test_a_withdrawn_finding_is_listed_as_withdrawn_and_no_longer_counted(demo_engine):
    from tracker.services.records import withdrawal

    snapshot_id, _ = issue_state_report(demo_engine)
    withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "finding", "KOR-2009-F03", "recorded twice")

    result = snapshots.diff(demo_engine, LOCAL_ADMIN, snapshot_id)

    assert result["withdrawn"] == [{"finding_id": "KOR-2009-F03"}]
    assert result["status_changes"] == [] and result["added"] == []
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    withdrawn_table = next(t for t in document.sections[0].tables if t.header[-1] == "Why it is no longer counted")
    title = snapshots.described(demo_engine, LOCAL_ADMIN, result, Confidentiality.committee)["withdrawn"][0]["title"]
    assert withdrawn_table.rows == [["KOR-2009-F03", title, "recorded twice"]]
    assert title
    assert "KOR-2009-F03" in rendered_text(document, "md")
    assert "recorded twice" in rendered_text(document, "md")


def test_since_the_last_report_lists_only_the_areas_that_moved_with_a_signed_change(demo_engine, tmp_path):
    issue_state_report(demo_engine)
    nothing = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee").sections[0]
    change_by_import(demo_engine, tmp_path / "changes")

    moved = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee").sections[0]

    assert nothing.tables == []
    assert any(p.startswith("No thematic area's implementation index moved") for p in nothing.paragraphs)
    areas = next(t for t in moved.tables if t.header[-1] == "Change")
    assert [row[0] for row in areas.rows] == ["Counter-terrorism legislation", "All areas"]
    assert all(row[3] != "0.0" for row in areas.rows[:-1])
    assert areas.rows[0][3] == "\N{MINUS SIGN}8.3"


def test_a_signed_change_reads_with_its_sign():
    from tracker.services.presentation.wording import signed

    assert [signed(4.2), signed(-1.0), signed(None)] == ["+4.2", "\N{MINUS SIGN}1.0", "—"]


def _wipe(engine) -> None:
    from sqlalchemy import delete
    from sqlmodel import SQLModel

    from tracker.services.operations.reference import seed_reference_data

    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(delete(table))
    seed_reference_data(engine)


def test_a_portable_backup_carries_the_issued_reports_sealed(demo_engine, tmp_path):
    from tracker.services.operations import backup

    snapshot_id, _ = issue_state_report(demo_engine, fmt="html")
    before = snapshots.get(demo_engine, LOCAL_ADMIN, snapshot_id)
    backup.backup(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)
    _wipe(demo_engine)

    summary = backup.restore(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)

    assert summary.endswith("\nissued reports: 1 restored")
    assert snapshots.get(demo_engine, LOCAL_ADMIN, snapshot_id) == before
    assert snapshots.diff(demo_engine, LOCAL_ADMIN, snapshot_id)["status_changes"] == []
    # The next issued report takes the next id, on PostgreSQL too.
    assert issue_state_report(demo_engine, title="After the restore")[0] == snapshot_id + 1


def test_a_backup_whose_issued_report_was_changed_restores_nothing(demo_engine, tmp_path):
    import zipfile

    from tracker.services.operations import backup

    issue_state_report(demo_engine)
    backup.backup(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)
    with (
        zipfile.ZipFile(tmp_path / "backup.zip") as original,
        zipfile.ZipFile(tmp_path / "changed.zip", "w") as changed,
    ):
        for name in original.namelist():
            data = original.read(name)
            if name == snapshots.BACKUP_NAME:
                rows = json.loads(data)
                rows[0]["title"] = "A better title"
                data = json.dumps(rows).encode()
            changed.writestr(name, data)
    _wipe(demo_engine)

    with pytest.raises(TrackerError) as refused:
        backup.restore(demo_engine, tmp_path / "changed.zip", LOCAL_ADMIN)

    assert str(refused.value) == (
        "issued report 1 in the backup does not match its seal under this server's seal key, so nothing was "
        "restored; if the backup was taken on another server, give this one that server's seal key "
        "(TRACKER_SEAL_KEY or its key file), else restore from another backup."
    )
    assert snapshots.listing(demo_engine, LOCAL_ADMIN).empty
    with demo_engine.connect() as connection:
        from tracker.models import Visit

        assert connection.execute(select(Visit.visit_id)).first() is None


def test_an_issued_title_is_one_line_of_printable_text(demo_engine):
    snapshot_id, _ = issue_state_report(demo_engine, title="  Korea,\tspring\n2024\x1b[31m  ")

    assert snapshots.get(demo_engine, LOCAL_ADMIN, snapshot_id).title == "Korea, spring 2024[31m"
