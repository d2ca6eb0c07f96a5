"""The planner's statistics refreshed after a large import or a restore on PostgreSQL."""

import time

import pytest
from sqlalchemy import text

from tracker.db import is_sqlite, refresh_statistics
from tracker.services.bundle.demo import load_demo
from tracker.services.operations import backup
from tracker.services.people.access import LOCAL_ADMIN


@pytest.fixture
def postgres_engine(engine):
    if is_sqlite(engine):
        pytest.skip("ANALYZE statistics are PostgreSQL's")
    return engine


def analyze_count(engine, table: str = "finding") -> int:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        return connection.execute(
            text(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = :table AND schemaname = current_schema()"
            ),
            {"table": table},
        ).scalar_one()


def analysed_since(engine, before: int, seconds: float = 10) -> bool:
    """Whether the table's analyze_count moves past `before`: statistics reach the view within a second or so."""
    deadline = time.monotonic() + seconds
    while analyze_count(engine) == before:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_large_import_analyses_the_tables(postgres_engine, monkeypatch):
    monkeypatch.setenv("TRACKER_ANALYZE_AFTER_ROWS", "50")
    before = analyze_count(postgres_engine)

    load_demo(postgres_engine, LOCAL_ADMIN)

    assert analysed_since(postgres_engine, before)


def test_a_small_import_leaves_the_statistics_to_autovacuum(postgres_engine, monkeypatch):
    monkeypatch.setenv("TRACKER_ANALYZE_AFTER_ROWS", "100000")
    before = analyze_count(postgres_engine)

    load_demo(postgres_engine, LOCAL_ADMIN)

    assert not analysed_since(postgres_engine, before, seconds=2)


def test_a_restore_analyses_the_tables(postgres_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ANALYZE_AFTER_ROWS", "100000")
    load_demo(postgres_engine, LOCAL_ADMIN)
    backup.backup(postgres_engine, tmp_path / "backup.zip", LOCAL_ADMIN)
    from tests.security.test_backup import _wipe

    _wipe(postgres_engine)
    before = analyze_count(postgres_engine)

    backup.restore(postgres_engine, tmp_path / "backup.zip", LOCAL_ADMIN)

    assert analysed_since(postgres_engine, before)


def test_sqlite_has_no_statistics_to_refresh(engine):
    assert refresh_statistics(engine) is (not is_sqlite(engine))
