"""Fixtures: a migrated, seeded database per test, on SQLite and (when configured) PostgreSQL."""

import csv
import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tracker import db
from tracker.services.bundle.files import SPECS
from tracker.services.operations.reference import init_database, seed_reference_data
from tracker.services.people.access import LOCAL_ADMIN

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL")
# The dashboard refuses local mode on any address but 127.0.0.1; AppTest reads this like a server would.
os.environ.setdefault("STREAMLIT_SERVER_ADDRESS", "127.0.0.1")
# Issued reports are sealed under this key, so no test writes a key file outside its own folders;
# the tests of the key file itself unset it.
os.environ.setdefault("TRACKER_SEAL_KEY", "a seal key for the tests")
BACKENDS = ["sqlite", "postgresql"]
# How long one run of a dashboard page may take under AppTest before the test fails: a bound for a
# loaded machine (the whole suite in parallel with another), not a wait; a run ends when the page does.
APP_TIMEOUT = 300


def _schema(worker: str) -> str:
    """One schema per test process, so parallel runs never share tables."""
    return f"tracker_{worker}_{os.getpid()}"


def _postgres_url(schema: str) -> str:
    url = make_url(POSTGRES_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def _log_lines_in_words(monkeypatch):
    """Tests read what a command says as a person would at a terminal; JSON lines have tests of their own."""
    monkeypatch.setenv("TRACKER_LOG_FORMAT", "text")


@pytest.fixture(autouse=True)
def _no_failed_sign_ins_carried_over():
    """Failed sign-ins are counted in the process; each test starts with none."""
    from tracker.services.people import users

    users._tries.clear()


@pytest.fixture(autouse=True)
def _no_chart_browser_kept():
    """The Reports page keeps a chart browser open for minutes once Word is offered (its default);
    each test starts without one, so that a test of the browser's life sees only its own."""
    yield
    chart_browser = sys.modules.get("tracker.services.reports.chart_browser")
    if chart_browser is not None:
        chart_browser._close_at_exit()


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
    from tracker.services.bundle.demo import load_demo

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


# A State with three visits: a baseline, a focused follow-up, a second follow-up.
HISTORY_VISITS = ("KOR-2011", "KOR-2017", "KOR-2024")


def history_bundle() -> dict[str, list[dict]]:
    """Three visits of KOR, counted by hand in tests/services/test_history.py (its docstring tells them)."""
    B, P, F = HISTORY_VISITS
    baseline = [
        ("B1", "shortfall", "LEG"),
        ("B2", "recommendation", "LEG.CRIMINALIZATION"),
        ("B3", "shortfall", "CFT"),
        ("B4", "recommendation", "CFT.NPO"),
        ("B5", "shortfall", "BM.AVIATION"),
        ("B6", "shortfall", "STRAT"),
        ("B7", "recommendation", "ICT"),
        ("B8", "recommendation", "HR"),
        ("B9", "good_practice", "LEG"),
        ("B10", "ta_need", "ICT"),
    ]
    findings = [
        finding_row(key, visit_id=B, kind=kind, area=area, priority="true" if key == "B2" else "false")
        for key, kind, area in baseline
    ]
    findings += [
        finding_row("P1", visit_id=P, kind="shortfall", area="CFT", continues="B3"),
        finding_row("P2", visit_id=P, kind="recommendation", area="BM.MARITIME", priority="true"),
        finding_row("P3", visit_id=P, kind="shortfall", area="LEG"),
        finding_row("P4", visit_id=P, kind="recommendation", area="CFT"),
        finding_row("F1", visit_id=F, kind="recommendation", area="LEG"),
        finding_row("F2", visit_id=F, kind="recommendation", area="CFT", continues="P4"),
        finding_row("F3", visit_id=F, kind="shortfall", area="STRAT"),
    ]
    at_p = {"B1": "fully_implemented", "B2": "partially_implemented", "B3": "not_implemented"}
    at_p |= {"B4": "largely_implemented", "B5": "initial_steps"}
    at_f = {"B2": "largely_implemented", "P1": "partially_implemented", "B5": "fully_implemented"}
    at_f |= {"B6": "initial_steps", "B7": "not_implemented", "P2": "largely_implemented", "P3": "fully_implemented"}
    assessments = [assessment_row(key, status, visit_id=P, assessed_on="2017-06-03") for key, status in at_p.items()]
    assessments += [assessment_row(key, status, visit_id=F, assessed_on="2024-04-03") for key, status in at_f.items()]
    return {
        "visits": [
            visit_row(B, start_date="2011-03-01", end_date="2011-03-04"),
            followup_row(P, baseline=B, start_date="2017-06-01", end_date="2017-06-03", scope="LEG;CFT;BM"),
            followup_row(F, baseline=B, start_date="2024-04-01", end_date="2024-04-03"),
        ],
        "findings": findings,
        "assessments": assessments,
    }


@pytest.fixture
def history_engine(engine, tmp_path):
    from tracker.services.bundle.importer import import_bundle
    from tracker.services.bundle.sources import sources_from_paths

    result = import_bundle(
        engine, sources_from_paths([write_bundle(tmp_path / "history", **history_bundle())]), LOCAL_ADMIN
    )
    assert result.ok, result.errors
    return engine
