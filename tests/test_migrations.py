import datetime as dt
import json
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select, text
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (registers the tables)
from tests.conftest import POSTGRES_URL, _postgres_url
from tracker import db


def test_migrations_create_exactly_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_kept_index_triggers_are_in_place_at_the_head_revision(engine):
    """A later migration that rebuilds a table on SQLite drops its triggers: it must create them again."""
    tables = ("visit", "finding", "assessment", "meeting", "milestone")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            found = set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
            expected = {
                f"register_{table}_{event}"
                for table in (*tables, "thematic_area")
                for event in ("insert", "delete", "update")
            }
        else:
            found = set(
                connection.exec_driver_sql(
                    "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal"
                ).scalars()
            )
            events = ("inserted", "deleted", "updated_from", "updated_to", "truncated")
            expected = {f"register_{table}_{event}" for table in tables for event in events}
            expected.add("register_thematic_area_changed")
    assert expected <= found


# One row per table as the first revision stores it; later revisions must keep every value.
FIRST_REVISION_ROWS = {
    "member_state": [{"iso3": "KOR", "name": "Republic of Korea", "region": "Asia-Pacific"}],
    "partner_org": [{"code": "ICAO", "name": "International Civil Aviation Organization"}],
    "resolution": [{"number": 1373, "year": 2001, "title": "Threats to international peace and security"}],
    "thematic_area": [
        {"code": "BM", "name": "Border management", "parent": None, "cross_cutting": False, "sort_order": 6},
        {"code": "BM.AVIATION", "name": "Aviation security", "parent": "BM", "cross_cutting": False, "sort_order": 1},
    ],
    "visit": [
        {
            "visit_id": "KOR-2009",
            "state": "KOR",
            "kind": "comprehensive",
            "modality": "in_person",
            "start_date": dt.date(2009, 9, 14),
            "end_date": dt.date(2009, 9, 17),
            "baseline_visit_id": None,
            "lead": "Lead",
            "summary": "First visit",
            "confidentiality": "public",
        },
        {
            "visit_id": "KOR-2023",
            "state": "KOR",
            "kind": "follow_up",
            "modality": "hybrid",
            "start_date": dt.date(2023, 5, 22),
            "end_date": dt.date(2023, 5, 25),
            "baseline_visit_id": "KOR-2009",
            "lead": "Lead",
            "summary": "Follow-up",
            "confidentiality": "restricted",
        },
    ],
    "visit_partner": [{"visit_id": "KOR-2023", "partner": "ICAO"}],
    "visit_resolution": [{"visit_id": "KOR-2009", "resolution": 1373}],
    "finding": [
        {
            "finding_id": "KOR-2009-F01",
            "visit_id": "KOR-2009",
            "area": "BM.AVIATION",
            "kind": "shortfall",
            "title": "=Gap, with a comma",
            "detail": "Line one\nline two",
            "priority": True,
            "severity": "major",
            "source_ref": "para. 12",
            "continues": None,
            "confidentiality": "committee",
        },
        {
            "finding_id": "KOR-2023-F01",
            "visit_id": "KOR-2023",
            "area": "BM",
            "kind": "good_practice",
            "title": "Practice",
            "detail": "",
            "priority": False,
            "severity": None,
            "source_ref": "",
            "continues": "KOR-2009-F01",
            "confidentiality": "state_and_cted",
        },
    ],
    "finding_resolution": [{"finding_id": "KOR-2009-F01", "resolution": 1373}],
    "assessment": [
        {
            "finding_id": "KOR-2009-F01",
            "visit_id": "KOR-2023",
            "status": "partially_implemented",
            "evidence": "Évidence «quoted»",
            "assessed_on": dt.date(2023, 5, 25),
            "confidentiality": "committee",
        },
    ],
    "meeting": [
        {
            "meeting_id": "KOR-2023-M01",
            "visit_id": "KOR-2023",
            "date": dt.date(2023, 5, 22),
            "kind": "technical",
            "counterpart": "Ministry",
            "sector": "government",
            "area": "BM",
            "notes": "Notes",
            "confidentiality": "public",
        },
    ],
    "app_user": [
        {
            "username": "alice",
            "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
            "role": "analyst",
            "clearance": "restricted",
            "disabled": False,
            "failed_logins": 2,
            "locked_until": dt.datetime(2024, 1, 1, 12, 30, tzinfo=dt.UTC),
            "created_at": dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
        },
    ],
    "audit_event": [
        {
            "id": 1,
            "at": dt.datetime(2023, 5, 25, 8, 0, 1, 123456, tzinfo=dt.UTC),
            "username": "alice",
            "action": "update",
            "entity": "finding",
            "key": "KOR-2009-F01",
            "changes": '{"title": ["Old", "=Gap, with a comma"]}',
        },
    ],
}


