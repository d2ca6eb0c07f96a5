"""A first start that is safe: the demo in its own database, the dashboard on 127.0.0.1 only, no prompt."""

import csv
import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select, update
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from tests.conftest import APP_TIMEOUT
from tracker.cli import app
from tracker.models import Finding, Meeting

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

LOCAL_ONLY = (
    "Error: Local mode (no login, full access) serves this computer only (127.0.0.1), not 0.0.0.0; use "
    "--address 127.0.0.1, or set TRACKER_AUTH=on and add users with 'tracker user add' to serve a team.\n"
)


def test_the_shipped_streamlit_settings_make_a_quiet_local_start():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())

    assert settings["server"]["headless"] is True
    assert settings["server"]["showEmailPrompt"] is False
    assert settings["server"]["address"] == "127.0.0.1"
    assert settings["browser"]["gatherUsageStats"] is False
    assert settings["client"]["toolbarMode"] in ("viewer", "minimal")


def test_local_mode_refuses_to_serve_another_address(monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    calls = []
    monkeypatch.setattr("subprocess.call", lambda *args, **kwargs: calls.append(args) or 0)

    result = runner.invoke(app, ["dashboard", "--address", "0.0.0.0"])

    assert (result.exit_code, result.output) == (1, LOCAL_ONLY)
    assert calls == []


def test_a_team_server_serves_the_address_it_is_given_without_a_prompt(monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "on")
    calls = []
    monkeypatch.setattr("subprocess.call", lambda command, **kwargs: calls.append((command, kwargs)) or 0)

    result = runner.invoke(app, ["dashboard", "--address", "0.0.0.0", "--port", "8600", "--headless"])

    assert result.exit_code == 0, result.output
    [(command, kwargs)] = calls
    options = dict(zip(command[5::2], command[6::2]))
    assert options["--server.address"] == "0.0.0.0" and options["--server.port"] == "8600"
    assert options["--server.showEmailPrompt"] == "false" and options["--browser.gatherUsageStats"] == "false"
    assert options["--server.headless"] == "true"
    assert kwargs["stdin"] == subprocess.DEVNULL


def test_local_mode_serves_127_0_0_1_by_default(monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    calls = []
    monkeypatch.setattr("subprocess.call", lambda command, **kwargs: calls.append(command) or 0)

    result = runner.invoke(app, ["dashboard"])

    assert result.exit_code == 0
    assert calls[0][calls[0].index("--server.address") + 1] == "127.0.0.1"
    assert result.output == "Serving the dashboard on http://127.0.0.1:8501 (stop it with Ctrl+C).\n"


@pytest.mark.parametrize("address", ["0.0.0.0", None])
def test_the_app_itself_refuses_local_mode_on_another_address(monkeypatch, address):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    streamlit_config.set_option("server.address", address)
    try:
        page = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=APP_TIMEOUT).run()
    finally:
        streamlit_config.set_option("server.address", "127.0.0.1")

    assert not page.exception
    [error] = page.error
    assert error.value.startswith("Local mode (no login, full access) serves this computer only (127.0.0.1), not ")
    assert not page.sidebar.button, "no page is served"


def test_the_app_serves_a_team_on_another_address(engine, monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "on")
    streamlit_config.set_option("server.address", "0.0.0.0")
    try:
        page = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=APP_TIMEOUT).run()
    finally:
        streamlit_config.set_option("server.address", "127.0.0.1")

    assert not page.exception and not page.error
    assert page.button[0].label == "Sign in"


def _edit_demo_rows(engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(Finding).where(Finding.finding_id == "KOR-2009-F02").values(title="Edited by an analyst")
        )
        connection.execute(update(Meeting).where(Meeting.meeting_id == "KOR-2023-M01").values(notes="My notes"))


def test_the_demo_keeps_rows_an_analyst_edited(demo_engine):
    _edit_demo_rows(demo_engine)

    result = runner.invoke(app, ["demo"])

    assert (result.exit_code, result.output) == (
        1,
        "Error: the database holds 2 row(s) that differ from the shipped example (findings.csv KOR-2009-F02, "
        "meetings.csv KOR-2023-M01) and nothing was changed; keep them, or run 'tracker demo --force' to put "
        "the example's values back.\n",
    )
    with demo_engine.connect() as connection:
        assert connection.execute(select(Finding.title).where(Finding.finding_id == "KOR-2009-F02")).scalar_one() == (
            "Edited by an analyst"
        )


