"""Imports and saves at once: on SQLite a save made while a large import runs waits at most for
its write phase and then lands; on PostgreSQL two imports at once take turns."""

import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select, text

from tracker.db import is_sqlite
from tracker.models import AuditEvent, Confidentiality, Finding, Role
from tracker.services import records
from tracker.services.access import LOCAL_ADMIN, Actor
from tracker.services.bundle_format import sources_from_paths
from tracker.services.importer import ImportResult, import_bundle

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
        events = connection.execute(select(func.count()).where(AuditEvent.key.like("SAVE-%"))).scalar_one()
    return big, saved, events


@pytest.mark.slow
def test_a_save_during_a_large_sqlite_import_waits_and_then_succeeds(demo_engine, tmp_path):
    if not is_sqlite(demo_engine):
        pytest.skip("PostgreSQL writers do not share one lock")
    folder = big_bundle(tmp_path / "big")
    reading, saved = threading.Event(), threading.Event()

    def progress(_fraction: float, _name: str) -> None:
        # The first report comes while the bundle is read and checked: hold the import there.
        if not reading.is_set():
            reading.set()
            saved.wait(WAIT)

    thread, outcome = _in_thread(
        lambda: import_bundle(demo_engine, sources_from_paths([folder]), LOCAL_ADMIN, progress=progress)
    )
    assert reading.wait(WAIT), "the import never started reading"
    # While the import reads, a save goes through at once: no lock is held yet.
    _save(demo_engine, "SAVE-WHILE-READING")
    saved.set()
    # The import saw the save and reads again under the write lock; a save now waits for it.
    deadline = time.monotonic() + WAIT
    while not _write_locked(demo_engine.url.database):
        assert thread.is_alive() and time.monotonic() < deadline, "the import was never seen writing"
        time.sleep(0.005)
    _save(demo_engine, "SAVE-WHILE-WRITING")
    thread.join(WAIT)

    assert "error" not in outcome, outcome.get("error")
    result: ImportResult = outcome["result"]
    assert result.ok, result.errors
    assert result.counts["findings.csv"].created == BIG
    assert _counts(demo_engine) == (BIG, 2, 2)


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
