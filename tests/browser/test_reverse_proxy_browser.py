"""The dashboard behind deploy/nginx-tracker.conf on loopback, in a real browser: the page, its
websocket and the sign-in all pass through nginx over TLS."""

import shutil
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.test_dashboard_browser import PATIENCE, free_port
from tests.browser.test_team_server_browser import PASSWORD, browser, sign_in_form_shown, signed_in, team_server
from tracker import db
from tracker.services.operations.reference import init_database
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx-tracker.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="needs nginx (apt-get install nginx-light)"),
]
__all__ = ["browser"]


def nginx_config(folder: Path, dashboard_port: int, http_port: int, tls_port: int) -> Path:
    """The example as the test serves it: loopback ports, a self-signed certificate, files in `folder`."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(folder / "tls.key"),
            "-out",
            str(folder / "tls.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (
        EXAMPLE.read_text()
        .replace("server 127.0.0.1:8501;", f"server 127.0.0.1:{dashboard_port};")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;")
        .replace("/etc/ssl/certs/tracker.example.org.pem", str(folder / "tls.pem"))
        .replace("/etc/ssl/private/tracker.example.org.key", str(folder / "tls.key"))
    )
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    temporary = folder / "temp"
    temporary.mkdir()
    temporary.chmod(0o777)
    config = folder / "nginx.conf"
    config.write_text(
        f"daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nevents {{}}\n"
        f"http {{\naccess_log {folder / 'access.log'};\n"
        + "".join(
            f"{kind}_temp_path {temporary / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"{site}\n}}\n"
    )
    return config


def wait_until_proxied(url: str, nginx: subprocess.Popen, seconds: float = 30) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert nginx.poll() is None, f"nginx stopped: {nginx.stderr.read() if nginx.stderr else ''}"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=context) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nginx did not answer on {url} within {seconds} seconds")


def test_the_dashboard_behind_the_nginx_example_serves_pages_and_websockets(tmp_path, browser):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    users.add_user(engine, LOCAL_ADMIN, users.validated_user("alice", PASSWORD, "analyst", "committee"))
    engine.dispose()
    dashboard_port, http_port, tls_port = free_port(), free_port(), free_port()
    config = nginx_config(tmp_path, dashboard_port, http_port, tls_port)

    with team_server(url, dashboard_port, TRACKER_AUTH="on", TRACKER_TRUSTED_PROXIES="127.0.0.1"):
        nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(config)], stderr=subprocess.PIPE, text=True)
        try:
            address = f"https://127.0.0.1:{tls_port}"
            wait_until_proxied(address, nginx)
            context = browser.new_context(ignore_https_errors=True)
            context.set_default_timeout(PATIENCE * 1000)
            page = context.new_page()
            sockets = []
            page.on("websocket", lambda socket: sockets.append(socket.url))
            page.goto(address)
            assert sign_in_form_shown(page)
            page.get_by_role("textbox", name="Username").fill("alice")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            assert signed_in(page, "alice")

            assert f"wss://127.0.0.1:{tls_port}/_stcore/stream" in sockets
            # Behind the trusted proxy the dashboard knows the browser came over HTTPS.
            deadline = time.monotonic() + 15
            while not [c for c in context.cookies() if c["name"] == "tracker_session"]:
                assert time.monotonic() < deadline, "the session cookie was never set"
                page.wait_for_timeout(100)
            [cookie] = [c for c in context.cookies() if c["name"] == "tracker_session"]
            assert cookie["secure"] and cookie["httpOnly"]
            page.reload()
            assert signed_in(page, "alice")
            context.close()
        finally:
            nginx.terminate()
            nginx.wait(timeout=15)
    # Every request went through nginx: its log names the page, the websocket and the session route.
    requests = (tmp_path / "access.log").read_text()
    assert "GET /_stcore/stream" in requests and "POST /_tracker/session" in requests