def test_the_demo_puts_the_example_back_with_force(demo_engine):
    _edit_demo_rows(demo_engine)

    result = runner.invoke(app, ["demo", "--force"])

    assert result.exit_code == 0, result.output
    assert "findings.csv: 0 created, 1 updated, 70 unchanged" in result.stdout
    with demo_engine.connect() as connection:
        title = connection.execute(select(Finding.title).where(Finding.finding_id == "KOR-2009-F02")).scalar_one()
    assert title == "No comprehensive definition of terrorist acts in domestic law"


def test_the_demo_loads_again_when_nothing_was_edited(demo_engine):
    result = runner.invoke(app, ["demo"])

    assert result.exit_code == 0, result.output
    assert "findings.csv: 0 created, 0 updated, 71 unchanged" in result.stdout


def test_export_defaults_to_the_committee_level(demo_engine, tmp_path):
    result = runner.invoke(app, ["export", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    levels = {
        row["confidentiality"]
        for name in ("visits.csv", "findings.csv", "assessments.csv", "meetings.csv")
        for row in csv.DictReader((tmp_path / "out" / name).open(encoding="utf-8"))
    }
    assert "committee" in levels
    assert levels <= {"public", "un_platform", "member_states", "committee"}


def test_the_download_defaults_to_the_committee_level(demo_engine, monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    page = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=APP_TIMEOUT).run()
    page.switch_page("tracker/ui/import_export.py").run()

    assert page.selectbox(key="export:level").value == "committee"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_make_demo_with_no_terminal_serves_127_0_0_1_and_asks_nothing(tmp_path):
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("make demo needs the project's .venv (make .venv/.installed)")
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "STREAMLIT_"))}
    demo = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "demo",
            f"DEMO_PORT={port}",
            f"DEMO_DATABASE_URL=sqlite:///{tmp_path}/demo.db",
        ],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        healthy = _wait_for_health(f"http://127.0.0.1:{port}/_stcore/health", demo, seconds=APP_TIMEOUT)
        listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    finally:
        os.killpg(demo.pid, 15)
        output = demo.communicate(timeout=30)[0]
    assert healthy, output
    assert "Email" not in output and "usage statistics" not in output.lower()
    assert f"http://127.0.0.1:{port}" in output
    assert (tmp_path / "demo.db").exists()
    addresses = {line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(f":{port}")}
    assert addresses == {f"127.0.0.1:{port}"}


def _wait_for_health(url: str, process: subprocess.Popen, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def test_the_dashboard_command_serves_through_the_loader_of_the_first_page(monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    calls = []
    monkeypatch.setattr("subprocess.call", lambda command, **kwargs: calls.append(command) or 0)

    runner.invoke(app, ["dashboard", "--headless"])

    assert calls[0][1:5] == ["-m", "tracker.serve", "run", str(ROOT / "tracker" / "app.py")]


def test_the_loader_imports_what_the_first_page_needs_before_a_browser_asks():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from tracker import serve; serve._load_first_page(); "
            "print(all(name in sys.modules for name in serve._FIRST_PAGE))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )

    assert loaded.stdout == "True\n"


def test_make_demo_installs_the_package_without_the_test_extra_and_make_test_with_it():
    def recipe(target: str) -> str:
        # -B: every step, as on a fresh clone; -n: printed, not run.
        return subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    demo, test = recipe("demo"), recipe("test")

    assert ".venv/bin/pip install --quiet -c constraints.txt -e .\n" in demo
    assert "[test]" not in demo
    assert ".venv/bin/pip install --quiet -c constraints.txt -e '.[test,docs]'\n" in test


def test_single_sign_on_refuses_to_start_without_its_settings(monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "oidc")
    monkeypatch.setenv("TRACKER_OIDC_ISSUER", "https://login.example.org")
    calls = []
    monkeypatch.setattr("subprocess.call", lambda *args, **kwargs: calls.append(args) or 0)

    result = runner.invoke(app, ["dashboard", "--address", "0.0.0.0"])

    assert (result.exit_code, result.output) == (
        1,
        "Error: Single sign-on (TRACKER_AUTH=oidc) needs TRACKER_OIDC_CLIENT_ID, TRACKER_OIDC_CLIENT_SECRET, "
        "TRACKER_PUBLIC_URL; set them in the server's environment, e.g. /etc/tracker/tracker.env.\n",
    )
    assert calls == []
