"""The landing pages as a user meets them: first draw at 193 States in a fresh browser, beside a chart-free floor.

    python -m bench.browser_pages [--findings N] [--runs N] [--out bench/RESULTS.md]

One run serves the dashboard (`tracker dashboard`) and a chart-free Streamlit page with a 193-row
table (bench/floor_page.py) over the same 193-State database. Each timed load opens a new browser
context (empty cache, as a first visit) and ends when the page's script has finished and everything
it shows is drawn: every figure, every table's grid and every Plotly chart. The pages take turns
with the floor so that the machine's load falls on all alike; one load of each is made first and
not counted, so every timed load finds the server's caches as a user after the first does. A filter
change on the Overview (sort by index) is timed from the click to the redrawn page.
"""

import argparse
import datetime as dt
import hashlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.first_page import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    _free_port,
    _healthy,
    _settled_counts,
    _wait_drawn,
)
from bench.results import write_section

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
HEADING = "## Landing pages in a browser at 193 States"
TARGET_RATIO = 1.5
# The same script on the same database in earlier rounds (bench/floor_page.py alike then and now).
BEFORE = (
    "Before, at a load average of 13–15, 3 runs: floor 2.72 s; Overview 14.31 s (5.27× the floor: five "
    "heatmaps and a table); State progress 20.44 s (7.52×: five charts and four tables); Overview sorted by "
    "index 9.10 s. Then, the charts drawn when asked, at a load average of 16–19, 3 runs: Overview 1.77× the "
    "floor, State progress 2.36×, Overview sorted by index 1.37 s. Then, the index table painted by a pandas "
    'Styler and State progress timed at /state_progress (no address of the dashboard: a "Page not found" '
    "dialog drew over the page), at a load average of 7–11, 5 runs: Overview 1.43×, State progress 2.19×, "
    "sorted by index 1.29 s. The code of that round and of this one served side by side, in turns with the "
    "floor, State progress at its own address, at a load average of 19–26, 5 runs each: State progress 1.52× "
    "the floor before, 1.25× with each ranking box and visit card one block of text; Overview sorted by index "
    "1.58 s before, 0.69 s with each index a number and a bar drawn by the table."
)
TARGET_CHANGE = 1.0

# Set when the script starts again after a click, so a change is timed to the end of its own rerun.
_WATCH_RERUN = """
() => {
  window.__rerun = false;
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__rerun = true;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""


@contextmanager
def _served(command: list[str], database_url: str) -> Iterator[str]:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if k != "TRACKER_AUTH"} | {
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_AUTH": "off",
    }
    server = subprocess.Popen(
        [*command, "--server.port", str(port)] if "streamlit" in command else [*command, "--port", str(port)],
        cwd=PROJECT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _healthy(url, server, seconds=90)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _first_draw(browser, url: str, counts: list[int]) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    _wait_drawn(page, counts)
    seconds = time.perf_counter() - started
    context.close()
    return seconds


def _sort_change(browser, url: str, counts: list[int]) -> float:
    """From a click on "Index, highest first" on the drawn Overview to the page drawn again."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    _wait_drawn(page, counts)
    page.evaluate(_WATCH_RERUN)
    button = page.get_by_test_id("stButtonGroup").get_by_text("Index, highest first", exact=True)
    started = time.perf_counter()
    button.click()
    page.wait_for_function("() => window.__rerun === true", timeout=60_000, polling=10)
    _wait_drawn(page, counts)
    seconds = time.perf_counter() - started
    context.close()
    return seconds


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _database(findings: int) -> Path:
    """The 193-State database of `python -m bench --pages`, imported once and kept in bench/data."""
    from bench.__main__ import DATA, _dispose, _fresh_copy, _template, _url, bundle
    from tracker import db
    from tracker.services.bundle.importer import import_bundle
    from tracker.services.bundle.sources import sources_from_paths
    from tracker.services.people.access import LOCAL_ADMIN

    DATA.mkdir(parents=True, exist_ok=True)
    # Made again when the generator or the schema changes.
    migrations = sorted(path.name for path in (PROJECT / "tracker" / "migrations" / "versions").glob("*.py"))
    stamp = hashlib.sha256((HERE / "generate.py").read_bytes() + "/".join(migrations).encode()).hexdigest()[:12]
    path = DATA / f"browser-pages-{findings}-{stamp}.db"
    if path.exists():
        return path
    folder = bundle(findings)
    database = _fresh_copy(_template(), f"{path.name}.part")
    if not import_bundle(db.get_engine(_url(database)), sources_from_paths([folder]), LOCAL_ADMIN).ok:
        raise RuntimeError("the synthetic bundle did not import")
    _dispose(database)
    database.rename(path)
    return path


