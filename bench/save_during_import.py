"""How long a dashboard save waits while a large import runs on SQLite, as JSON on stdout.

    python -m bench.save_during_import BUNDLE_DIR DATABASE_URL

The import runs in a process of its own (`tracker import`). Two saves of one finding each, as
the dashboard's finding form makes them, of rows the bundle neither holds nor refers to: one
while the import reads and checks the bundle, which lands at once, and one as soon as the
import holds the write lock, which waits for its write phase and then lands.
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from tracker.db import get_engine
from tracker.models import Confidentiality, Role
from tracker.services.people.access import Actor
from tracker.services.records import editing as records

ANALYST = Actor("analyst", Role.analyst, Confidentiality.restricted)
TRACKER = str(Path(sys.executable).with_name("tracker"))


def _write_locked(path: str) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _timed_save(engine, finding_id: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        records.save_finding(
            engine,
            ANALYST,
            {"finding_id": finding_id, "visit_id": "BENCH-SAVE", "area": "LEG", "kind": "shortfall", "title": "Saved"},
            new=True,
        )
        outcome = "saved"
    except Exception as error:  # the figure reports a failed save rather than stopping
        outcome = f"failed: {str(error).splitlines()[0]}"
    return time.perf_counter() - started, outcome


def main() -> None:
    bundle, url = Path(sys.argv[1]), sys.argv[2]
    path = make_url(url).database
    engine = get_engine(url)
    records.save_visit(
        engine,
        ANALYST,
        {
            "visit_id": "BENCH-SAVE",
            "state": "KOR",
            "kind": "comprehensive",
            "start_date": "2001-01-01",
            "end_date": "2001-01-02",
        },
        new=True,
    )
    started = time.perf_counter()
    importer = subprocess.Popen(
        [TRACKER, "import", str(bundle)],
        env=os.environ | {"TRACKER_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Well into the reading: a few seconds, long before the import could be writing.
    time.sleep(3)
    reading_locked = _write_locked(path)
    while_reading = _timed_save(engine, "BENCH-SAVE-READING")
    while not _write_locked(path) and importer.poll() is None:
        time.sleep(0.01)
    locked_at = time.perf_counter()
    while_writing = _timed_save(engine, "BENCH-SAVE-WRITING")
    _, errors = importer.communicate()
    json.dump(
        {
            "import_ok": importer.returncode == 0,
            "import_errors": errors.strip().splitlines()[-1:] if errors.strip() else [],
            "import_seconds": time.perf_counter() - started,
            "locked_while_reading": reading_locked,
            "lock_held_from": locked_at - started,
            "save_while_reading": while_reading[0],
            "save_while_reading_outcome": while_reading[1],
            "save_while_writing": while_writing[0],
            "save_while_writing_outcome": while_writing[1],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
