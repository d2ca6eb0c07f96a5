"""The dashboard in a real browser: `streamlit run dashboard.py` on a free port, driven by Playwright
with Debian's Chromium. Screenshots of every page go to screenshots/ at the project root."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tracker import db
from tracker.services.access import LOCAL_ADMIN
from tracker.services.demo import load_demo
from tracker.services.reference import init_database

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEW_TITLE = "Industry forum shares hashes of terrorist content"
NEW_FINDING = (
    f"finding_id,visit_id,area,kind,title\nKOR-2023-F98,KOR-2023,ICT.PUBLIC_PRIVATE,good_practice,{NEW_TITLE}\n"
).encode()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit stopped with code {server.returncode}: {server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer on {url} within {seconds} seconds")


@contextmanager
def served_on(database_url: str) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free local port over the database; yields its address."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "TRACKER_AUTH"} | {"TRACKER_DATABASE_URL": database_url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory):
    """The dashboard served on a free port over a fresh SQLite database holding the demo."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    load_demo(engine, LOCAL_ADMIN)
    engine.dispose()
    with served_on(url) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def settle(page, seconds: float = 60) -> None:
    """Wait for the app, then until Streamlit has stayed idle for a moment."""
    page.wait_for_selector("[data-testid=stApp]", timeout=seconds * 1000)
    deadline, quiet = time.monotonic() + seconds, 0
    while quiet < 3:
        assert time.monotonic() < deadline, "the page kept running"
        page.wait_for_timeout(300)
        quiet = quiet + 1 if page.locator("[data-testid=stStatusWidget]").count() == 0 else 0


def open_page(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.wait_for_selector(f"h1:has-text('{title}')")
    settle(page)


def screenshot(page, name: str) -> None:
    """The whole page, not only the window: Streamlit scrolls inside its main block."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(900, height)})
    page.wait_for_timeout(800)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")
    page.set_viewport_size({"width": 1400, "height": 900})


def assert_no_exception(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0


def test_the_dashboard_in_a_browser(dashboard_url, browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(dashboard_url)
    settle(page)

    # State progress is the landing page; its four Plotly charts must draw.
    page.wait_for_selector("h1:has-text('State progress')")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=60_000)
    assert page.locator(".js-plotly-plot").count() >= 4
    assert page.get_by_text("Baseline visit: KOR-2009").count() == 1
    assert_no_exception(page)
    screenshot(page, "state_progress")

    open_page(page, "Overview")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    assert_no_exception(page)
    screenshot(page, "overview")

    open_page(page, "Tracking matrix")
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for()
    assert_no_exception(page)
    screenshot(page, "tracking_matrix")
    box = grid.bounding_box()
    # The first column of the grid selects a row; selecting one opens that item on the Findings page.
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 72 * 1.5)
    page.wait_for_url("**/findings?finding=KOR-2009-*", timeout=60_000)
    settle(page)
    assert_no_exception(page)
    page.get_by_role("button", name="Back to the list").click()
    settle(page)

    open_page(page, "Findings")
    page.get_by_label("Text in the id, title or detail").fill("hashes of terrorist content")
    page.keyboard.press("Enter")
    settle(page)
    assert page.get_by_text("No finding matches these filters.").count() == 1
    page.get_by_label("Text in the id, title or detail").fill("")
    page.keyboard.press("Enter")
    settle(page)
    assert_no_exception(page)
    screenshot(page, "findings")
    for tab, name in (("Add or edit", "finding_form"), ("Assess at a follow-up", "assessment_worksheet")):
        page.get_by_role("tab", name=tab).click()
        settle(page)
        assert_no_exception(page)
        screenshot(page, name)
    page.get_by_role("tab", name="Findings").click()
    settle(page)

    open_page(page, "Continuity")
    assert page.get_by_text("Findings with no link").count() == 1
    assert_no_exception(page)
    screenshot(page, "continuity")

    open_page(page, "Visits and meetings")
    assert_no_exception(page)
    screenshot(page, "visits_and_meetings")

    open_page(page, "Import / Export")
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
        files=[{"name": "findings.csv", "mimeType": "text/csv", "buffer": NEW_FINDING}]
    )
    confirm = page.get_by_role("button", name="Confirm import")
    confirm.wait_for(timeout=60_000)
    settle(page)
    assert_no_exception(page)
    screenshot(page, "import_checked")
    confirm.click()
    page.get_by_text("Imported findings.csv: 1 new and 0 changed row(s).").wait_for(timeout=60_000)
    settle(page)
    screenshot(page, "import_export")

    open_page(page, "Findings")
    page.get_by_label("Text in the id, title or detail").fill("hashes of terrorist content")
    page.keyboard.press("Enter")
    settle(page)
    assert page.get_by_text("Findings 1–1 of 1 matching.", exact=False).count() == 1
    assert_no_exception(page)
    screenshot(page, "findings_after_import")

    for title, name in (("Reports", "reports"), ("Admin", "admin")):
        open_page(page, title)
        assert page.locator("[data-testid=stException]").count() == 0
        screenshot(page, name)
