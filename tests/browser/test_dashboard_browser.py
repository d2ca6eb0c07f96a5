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
from tracker.services.bundle.demo import load_demo
from tracker.services.operations.reference import init_database
from tracker.services.people.access import LOCAL_ADMIN

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

# How long a step may take on a loaded machine before the test fails: a bound for each wait on an
# event (the page drawn, a text shown), never a time to sleep through.
PATIENCE = 180

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


def wait_until_healthy(url: str, server: subprocess.Popen, seconds: float = PATIENCE) -> None:
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


# The database each served dashboard reads, by its address: the page names it only in words.
SERVED_DATABASES: dict[str, str] = {}


@contextmanager
def served_on(
    database_url: str,
    *,
    script: Path = ROOT / "dashboard.py",
    port: int | None = None,
    log: Path | None = None,
    folder: Path = ROOT,
    **settings: str,
) -> Iterator[str]:
    """`streamlit run` of the dashboard (or `script`, e.g. tracker/app.py with the team server's routes)
    on a free local port over the database, with the given TRACKER_* settings (logins off unless
    they say otherwise); its standard error goes to `log` when given. It starts in `folder` (the
    checkout, whose .streamlit/config.toml it reads, unless told otherwise). Yields its address."""
    port = port or free_port()
    environment = {k: v for k, v in os.environ.items() if k != "TRACKER_AUTH"}
    environment |= {"TRACKER_DATABASE_URL": database_url} | settings
    errors = log.open("w") if log else subprocess.STDOUT
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
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
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(address, server)
        SERVED_DATABASES[address] = database_url
        yield address
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if log:
            errors.close()


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
        yield Patient(chromium)
        chromium.close()


class Patient:
    """The browser, whose pages wait up to PATIENCE for each click, selector and navigation rather
    than Playwright's 30 seconds, which a loaded machine can take to draw a page."""

    def __init__(self, browser):
        self._browser = browser

    def new_page(self, **options):
        page = self._browser.new_page(**options)
        page.set_default_timeout(PATIENCE * 1000)
        page.set_default_navigation_timeout(PATIENCE * 1000)
        return page

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


def settle(page, seconds: float = PATIENCE) -> None:
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
    # Drawn again at the new size: fonts loaded and two frames painted since.
    page.evaluate(
        "document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"
    )
    settle(page)
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

    # State progress is the landing page: its figures and table first; its four Plotly charts draw when asked.
    page.wait_for_selector("h1:has-text('State progress')")
    page.wait_for_selector("[data-testid=stMetric]")
    page.wait_for_selector("[data-testid=stDataFrame] canvas")
    assert page.locator(".js-plotly-plot").count() == 0
    page.get_by_text("Show the charts", exact=True).click()
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=PATIENCE * 1000
    )
    settle(page)
    assert page.locator(".js-plotly-plot").count() >= 4
    assert page.get_by_text("Baseline visit: KOR-2009").count() == 1
    assert_no_exception(page)
    screenshot(page, "state_progress")

    open_page(page, "Overview")
    page.wait_for_selector("[data-testid=stDataFrame] canvas")
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
    page.wait_for_url("**/findings?finding=KOR-2009-*", timeout=PATIENCE * 1000)
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
    confirm.wait_for(timeout=PATIENCE * 1000)
    settle(page)
    assert_no_exception(page)
    screenshot(page, "import_checked")
    confirm.click()
    page.get_by_text("Imported findings.csv: 1 new and 0 changed row(s).").wait_for(timeout=PATIENCE * 1000)
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
