"""Two processes writing at once lose nothing; an import killed half-way leaves no trace."""

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tracker.db import is_sqlite
from tracker.models import Finding

from .conftest import dump

TRACKER = str(Path(sys.executable).with_name("tracker"))
BIG = 20_000
SAVES = 25

# Saves one new finding at a time through the service the dashboard's form uses, as an analyst.
SAVER = textwrap.dedent(
    """
    import sys
    from tracker.db import get_engine
    from tracker.models import Confidentiality, Role
    from tracker.services.records import editing as records
    from tracker.services.people.access import Actor

    analyst = Actor("analyst", Role.analyst, Confidentiality.restricted)
    engine = get_engine()
    for i in range(int(sys.argv[1])):
        records.save_finding(engine, analyst, {
            "finding_id": f"SAVE-{i:03d}", "visit_id": "KOR-2023", "area": "LEG", "kind": "shortfall",
            "title": "Saved during an import",
        }, new=True)
    """
)


def big_bundle(folder: Path, findings: int = BIG) -> Path:
    folder.mkdir()
    with (folder / "visits.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["visit_id", "state", "kind", "start_date", "end_date"])
        writer.writerow(["FRA-2020", "FRA", "comprehensive", "2020-01-06", "2020-01-09"])
    with (folder / "findings.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["finding_id", "visit_id", "area", "kind", "title", "detail"])
        for i in range(findings):
            writer.writerow(
                [f"FRA-2020-{i:06d}", "FRA-2020", "LEG", "shortfall", f"Finding {i}", "A long detail. " * 15]
            )
    return folder


def start_import(folder: Path) -> subprocess.Popen:
    return subprocess.Popen([TRACKER, "import", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def truncate_wal(engine) -> None:
    if is_sqlite(engine):
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def is_writing(engine) -> bool:
    """True once another process holds uncommitted finding rows."""
    if is_sqlite(engine):
        wal = Path(f"{engine.url.database}-wal")
        return wal.exists() and wal.stat().st_size > 0
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE relation = 'finding'::regclass "
                    "AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()"
                )
            ).scalar()
        )


def wait_until_writing(engine, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not is_writing(engine):
        assert process.poll() is None, f"the import ended before it was seen writing: {process.communicate()}"
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.01)


@pytest.mark.slow
def test_an_import_and_repeated_saves_at_once_both_land(demo_engine, tmp_path):
    truncate_wal(demo_engine)
    importer = start_import(big_bundle(tmp_path / "big"))
    wait_until_writing(demo_engine, importer)
    saver = subprocess.run([sys.executable, "-c", SAVER, str(SAVES)], capture_output=True, text=True, timeout=300)
    imported = importer.communicate(timeout=300)

    assert saver.returncode == 0, saver.stderr
    assert importer.returncode == 0, imported[1]
    assert "locked" not in saver.stderr + imported[1]
    with demo_engine.connect() as connection:
        big = connection.execute(select(func.count()).where(Finding.visit_id == "FRA-2020")).scalar_one()
        saved = connection.execute(select(func.count()).where(Finding.finding_id.like("SAVE-%"))).scalar_one()
        # Each save's created row names the one import event that records it.
        events = connection.execute(
            select(func.count(func.distinct(Finding.created_in))).where(Finding.finding_id.like("SAVE-%"))
        ).scalar_one()
    assert (big, saved, events) == (BIG, SAVES, SAVES)


@pytest.mark.slow
def test_an_import_killed_half_way_leaves_the_database_as_it_was(demo_engine, tmp_path):
    before = dump(demo_engine)
    truncate_wal(demo_engine)
    importer = start_import(big_bundle(tmp_path / "big"))
    wait_until_writing(demo_engine, importer)
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait()

    assert importer.returncode == -signal.SIGKILL
    demo_engine.dispose()
    assert dump(demo_engine) == before
    if is_sqlite(demo_engine):
        with demo_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
