"""Log lines on standard error: one JSON object a line for a service manager, words at a terminal."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker import logs

TRACKER = str(Path(sys.executable).parent / "tracker")
FIELDS = {"time", "level", "user", "action", "duration", "message"}


def test_a_command_writes_one_json_object_a_line_when_stderr_is_no_terminal(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "TRACKER_LOG_FORMAT"}
    environment["TRACKER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'tracker.db'}"

    finished = subprocess.run([TRACKER, "init"], env=environment, capture_output=True, text=True, timeout=120)

    assert finished.returncode == 0, finished.stderr
    lines = [json.loads(line) for line in finished.stderr.splitlines()]
    assert all(set(line) == FIELDS for line in lines)
    said, ended = lines[-2], lines[-1]
    assert said["level"] == "info" and said["action"] == "init" and said["user"].startswith("cli:")
    assert said["message"].startswith("Database ready: added 193 Member States")
    assert ended["message"] == "init done" and ended["duration"] >= 0 and said["duration"] is None


def test_a_failing_command_logs_its_error_as_a_json_line(tmp_path):
    environment = os.environ | {"TRACKER_LOG_FORMAT": "json", "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}

    finished = subprocess.run(
        [TRACKER, "import", str(tmp_path / "missing")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 1
    error, ended = (json.loads(line) for line in finished.stderr.splitlines())
    assert error["level"] == "error" and error["action"] == "import" and not error["message"].startswith("Error:")
    assert ended["level"] == "info" and ended["message"] == "import failed"


@pytest.mark.parametrize(
    ("chosen", "terminal", "as_json"),
    [("", False, True), ("", True, False), ("json", True, True), ("text", False, False)],
)
def test_json_unless_a_person_is_at_the_terminal(monkeypatch, chosen, terminal, as_json):
    monkeypatch.setenv("TRACKER_LOG_FORMAT", chosen)
    stream = io.StringIO()
    monkeypatch.setattr(stream, "isatty", lambda: terminal)

    assert logs.configure(stream) is as_json


def test_at_a_terminal_only_warnings_show_in_words(monkeypatch):
    monkeypatch.setenv("TRACKER_LOG_FORMAT", "text")
    stream = io.StringIO()
    logs.configure(stream)

    with logs.action("import", "cli:ana"):
        logs.log.info("read 3 files")
        logs.log.warning("the database is slow")

    assert stream.getvalue() == "Warning: the database is slow (user=cli:ana action=import)\n"
