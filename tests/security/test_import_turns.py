"""Imports and saves at once: on SQLite a save made while a large import runs waits at most for
its write phase and then lands; on PostgreSQL two imports at once take turns."""

import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select, text

from tests.conftest import assessment_row, write_bundle
from tracker.db import is_sqlite
from tracker.models import Confidentiality, Finding, Role
from tracker.services.bundle.importer import ImportResult, import_bundle
from tracker.services.bundle.importer import run as import_run
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.records import editing as records

from .test_concurrency import BIG, big_bundle

ANALYST = Actor("analyst", Role.analyst, Confidentiality.restricted)
WAIT = 120


def _save(engine, finding_id: str) -> None:
    """What the dashboard's finding form does on Save."""
    records.save_finding(
        engine,
        ANALYST,
        {"finding_id": finding_id, "visit_id": "KOR-2023", "area": "LEG", "kind": "shortfall", "title": "Saved"},
        new=True,
    )


def _in_thread(work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as error:  # handed to the test, which fails on it
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _write_locked(path: str) -> bool:
    """True while another connection holds SQLite's write lock."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        big = connection.execute(select(func.count()).where(Finding.visit_id == "FRA-2020")).scalar_one()
        saved = connection.execute(select(func.count()).where(Finding.finding_id.like("SAVE-%"))).scalar_one()
        # Each saved row names the import event that records its creation.
        events = connection.execute(
            select(func.count(func.distinct(Finding.created_in))).where(Finding.finding_id.like("SAVE-%"))
        ).scalar_one()
    return big, saved, events


def _hold_in_read_phase(reading: threading.Event, go_on: threading.Event):
    def progress(_fraction: float, _name: str) -> None:
        # The first report comes while the bundle is read and checked: hold the import there.
        if not reading.is_set():
            reading.set()
            go_on.wait(WAIT)

    return progress


@pytest.mark.slow
def test_a_save_during_a_large_sqlite_import_waits_and_then_succeeds(demo_engine, tmp_path, monkeypatch):
    if not is_sqlite(demo_engine):
        pytest.skip("PostgreSQL writers do not share one lock")
    folder = big_bundle(tmp_path / "big")
    reading, saved, writing, waiting = (threading.Event() for _ in range(4))
    replay = import_run._Spool.replay

    def replay_once_a_save_waits(self, connection, event) -> None:
        # The large import holds the write lock from here: let a save start and queue behind it.
        if threading.current_thread() is thread:
            writing.set()
            waiting.wait(WAIT)
            time.sleep(0.3)
        replay(self, connection, event)

    monkeypatch.setattr(import_run._Spool, "replay", replay_once_a_save_waits)
    progress = _hold_in_read_phase(reading, saved)
    thread, outcome = _in_thread(
        lambda: import_bundle(demo_engine, sources_from_paths([folder]), LOCAL_ADMIN, progress=progress)
    )
    assert reading.wait(WAIT), "the import never started reading"
    # While the import reads, a save goes through at once: no lock is held yet.
    _save(demo_engine, "SAVE-WHILE-READING")
    saved.set()
    assert writing.wait(WAIT), "the import never started writing"
    assert _write_locked(demo_engine.url.database)
    saver, saver_outcome = _in_thread(lambda: _save(demo_engine, "SAVE-WHILE-WRITING"))
    waiting.set()
    thread.join(WAIT)
    saver.join(WAIT)

    assert "error" not in outcome and "error" not in saver_outcome, (outcome, saver_outcome)
    result: ImportResult = outcome["result"]
    assert result.ok, result.errors
    assert result.counts["findings.csv"].created == BIG
    assert _counts(demo_engine) == (BIG, 2, 2)
    with demo_engine.connect() as connection:
        ids = dict(
            connection.execute(
                select(Finding.finding_id, Finding.created_in).where(
                    Finding.finding_id.in_(["SAVE-WHILE-READING", "SAVE-WHILE-WRITING"])
                )
            ).all()
        )
        # The import records the findings it creates in one event, written in its write phase.
        first, last = connection.execute(
            select(func.min(Finding.created_in), func.max(Finding.created_in)).where(Finding.visit_id == "FRA-2020")
        ).one()
    # The save made while the import read landed before it; the one made while it wrote, after it.
    assert ids["SAVE-WHILE-READING"] < first <= last < ids["SAVE-WHILE-WRITING"]


@pytest.mark.slow
def test_a_save_of_a_row_the_import_holds_makes_it_read_again_under_the_lock(demo_engine, tmp_path):
    if not is_sqlite(demo_engine):
        pytest.skip("only SQLite imports read before they take the lock")
    folder = big_bundle(tmp_path / "big", 2000)
    reading, saved = threading.Event(), threading.Event()
    progress = _hold_in_read_phase(reading, saved)
    thread, outcome = _in_thread(
        lambda: import_bundle(demo_engine, sources_from_paths([folder]), LOCAL_ADMIN, progress=progress)
    )
    assert reading.wait(WAIT)
    # The bundle creates FRA-2020-000005; a colleague creates it first, in another visit.
    _save(demo_engine, "FRA-2020-000005")
    saved.set()
    thread.join(WAIT)

    assert "error" not in outcome, outcome.get("error")
    result: ImportResult = outcome["result"]
    assert result.ok, result.errors
    findings = result.counts["findings.csv"]
    assert (findings.created, findings.updated) == (1999, 1)
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "FRA-2020-000005")["visit_id"] == "FRA-2020"


@pytest.mark.slow
def test_two_postgresql_imports_at_once_take_turns(demo_engine, tmp_path):
    if is_sqlite(demo_engine):
        pytest.skip("SQLite imports already queue on its one write lock")
    folder = big_bundle(tmp_path / "big", 2000)
    started, other_waits = threading.Event(), threading.Event()

    def first_progress(_fraction: float, _name: str) -> None:
        # Hold the first import until the second is seen waiting for its turn.
        if not started.is_set():
            started.set()
            other_waits.wait(30)

    first, first_outcome = _in_thread(
        lambda: import_bundle(demo_engine, sources_from_paths([folder]), LOCAL_ADMIN, progress=first_progress)
    )
    assert started.wait(WAIT)
    second, second_outcome = _in_thread(lambda: import_bundle(demo_engine, sources_from_paths([folder]), LOCAL_ADMIN))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not other_waits.is_set():
        with demo_engine.connect() as connection:
            if connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar():
                other_waits.set()
        time.sleep(0.02)
    other_waits.set()
    first.join(WAIT)
    second.join(WAIT)

    assert "error" not in first_outcome and "error" not in second_outcome, (first_outcome, second_outcome)
    results = [first_outcome["result"], second_outcome["result"]]
    assert [r.errors for r in results] == [[], []]
    assert [(r.counts["findings.csv"].created, r.counts["findings.csv"].unchanged) for r in results] == [
        (2000, 0),
        (0, 2000),
    ]


def test_a_save_of_an_assessment_the_import_holds_makes_it_read_again_under_the_lock(demo_engine, tmp_path):
    if not is_sqlite(demo_engine):
        pytest.skip("only SQLite imports read before they take the lock")
    records.save_visit(
        demo_engine,
        LOCAL_ADMIN,
        {
            "visit_id": "KOR-2030",
            "state": "KOR",
            "kind": "follow_up",
            "start_date": "2030-03-04",
            "end_date": "2030-03-06",
            "baseline_visit_id": "KOR-2009",
        },
        new=True,
    )
    folder = write_bundle(
        tmp_path / "assessed",
        assessments=[
            assessment_row("KOR-2009-F01", "largely_implemented", "KOR-2030", assessed_on="2030-03-06"),
            assessment_row("KOR-2009-F02", "initial_steps", "KOR-2030", assessed_on="2030-03-06"),
        ],
    )
    reading, saved = threading.Event(), threading.Event()
    progress = _hold_in_read_phase(reading, saved)
    thread, outcome = _in_thread(
        lambda: import_bundle(demo_engine, sources_from_paths([folder]), LOCAL_ADMIN, progress=progress)
    )
    assert reading.wait(WAIT)
    # A colleague assesses KOR-2009-F01 at KOR-2030 first, in the worksheet.
    records.save_assessments(
        demo_engine, ANALYST, "KOR-2030", [{"finding_id": "KOR-2009-F01", "status": "not_implemented"}]
    )
    saved.set()
    thread.join(WAIT)

    assert "error" not in outcome, outcome.get("error")
    result: ImportResult = outcome["result"]
    assert result.ok, result.errors
    assessments = result.counts["assessments.csv"]
    assert (assessments.created, assessments.updated) == (1, 1)
