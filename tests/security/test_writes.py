"""Who may write what, and the audit trail every write leaves."""

import json

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from tests.conftest import finding_row, write_bundle
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import AuditEvent, Confidentiality, Role
from tracker.services.bundle import demo
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths, sources_from_uploads
from tracker.services.operations import backup
from tracker.services.people import audit, users
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.records import editing as records

from .conftest import PASSWORD, dump

viewer = Actor("viewer", Role.viewer, Confidentiality.restricted)
analyst = Actor("analyst", Role.analyst, Confidentiality.committee)
events_table = AuditEvent.__table__


def _events(engine, **where) -> list:
    query = select(events_table).order_by(events_table.c.id)
    for column, value in where.items():
        query = query.where(events_table.c[column] == value)
    with engine.connect() as connection:
        return connection.execute(query).all()


def _finding_upload(**row) -> list:
    data = (
        "finding_id,visit_id,area,kind,title\n"
        + ",".join(row[c] for c in ("finding_id", "visit_id", "area", "kind", "title"))
        + "\n"
    )
    return sources_from_uploads([("findings.csv", data.encode())])


NEW_FINDING = {
    "finding_id": "KOR-2023-N1",
    "visit_id": "KOR-2023",
    "area": "LEG",
    "kind": "shortfall",
    "title": "New gap",
}
WRITES = {
    "save_visit": lambda e, who: records.save_visit(e, who, {"visit_id": "KOR-2023", "lead": "Someone else"}),
    "save_finding": lambda e, who: records.save_finding(e, who, NEW_FINDING, new=True),
    "save_meeting": lambda e, who: records.save_meeting(
        e, who, {"meeting_id": "KOR-2023-MX", "visit_id": "KOR-2023", "kind": "technical"}, new=True
    ),
    "save_assessments": lambda e, who: records.save_assessments(
        e, who, "KOR-2023", [{"finding_id": "KOR-2009-F01", "status": "not_implemented"}]
    ),
    "save_no_assessments": lambda e, who: records.save_assessments(e, who, "KOR-2023", []),
    "import_bundle": lambda e, who: import_bundle(e, _finding_upload(**NEW_FINDING), who),
    "dry_run_import": lambda e, who: import_bundle(e, _finding_upload(**NEW_FINDING), who, dry_run=True),
    "load_demo": lambda e, who: demo.load_demo(e, who),
    "add_user": lambda e, who: users.add_user(e, who, users.validated_user("bob", PASSWORD)),
    "set_role": lambda e, who: users.set_role(e, who, "viewer", "admin"),
    "set_password": lambda e, who: users.set_password(e, who, "someone", PASSWORD),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_viewer_is_refused_every_write(demo_engine, write):
    before = dump(demo_engine)
    with pytest.raises(PermissionDenied):
        WRITES[write](demo_engine, viewer)
    assert dump(demo_engine) == before


def test_a_viewer_is_refused_a_backup_and_a_restore(demo_engine, tmp_path):
    with pytest.raises(PermissionDenied):
        backup.backup(demo_engine, tmp_path / "b.zip", viewer)
    backup.backup(demo_engine, tmp_path / "b.zip", LOCAL_ADMIN)
    with pytest.raises(PermissionDenied):
        backup.restore(demo_engine, tmp_path / "b.zip", viewer)


def test_an_analyst_writes_within_their_clearance(guarded_engine):
    records.save_finding(guarded_engine, analyst, NEW_FINDING, new=True)
    assert records.get_finding(guarded_engine, analyst, "KOR-2023-N1")["title"] == "New gap"


@pytest.mark.parametrize(
    ("write", "field"),
    [
        (
            lambda e: records.save_finding(e, analyst, NEW_FINDING | {"confidentiality": "restricted"}, new=True),
            "confidentiality",
        ),
        (
            lambda e: records.save_finding(e, analyst, NEW_FINDING | {"visit_id": "KOR-2031-ZZHIDDEN"}, new=True),
            "visit_id",
        ),
        (
            lambda e: records.save_finding(e, analyst, NEW_FINDING | {"continues": "KOR-2009-F-ZZHIDDEN"}, new=True),
            "continues",
        ),
        (
            lambda e: records.save_finding(e, analyst, {**NEW_FINDING, "finding_id": "KOR-2009-F-ZZHIDDEN"}),
            "finding_id",
        ),
        # Stored at committee, but in a restricted visit: moving it out would reveal it.
        (
            lambda e: records.save_finding(e, analyst, {**NEW_FINDING, "finding_id": "KOR-2031-F1-ZZHIDDEN"}),
            "finding_id",
        ),
        (
            lambda e: records.save_meeting(
                e,
                analyst,
                {"meeting_id": "KOR-2031-MX", "visit_id": "KOR-2031-ZZHIDDEN", "kind": "technical"},
                new=True,
            ),
            "visit_id",
        ),
        (
            lambda e: records.save_meeting(
                e, analyst, {"meeting_id": "KOR-2023-M-ZZHIDDEN", "visit_id": "KOR-2023", "kind": "technical"}
            ),
            "meeting_id",
        ),
        (
            lambda e: records.save_assessments(
                e, analyst, "KOR-2023", [{"finding_id": "KOR-2009-F-ZZHIDDEN", "status": "not_implemented"}]
            ),
            "finding_id",
        ),
        (
            lambda e: records.save_assessments(
                e, analyst, "KOR-2023", [{"finding_id": "KOR-2009-F-VISIBLE", "status": "not_implemented"}]
            ),
            "finding_id",
        ),
        (
            lambda e: records.save_assessments(
                e, analyst, "KOR-2031-ZZHIDDEN", [{"finding_id": "KOR-2009-F01", "status": "not_implemented"}]
            ),
            "visit_id",
        ),
        (
            lambda e: records.save_visit(
                e, analyst, records.get_visit(e, LOCAL_ADMIN, "FRA-2022") | {"lead": "New lead"}
            ),
            "baseline_visit_id",
        ),
    ],
    ids=[
        "create-above-clearance",
        "into-hidden-visit",
        "continue-hidden-finding",
        "overwrite-hidden-finding",
        "move-finding-out-of-hidden-visit",
        "meeting-in-hidden-visit",
        "overwrite-hidden-meeting",
        "assess-hidden-finding",
        "overwrite-hidden-assessment",
        "assess-at-hidden-visit",
        "name-hidden-baseline",
    ],
)
def test_an_analyst_cannot_write_above_their_clearance(guarded_engine, write, field):
    before = dump(guarded_engine)
    with pytest.raises(ValidationFailed) as error:
        write(guarded_engine)
    assert field in {problem["field"] for problem in error.value.errors}
    assert dump(guarded_engine) == before


def test_a_hidden_visit_is_refused_in_the_words_of_a_missing_one(guarded_engine):
    messages = []
    for visit_id in ("KOR-2031-ZZHIDDEN", "KOR-2099"):
        with pytest.raises(ValidationFailed) as error:
            records.save_finding(guarded_engine, analyst, NEW_FINDING | {"visit_id": visit_id}, new=True)
        messages.append(error.value.errors[0]["message"].replace(visit_id, "X"))
    assert messages[0] == messages[1]


def test_an_import_records_its_created_rows_in_one_event_and_one_event_per_changed_row(engine, tmp_path):
    from tests.conftest import assessment_row, followup_row, meeting_row, visit_row

    bundle = write_bundle(
        tmp_path / "b",
        visits=[visit_row(), followup_row()],
        findings=[finding_row("F1"), finding_row("F2", kind="recommendation")],
        assessments=[assessment_row("F1", "partially_implemented")],
        meetings=[meeting_row("M1")],
    )
    first = import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
    assert _events(engine, action="create") == []
    (event,) = _events(engine)
    assert (event.action, event.username, event.id) == ("import", "local", first.event)
    assert sorted(audit.created_keys(event.content)) == [
        ("assessment", "F1/KOR-2023"),
        ("finding", "F1"),
        ("finding", "F2"),
        ("meeting", "M1"),
        ("visit", "KOR-2009"),
        ("visit", "KOR-2023"),
    ]
    with engine.connect() as connection:
        for table in ("visit", "finding", "assessment", "meeting"):
            pointers = connection.execute(select(SQLModel.metadata.tables[table].c.created_in)).scalars().all()
            assert set(pointers) == {event.id}, table

    import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
    assert len(_events(engine)) == 1

    write_bundle(
        tmp_path / "b", findings=[finding_row("F1", title="Retitled"), finding_row("F2", kind="recommendation")]
    )
    import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
    updates = _events(engine, action="update")
    assert [(e.entity, e.key, e.username) for e in updates] == [("finding", "F1", "local")]
    assert json.loads(updates[0].changes) == {"title": ["Finding F1", "Retitled"]}
    assert updates[0].at.tzinfo is not None


def test_a_save_from_the_dashboard_is_audited_under_the_users_name(demo_engine):
    records.save_assessments(
        demo_engine,
        Actor("ann", Role.analyst),
        "KOR-2023",
        [{"finding_id": "KOR-2009-F01", "status": "contrary_action"}],
    )
    event = _events(demo_engine, action="update", entity="assessment")[-1]
    assert (event.username, event.key) == ("ann", "KOR-2009-F01/KOR-2023")
    assert json.loads(event.changes)["status"][1] == "contrary_action"


def test_a_refused_write_leaves_no_event(demo_engine):
    count = len(_events(demo_engine))
    with pytest.raises(ValidationFailed):
        records.save_finding(demo_engine, LOCAL_ADMIN, NEW_FINDING | {"area": "NOWHERE"}, new=True)
    assert len(_events(demo_engine)) == count


def test_an_analyst_edits_a_visit_whose_baseline_they_cannot_see_and_keeps_it(guarded_engine):
    records.save_visit(
        guarded_engine, analyst, records.get_visit(guarded_engine, analyst, "FRA-2022") | {"lead": "New lead"}
    )
    stored = records.get_visit(guarded_engine, LOCAL_ADMIN, "FRA-2022")
    assert (stored["lead"], stored["baseline_visit_id"]) == ("New lead", "FRA-2015-ZZHIDDEN")
