"""Fixtures: a migrated, seeded database per test, on SQLite and (when configured) PostgreSQL."""

import csv
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tracker import db
from tracker.services.access import LOCAL_ADMIN
from tracker.services.bundle_format import SPECS
from tracker.services.reference import init_database, seed_reference_data

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL")
# The dashboard refuses local mode on any address but 127.0.0.1; AppTest reads this like a server would.
os.environ.setdefault("STREAMLIT_SERVER_ADDRESS", "127.0.0.1")
BACKENDS = ["sqlite", "postgresql"]


def _schema(worker: str) -> str:
    """One schema per test process, so parallel runs never share tables."""
    return f"tracker_{worker}_{os.getpid()}"


def _postgres_url(schema: str) -> str:
    url = make_url(POSTGRES_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def _no_failed_sign_ins_carried_over():
    """Failed sign-ins are counted in the process; each test starts with none."""
    from tracker.services import users

    users._tries.clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tracker.db"
    engine = db.get_engine(f"sqlite:///{path}")
    init_database(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_base(worker_id) -> str:
    if not POSTGRES_URL:
        pytest.skip(
            "PostgreSQL tests need TRACKER_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    schema = _schema(worker_id)
    url = _postgres_url(schema)
    admin = db.get_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    init_database(db.get_engine(url))
    yield url
    db.get_engine(url).dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def _reset_postgres(url: str) -> None:
    engine = db.get_engine(url)
    with engine.begin() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    seed_reference_data(engine)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, monkeypatch) -> str:
    """A fresh database holding the schema and the reference data, and no assessment material."""
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_base")
        _reset_postgres(url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    yield url
    if request.param == "sqlite":
        db.get_engine(url).dispose()
        db._engine_for.cache_clear()


@pytest.fixture
def engine(database_url):
    return db.get_engine(database_url)


@pytest.fixture
def demo_engine(engine):
    from tracker.services.demo import load_demo

    load_demo(engine, LOCAL_ADMIN)
    return engine


def write_bundle(folder: Path, **files: list[dict]) -> Path:
    """Write bundle files from row dicts; the header is every column of the file, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in files.items():
        spec = SPECS[f"{stem}.csv"]
        with (folder / spec.name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=spec.columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder


def visit_row(visit_id="KOR-2009", **overrides) -> dict:
    row = {
        "visit_id": visit_id,
        "state": "KOR",
        "kind": "comprehensive",
        "modality": "in_person",
        "start_date": "2009-09-14",
        "end_date": "2009-09-17",
        "baseline_visit_id": "",
        "lead": "Lead",
        "partners": "",
        "resolutions": "1373",
        "summary": "",
        "confidentiality": "committee",
    }
    return row | overrides


def followup_row(visit_id="KOR-2023", baseline="KOR-2009", **overrides) -> dict:
    defaults = {
        "kind": "follow_up",
        "start_date": "2023-05-22",
        "end_date": "2023-05-25",
        "baseline_visit_id": baseline,
    }
    return visit_row(visit_id, **(defaults | overrides))


def finding_row(finding_id, visit_id="KOR-2009", kind="shortfall", area="LEG", **overrides) -> dict:
    row = {
        "finding_id": finding_id,
        "visit_id": visit_id,
        "area": area,
        "kind": kind,
        "title": f"Finding {finding_id}",
        "detail": "",
        "priority": "false",
        "severity": "",
        "resolutions": "",
        "source_ref": "",
        "continues": "",
        "confidentiality": "committee",
    }
    return row | overrides


def assessment_row(finding_id, status, visit_id="KOR-2023", **overrides) -> dict:
    row = {
        "finding_id": finding_id,
        "visit_id": visit_id,
        "status": status,
        "evidence": "",
        "assessed_on": "2023-05-25",
        "confidentiality": "committee",
    }
    return row | overrides


def meeting_row(meeting_id, visit_id="KOR-2023", **overrides) -> dict:
    row = {
        "meeting_id": meeting_id,
        "visit_id": visit_id,
        "date": "2023-05-22",
        "kind": "technical",
        "counterpart": "Ministry",
        "sector": "government",
        "area": "",
        "notes": "",
        "confidentiality": "committee",
    }
    return row | overrides