def measure(database: Path, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{database}"
    tracker = str(Path(sys.executable).with_name("tracker"))
    floor_command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(HERE / "floor_page.py"),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    samples: dict[str, list[float]] = {}
    with (
        _served([tracker, "dashboard", "--headless"], url) as dashboard,
        _served(floor_command, url) as floor,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # State progress is the landing page, at the dashboard's root: "/state_progress" is no address of
        # the dashboard, and opening it draws a "Page not found" dialog over the page as well.
        pages = {"floor": floor, "Overview": f"{dashboard}/overview", "State progress": f"{dashboard}/"}
        counts = {name: _settled_counts(browser, address) for name, address in pages.items()}
        for run in range(runs):
            print(f"run {run + 1}/{runs}", file=sys.stderr)
            for name, address in pages.items():
                samples.setdefault(name, []).append(_first_draw(browser, address, counts[name]))
            samples.setdefault("Overview sorted by index", []).append(
                _sort_change(browser, pages["Overview"], counts["Overview"])
            )
            print({name: f"{values[-1]:.2f} s" for name, values in samples.items()}, counts, file=sys.stderr)
        samples["counts"] = [float(n) for name in pages for n in counts[name]]
        browser.close()
    return samples


def report(samples: dict[str, list[float]], findings: int, runs: int, loads: tuple[str, str], out: Path) -> str:
    floor = statistics.median(samples["floor"])
    counts = samples["counts"]
    shown = {
        name: f"{int(counts[3 * i])} figures, {int(counts[3 * i + 1])} tables, {int(counts[3 * i + 2])} charts"
        for i, name in enumerate(("floor", "Overview", "State progress"))
    }
    lines = [
        HEADING,
        "",
        f"Written by `python -m bench.browser_pages` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, on the "
        f"{findings:,}-finding database (193 States, one follow-up each), {runs} runs in turns. Each first draw "
        "is timed in a new browser context (empty browser cache), from the request to the page drawn whole: its "
        "script finished, every figure, table grid and Plotly chart drawn. The floor is a chart-free Streamlit page "
        f"with a title, four figures and a 193-row table (bench/floor_page.py) in the same run. Load average "
        f"{loads[0]} at the start and {loads[1]} at the end (1, 5, 15 min). Compare ratios, not seconds, with "
        f"runs at another load. {BEFORE}",
        "",
        "| page | what it draws | median | fastest – slowest | × floor | target | met |",
        "|---|---|---|---|---|---|---|",
        f"| chart-free floor | {shown['floor']} | {floor:.2f} s | {min(samples['floor']):.2f} – "
        f"{max(samples['floor']):.2f} s | 1.00 | | |",
    ]
    for name in ("Overview", "State progress"):
        median = statistics.median(samples[name])
        lines.append(
            f"| {name}, first draw | {shown[name]} | {median:.2f} s | {min(samples[name]):.2f} – "
            f"{max(samples[name]):.2f} s | {median / floor:.2f} | ≤ {TARGET_RATIO}× floor | "
            f"{'yes' if median / floor <= TARGET_RATIO else '**no**'} |"
        )
    change = samples["Overview sorted by index"]
    lines.append(
        f"| Overview, sorted by index (click to redrawn) | | {statistics.median(change):.2f} s | "
        f"{min(change):.2f} – {max(change):.2f} s | | < {TARGET_CHANGE:.0f} s | "
        f"{'yes' if statistics.median(change) < TARGET_CHANGE else '**no**'} |"
    )
    section = "\n".join(lines) + "\n"
    write_section(out, HEADING, section)
    return section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_pages", description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000, help="findings in the 193-State database")
    parser.add_argument("--runs", type=int, default=5, help="timed loads of each page")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="where to write the section")
    args = parser.parse_args(argv)
    database = _database(args.findings)
    before = _load()
    samples = measure(database, args.runs)
    print(report(samples, args.findings, args.runs, (before, _load()), args.out))


if __name__ == "__main__":
    main()