# Columns a later revision moved to a table of their own: a meeting's sector (0016).
MOVED = {"meeting": ("sector",)}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'first.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need TRACKER_TEST_POSTGRES_URL")
    schema = f"tracker_first_revision_{os.getpid()}"
    admin = db.get_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = _postgres_url(schema)
    yield url
    db.get_engine(url).dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def test_a_first_revision_database_upgrades_to_head_with_every_row_intact(empty_url):
    engine = db.get_engine(empty_url)
    db.upgrade(engine, "0001")
    first = MetaData()
    first.reflect(engine)
    assert set(FIRST_REVISION_ROWS) == set(first.tables) - {"alembic_version"}
    with engine.begin() as connection:
        for table in first.sorted_tables:
            if table.name in FIRST_REVISION_ROWS:
                connection.execute(table.insert(), FIRST_REVISION_ROWS[table.name])

    db.upgrade(engine)

    # Read back through the models, whose column types give timestamps their UTC zone again.
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        for name, rows in FIRST_REVISION_ROWS.items():
            table = SQLModel.metadata.tables[name]
            kept = [{c: v for c, v in row.items() if c not in MOVED.get(name, ())} for row in rows]
            stored = [dict(row) for row in connection.execute(select(*[table.c[c] for c in kept[0]])).mappings()]
            assert sorted(stored, key=repr) == sorted(kept, key=repr), name
        sectors = connection.execute(text("SELECT meeting_id, sector FROM meeting_sector")).all()
    assert [tuple(row) for row in sectors] == [("KOR-2023-M01", "government")]


def _old_create(at, username, entity, key, values) -> dict:
    return {
        "at": at,
        "username": username,
        "action": "create",
        "entity": entity,
        "key": key,
        "changes": json.dumps({f: [None, v] for f, v in values.items()}, sort_keys=True),
    }


def test_earlier_per_row_create_events_become_one_import_event_per_import(empty_url):
    engine = db.get_engine(empty_url)
    db.upgrade(engine, "0008")
    earlier = MetaData()
    earlier.reflect(engine)
    first_at = dt.datetime(2023, 5, 25, 8, 0, 1, 123456, tzinfo=dt.UTC)
    second_at = dt.datetime(2024, 2, 1, 9, 30, tzinfo=dt.UTC)
    rows = {name: FIRST_REVISION_ROWS[name] for name in ("member_state", "partner_org", "resolution", "thematic_area")}
    rows["visit"] = FIRST_REVISION_ROWS["visit"]
    rows["finding"] = FIRST_REVISION_ROWS["finding"]
    visit_values = {k: str(v) if isinstance(v, dt.date) else v for k, v in FIRST_REVISION_ROWS["visit"][0].items()}
    finding = FIRST_REVISION_ROWS["finding"][0]
    events = [
        # The first import: a visit and a finding; the second, by someone else: the other two rows.
        _old_create(first_at, "alice", "visit", "KOR-2009", visit_values | {"partners": [], "resolutions": [1373]}),
        _old_create(first_at, "alice", "finding", "KOR-2009-F01", finding | {"resolutions": [1373]}),
        _old_create(second_at, "bob", "visit", "KOR-2023", {"visit_id": "KOR-2023", "state": "KOR"}),
        _old_create(second_at, "bob", "finding", "KOR-2023-F01", {"finding_id": "KOR-2023-F01", "title": "Practice"}),
        {
            **_old_create(second_at, "bob", "finding", "KOR-2009-F01", {}),
            "action": "update",
            "changes": '{"title": ["Old", "=Gap, with a comma"]}',
        },
        # Not a row an import creates: left as it is.
        _old_create(first_at, "alice", "user", "carol", {"role": "viewer"}),
    ]
    with engine.begin() as connection:
        for table in earlier.sorted_tables:
            if table.name in rows:
                connection.execute(table.insert(), rows[table.name])
        connection.execute(earlier.tables["audit_event"].insert(), events)

    db.upgrade(engine)

    from tracker.services.people import audit
    from tracker.services.people.access import LOCAL_ADMIN
    from tracker.services.records import history

    trail = audit.events(engine, LOCAL_ADMIN)
    imports = trail[trail["action"] == "import"].sort_values("at")
    assert imports[["username", "key"]].values.tolist() == [
        ["alice", "visits.csv, findings.csv"],
        ["bob", "visits.csv, findings.csv"],
    ]
    assert imports["at"].tolist() == [first_at, second_at]
    with engine.connect() as connection:
        table = SQLModel.metadata.tables["audit_event"]
        left = connection.execute(select(table.c.action, table.c.entity).where(table.c.action != "import")).all()
        pointers = dict(connection.execute(text("SELECT finding_id, created_in FROM finding")).all())
    assert sorted(left) == [("create", "user"), ("update", "finding")]
    assert pointers == {"KOR-2009-F01": imports["id"].iloc[0], "KOR-2023-F01": imports["id"].iloc[1]}

    lines = history.history(engine, LOCAL_ADMIN, "finding", "KOR-2009-F01")
    created = lines[lines["action"] == "create"]
    assert set(created["username"]) == {"alice"} and set(created["at"]) == {first_at}
    assert dict(zip(created["field"], created["new"]))["Title"] == "=Gap, with a comma"
    assert lines.iloc[0][["action", "username", "old", "new"]].tolist() == [
        "update",
        "bob",
        "Old",
        "=Gap, with a comma",
    ]

    # Taken back to the earlier revision, the created rows are one create event each again.
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(db.alembic_config(connection), "0008")
    with engine.connect() as connection:
        back = connection.execute(
            text("SELECT username, entity, key FROM audit_event WHERE action = 'create' ORDER BY entity, key")
        ).all()
    assert back == [
        ("alice", "finding", "KOR-2009-F01"),
        ("bob", "finding", "KOR-2023-F01"),
        ("alice", "user", "carol"),
        ("alice", "visit", "KOR-2009"),
        ("bob", "visit", "KOR-2023"),
    ]
