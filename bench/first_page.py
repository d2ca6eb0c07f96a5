"""The first page after `tracker dashboard` starts, on the demo, drawn with its charts, in headless Chromium.

Two figures per run: from starting the command to the default page (State progress) drawn with every
chart, and the same page from the browser's request once the server answers. The browser is started
beforehand, as a user's browser is already open.
"""

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]
# The default page draws its charts as Plotly figures; it is done when they are drawn and Streamlit is idle.
_CHART = "[data-testid=stPlotlyChart] .main-svg"
_RUNNING = "[data-testid=stStatusWidget]"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"tracker dashboard stopped with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"tracker dashboard did not answer on {url} within {seconds} s")


def _drawn(page, charts: int, seconds: float = 60) -> None:
    """Until the page shows `charts` drawn charts and no script is running."""
    page.wait_for_function(
        f"document.querySelectorAll('{_CHART}').length >= {charts} && !document.querySelector('{_RUNNING}')",
        timeout=seconds * 1000,
        polling=20,
    )


@contextmanager
def _dashboard(tracker: str, database_url: str) -> Iterator[tuple[str, float]]:
    """`tracker dashboard` on a free port; yields its address and when the command was started."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if k != "TRACKER_AUTH"} | {"TRACKER_DATABASE_URL": database_url}
    started = time.perf_counter()
    server = subprocess.Popen(
        [tracker, "dashboard", "--port", str(port), "--headless"],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _healthy(url, server)
        yield url, started
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _one_run(tracker: str, database_url: str, browser, charts: int) -> tuple[float, float]:
    with _dashboard(tracker, database_url) as (url, started):
        requested = time.perf_counter()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        _drawn(page, charts)
        finished = time.perf_counter()
        page.close()
    return finished - started, finished - requested


def charts_on_first_page(tracker: str, database_url: str, browser) -> int:
    """How many charts the default page draws once it is idle (counted, so the timing waits for all)."""
    with _dashboard(tracker, database_url) as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        _drawn(page, 1)
        page.wait_for_timeout(3000)
        _drawn(page, 1)
        count = page.locator(_CHART).count()
        page.close()
        return count


def first_page(tracker: str, database_url: str, runs: int) -> tuple[list[float], list[float], int]:
    """Per run: seconds from `tracker dashboard` to the first page drawn, and from the page request."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            charts = charts_on_first_page(tracker, database_url, browser)
            whole, page = zip(*(_one_run(tracker, database_url, browser, charts) for _ in range(runs)), strict=True)
        finally:
            browser.close()
    return list(whole), list(page), charts
