"""The deployment files in deploy/: the systemd units pass `systemd-analyze verify`."""

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tracker.services.bundle.demo import load_demo
from tracker.services.people.access import LOCAL_ADMIN

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
# Where the units (and the administrator guide's installation steps) expect the tracker to be installed.
INSTALLED = "/opt/tracker/.venv"
UNITS = ("tracker-dashboard.service", "tracker-backup.service", "tracker-backup.timer")

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian's systemd package)"
)


@pytest.fixture
def units(tmp_path) -> Path:
    """The units as installed on this machine: the tracker of this virtual environment in place of /opt/tracker's."""
    for name in UNITS:
        text = (DEPLOY / name).read_text().replace(INSTALLED, sys.prefix)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("unit", UNITS)
def test_the_unit_passes_systemd_analyze_verify(units, unit):
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(units / unit)], capture_output=True, text=True, timeout=60, cwd=units
    )

    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == ""


def test_the_units_start_the_installed_tracker():
    for name in UNITS[:2]:
        commands = [line for line in (DEPLOY / name).read_text().splitlines() if line.startswith("Exec")]
        assert commands and all(f"{INSTALLED}/bin/tracker" in line or "find " in line for line in commands)


def test_the_timer_runs_each_night():
    calendar = subprocess.run(
        ["systemd-analyze", "calendar", "*-*-* 02:30:00"], capture_output=True, text=True, timeout=60
    )
    assert calendar.returncode == 0
    assert "OnCalendar=*-*-* 02:30:00" in (DEPLOY / "tracker-backup.timer").read_text()


def test_the_nightly_backup_writes_a_backup_and_deletes_those_past_their_days(engine, database_url, tmp_path):
    load_demo(engine, LOCAL_ADMIN)
    folder = tmp_path / "backups"
    folder.mkdir()
    old, recent = folder / "tracker-20200101T023000Z.zip", folder / "tracker-20991231T023000Z.zip"
    for path, days in ((old, 31), (recent, 29)):
        path.write_bytes(b"an earlier backup")
        os.utime(path, (time.time() - days * 86400,) * 2)
    unit = (DEPLOY / "tracker-backup.service").read_text()
    # As systemd runs them: %% is %, $$ is $.
    commands = [
        line.partition("=")[2].replace("%%", "%").replace("$$", "$").replace(INSTALLED, sys.prefix)
        for line in unit.splitlines()
        if line.startswith(("ExecStart=", "ExecStartPost="))
    ]
    environment = os.environ | {"TRACKER_DATABASE_URL": database_url, "BACKUP_KEEP_DAYS": "30"}

    for command in commands:
        shell, _, script = command.partition(" -c ")
        script = script.strip("'").replace("/var/backups/tracker", str(folder))
        finished = subprocess.run([shell, "-c", script], env=environment, capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stderr

    written = sorted(path.name for path in folder.iterdir())
    assert len(written) == 2 and recent.name in written and old.name not in written
    [new] = [name for name in written if name != recent.name]
    assert {"bundle.zip", "users.csv", "audit_events.csv"} <= set(zipfile.ZipFile(folder / new).namelist())
