"""The package as a user installs it: a wheel built from this checkout, in a fresh virtual environment."""

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the wheel; its dependencies are this environment's, linked in, not the checkout."""
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", build, ROOT],
        check=True,
    )
    (wheel,) = build.glob("cted_followup_tracker-*.whl")
    venv = build / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    packages = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # A plain path line: the dependencies become importable, the checkout's editable finder does not.
    (packages / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel], check=True
    )
    return venv / "bin"


def _run(bin_dir: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), PATH=f"{bin_dir}:{env['PATH']}")
    return subprocess.run(
        [str(bin_dir / "tracker"), *args], cwd=home, env=env, capture_output=True, text=True, timeout=300
    )


def test_wheel_runs_from_any_folder(installed, tmp_path):
    where = subprocess.run(
        [str(installed / "python"), "-c", "import tracker; print(tracker.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(installed.parent) in where.stdout, "the package must come from the wheel, not the checkout"

    init = _run(installed, tmp_path, "init")
    assert init.returncode == 0, init.stderr
    # Installed, the default database lives in the user's data folder, not inside site-packages.
    assert (tmp_path / "data" / "cted-followup-tracker" / "tracker.db").is_file()

    demo = _run(installed, tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr

    compare = _run(installed, tmp_path, "compare", "KOR")
    assert compare.returncode == 0, compare.stderr
    assert compare.stdout.startswith("KOR: follow-up visit KOR-2023 compared with baseline visit KOR-2009")
    assert "TOTAL" in compare.stdout


def test_wheel_serves_the_dashboard(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    port = _free_port()
    server = subprocess.Popen(
        [str(installed / "tracker"), "dashboard", "--port", str(port), "--headless"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    assert answer.read() == b"ok"
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert b"<html" in page.read().lower()
    finally:
        server.terminate()
        server.wait(timeout=30)
