"""The first page after `tracker dashboard` starts, on the demo, drawn whole, in headless Chromium.

Two figures per run: from starting the command to the default page (State progress) drawn whole
(its script finished, every figure, table and chart it shows drawn), and the same page from the
browser's request once the server answers. The browser is started beforehand, as a user's browser
is already open.
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
VIEWPORT = {"width": 1400, "height": 900}
# Done: the script has run to its end, nothing is stale, and every figure, grid and chart on the
# page is drawn (a Plotly chart has its SVG, a table its canvas).
_DRAWN = """
([metrics, grids, charts]) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale=true]')) return false;
  const plots = document.querySelectorAll('[data-testid=stPlotlyChart]');
  const tables = document.querySelectorAll('[data-testid=stDataFrame]');
  if (document.querySelectorAll('[data-testid=stMetric]').length < metrics) return false;
  if (tables.length < grids || plots.length < charts) return false;
  for (const plot of plots) if (!plot.querySelector('.main-svg')) return false;
  for (const table of tables) if (!table.querySelector('canvas')) return false;
  return true;
}
"""
_COUNTS = """
() => [
  document.querySelectorAll('[data-testid=stMetric]').length,
  document.querySelectorAll('[data-testid=stDataFrame]').length,
  document.querySelectorAll('[data-testid=stPlotlyChart]').length,
]
"""


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


def _wait_drawn(page, counts: list[int], seconds: float = 120) -> None:
    page.wait_for_function(_DRAWN, arg=counts, timeout=seconds * 1000, polling=20)


def _settled_counts(browser, url: str) -> list[int]:
    """What the page shows once it has been idle a while: the timed loads wait for as much."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    _wait_drawn(page, [1, 1, 0])
    page.wait_for_timeout(3000)
    _wait_drawn(page, [1, 1, 0])
    counts = page.evaluate(_COUNTS)
    context.close()
    return counts


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


def _one_run(tracker: str, database_url: str, browser, counts: list[int]) -> tuple[float, float]:
    with _dashboard(tracker, database_url) as (url, started):
        requested = time.perf_counter()
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url)
        _wait_drawn(page, counts)
        finished = time.perf_counter()
        context.close()
    return finished - started, finished - requested


def first_page(tracker: str, database_url: str, runs: int) -> tuple[list[float], list[float], list[int]]:
    """Per run: seconds from `tracker dashboard` to the first page drawn, and from the page request;
    then what the page draws (figures, tables, charts), which every timed load waits for."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            with _dashboard(tracker, database_url) as (url, _):
                counts = _settled_counts(browser, url)
            whole, page = zip(*(_one_run(tracker, database_url, browser, counts) for _ in range(runs)), strict=True)
        finally:
            browser.close()
    return list(whole), list(page), counts
