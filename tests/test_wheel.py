"""The package as a user installs it: a wheel built from this checkout, in a fresh virtual environment."""

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import APP_TIMEOUT

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", build, ROOT],
        check=True,
    )
    (built,) = build.glob("cted_followup_tracker-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel) -> Path:
    """A fresh venv holding the wheel; its dependencies are this environment's, linked in, not the checkout."""
    venv = wheel.parent / "venv"
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


def test_the_wheel_holds_the_tracker_package_only(wheel):
    """The benchmarks and the tests stay in the checkout: nothing but `tracker` is installed at the top."""
    with zipfile.ZipFile(wheel) as archive:
        top = {name.split("/")[0] for name in archive.namelist() if not name.split("/")[0].endswith(".dist-info")}

    assert top == {"tracker"}


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
        deadline = time.monotonic() + APP_TIMEOUT
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
    # Stopping the command stops the server it started: nothing answers on the port any more.
    deadline = time.monotonic() + APP_TIMEOUT
    while _answers(port):
        assert time.monotonic() < deadline, "the dashboard's server outlived `tracker dashboard`"
        time.sleep(0.2)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False
