"""Backups taken while others write, and the restore of a portable backup."""

import datetime as dt
import sqlite3
import zipfile

import pytest
from sqlalchemy import delete, insert
from sqlmodel import SQLModel
from typer.testing import CliRunner

from tracker.cli import app
from tracker.db import get_engine, is_sqlite, writing
from tracker.errors import PermissionDenied, TrackerError
from tracker.models import Confidentiality, Role, Visit
from tracker.services.operations import backup
from tracker.services.operations.reference import seed_reference_data
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN, Actor

from .conftest import PASSWORD, add_user, dump

runner = CliRunner()
MATERIAL = (
    "thematic_area",
    "visit",
    "visit_partner",
    "visit_resolution",
    "finding",
    "finding_resolution",
    "assessment",
    "meeting",
)


def _wipe(engine) -> None:
    """Back to a freshly initialised database."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(delete(table))
    seed_reference_data(engine)


def _accounts(engine) -> list[tuple]:
    return [row[:5] + row[7:] for row in dump(engine)["app_user"]]


def _events(engine) -> list[tuple]:
    return [row[1:] for row in dump(engine)["audit_event"]]


@pytest.fixture
def sqlite_engine(demo_engine):
    if not is_sqlite(demo_engine):
        pytest.skip("a file copy is the SQLite backup")
    return demo_engine


def test_a_sqlite_backup_is_a_copy_of_the_database(sqlite_engine, tmp_path):
    add_user(sqlite_engine, "alice")
    summary = backup.backup(sqlite_engine, tmp_path / "copy.db", LOCAL_ADMIN)
    copy = get_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    assert dump(copy) == dump(sqlite_engine)
    assert "finding: 71 rows" in summary
    copy.dispose()


def test_a_sqlite_backup_does_not_wait_for_a_writer_and_leaves_its_rows_out(sqlite_engine, tmp_path):
    before = dump(sqlite_engine)
    with writing(sqlite_engine) as connection:
        connection.execute(
            insert(Visit.__table__),
            [
                {
                    "visit_id": "FRA-2020",
                    "state": "FRA",
                    "kind": "focused",
                    "modality": "virtual",
                    "start_date": dt.date(2020, 1, 1),
                    "end_date": dt.date(2020, 1, 2),
                    "lead": "",
                    "summary": "",
                    "confidentiality": "public",
                }
            ],
        )
        backup.backup(sqlite_engine, tmp_path / "copy.db", LOCAL_ADMIN)
    copy = get_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    assert dump(copy) == before
    copy.dispose()


def test_a_sqlite_backup_opens_on_its_own(sqlite_engine, tmp_path):
    backup.backup(sqlite_engine, tmp_path / "copy.db", LOCAL_ADMIN)
    for suffix in ("-wal", "-shm"):
        assert not (tmp_path / f"copy.db{suffix}").exists()
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM finding").fetchone() == (71,)


def test_a_portable_backup_restores_every_row_user_and_event(demo_engine, tmp_path):
    add_user(demo_engine, "alice", Role.analyst, Confidentiality.state_and_cted)
    users.set_disabled(demo_engine, LOCAL_ADMIN, "alice")
    before = dump(demo_engine)
    accounts, events = _accounts(demo_engine), _events(demo_engine)
    backup.backup(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)
    _wipe(demo_engine)

    backup.restore(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)

    after = dump(demo_engine)
    assert {t: after[t] for t in MATERIAL} == {t: before[t] for t in MATERIAL}
    assert _accounts(demo_engine) == accounts
    assert set(events) <= set(_events(demo_engine))
    with pytest.raises(TrackerError):
        users.authenticate(demo_engine, "alice", PASSWORD)
    users.set_disabled(demo_engine, LOCAL_ADMIN, "alice", disabled=False)
    assert users.authenticate(demo_engine, "alice", PASSWORD).clearance == Confidentiality.state_and_cted


def test_a_portable_backup_holds_an_ordinary_bundle(demo_engine, tmp_path):
    backup.backup(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)
    with zipfile.ZipFile(tmp_path / "backup.zip") as archive:
        assert sorted(archive.namelist()) == ["audit_events.csv", "bundle.zip", "report_snapshots.json", "users.csv"]
        archive.extract("bundle.zip", tmp_path)
    result = runner.invoke(app, ["import", "--dry-run", str(tmp_path / "bundle.zip")])
    assert result.exit_code == 0 and "71 unchanged" in result.stdout


def test_a_restore_refuses_a_database_in_use(demo_engine, tmp_path):
    backup.backup(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)
    before = dump(demo_engine)
    with pytest.raises(TrackerError, match="already holds visits or users"):
        backup.restore(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)
    assert dump(demo_engine) == before


@pytest.mark.parametrize("content", [b"not a zip", b"SQLite format 3\x00"])
def test_a_restore_of_something_else_is_one_sentence(engine, tmp_path, content):
    (tmp_path / "thing").write_bytes(content)
    with pytest.raises(TrackerError, match=r"not a portable \.zip backup"):
        backup.restore(engine, tmp_path / "thing", LOCAL_ADMIN)


def test_a_restore_of_a_zip_that_is_not_a_backup_is_refused(engine, tmp_path):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("visits.csv", "visit_id\n")
    with pytest.raises(TrackerError, match="not a backup written by 'tracker backup'"):
        backup.restore(engine, tmp_path / "other.zip", LOCAL_ADMIN)


@pytest.mark.parametrize(
    "actor",
    [Actor("analyst", Role.analyst, Confidentiality.restricted), Actor("boss", Role.admin, Confidentiality.committee)],
    ids=["analyst", "admin-below-restricted"],
)
def test_only_a_fully_cleared_administrator_backs_up_or_restores(demo_engine, tmp_path, actor):
    with pytest.raises(PermissionDenied):
        backup.backup(demo_engine, tmp_path / "backup.zip", actor)
    assert not (tmp_path / "backup.zip").exists()
    backup.backup(demo_engine, tmp_path / "backup.zip", LOCAL_ADMIN)
    _wipe(demo_engine)
    with pytest.raises(PermissionDenied):
        backup.restore(demo_engine, tmp_path / "backup.zip", actor)


def test_cli_backup_and_restore(demo_engine, tmp_path):
    result = runner.invoke(app, ["backup", str(tmp_path / "backup.zip")])
    assert result.exit_code == 0, result.output
    assert "findings.csv: 71 rows" in result.stdout
    _wipe(demo_engine)
    restored = runner.invoke(app, ["backup", "--restore", str(tmp_path / "backup.zip")])
    assert restored.exit_code == 0, restored.output
    assert "findings.csv: 71 created" in restored.stdout


def test_cli_backup_of_postgresql_needs_a_zip_name(demo_engine, tmp_path):
    result = runner.invoke(app, ["backup", str(tmp_path / "copy.db")])
    if is_sqlite(demo_engine):
        assert result.exit_code == 0
    else:
        assert result.exit_code == 1
        assert "give a file name ending in .zip" in result.stderr
        assert not (tmp_path / "copy.db").exists()


def test_a_backup_to_a_folder_is_refused(demo_engine, tmp_path):
    with pytest.raises(TrackerError, match="is a folder"):
        backup.backup(demo_engine, tmp_path, LOCAL_ADMIN)
