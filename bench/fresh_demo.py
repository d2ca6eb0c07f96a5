"""A fresh clone's `make demo` to its first page drawn in a browser, as a new user meets it.

    python -m bench.fresh_demo [--runs N] [--no-pip-cache] [--out bench/RESULTS.md]

Each run clones the repository's committed HEAD into a new folder, runs `make demo` there (a new
virtual environment, the package installed without the test extra, the demo database loaded, the
dashboard started) and opens the dashboard in headless Chromium as soon as it answers. Two times
per run: from `make demo` to the dashboard answering, and to the first page drawn whole (its script
finished, every figure and table drawn). pip's download cache is used as this machine has it
unless --no-pip-cache is given, which downloads every package again.
"""

import argparse
import datetime as dt
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.browser_pages import _load
from bench.first_page import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, _free_port, _healthy, _wait_drawn
from bench.results import write_section

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
HEADING = "## A fresh clone's `make demo` to its first page"
TARGET = 120.0


def _one_run(browser, folder: Path, *, pip_cache: bool) -> tuple[float, float]:
    clone = folder / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(PROJECT), str(clone)], check=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TRACKER_", "VIRTUAL_ENV"))
    } | {"DEMO_PORT": str(port)}
    if not pip_cache:
        environment["PIP_NO_CACHE_DIR"] = "1"
    started = time.perf_counter()
    with (folder / "make-demo.log").open("wb") as log:
        demo = subprocess.Popen(
            ["make", "demo"],
            cwd=clone,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _healthy(url, demo, seconds=20 * 60)
        answered = time.perf_counter() - started
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url)
        _wait_drawn(page, [1, 1, 0])
        drawn = time.perf_counter() - started
        context.close()
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        shutil.rmtree(clone, ignore_errors=True)
    return answered, drawn


def measure(runs: int, *, pip_cache: bool) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    answered, drawn = [], []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="fresh-demo-") as folder:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                first, whole = _one_run(browser, Path(folder), pip_cache=pip_cache)
                answered.append(first)
                drawn.append(whole)
        finally:
            browser.close()
    return answered, drawn


def report(answered: list[float], drawn: list[float], *, pip_cache: bool, loads: tuple[str, str], out: Path) -> str:
    cache = (
        "pip's download cache as this machine has it (the packages were downloaded before; the virtual environment "
        "is new)"
        if pip_cache
        else "no pip cache (every package downloaded again)"
    )
    median = statistics.median(drawn)
    lines = [
        HEADING,
        "",
        f"Written by `python -m bench.fresh_demo` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {len(drawn)} "
        f"run(s), each a `git clone` of the committed HEAD and `make demo` in it, with {cache}. Load average "
        f"{loads[0]} at the start and {loads[1]} at the end (1, 5, 15 min).",
        "",
        "| measurement | median | fastest – slowest | target | met |",
        "|---|---|---|---|---|",
        f"| `make demo` to the dashboard answering | {statistics.median(answered):.1f} s | {min(answered):.1f} – "
        f"{max(answered):.1f} s | | |",
        f"| `make demo` to the first page drawn | {median:.1f} s | {min(drawn):.1f} – {max(drawn):.1f} s | "
        f"< {TARGET:.0f} s | {'yes' if median < TARGET else '**no**'} |",
    ]
    section = "\n".join(lines) + "\n"
    write_section(out, HEADING, section)
    return section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fresh_demo", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="fresh clones to time")
    parser.add_argument("--no-pip-cache", action="store_true", help="download every package again")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="where to write the section")
    args = parser.parse_args(argv)
    before = _load()
    answered, drawn = measure(args.runs, pip_cache=not args.no_pip_cache)
    print(report(answered, drawn, pip_cache=not args.no_pip_cache, loads=(before, _load()), out=args.out))


if __name__ == "__main__":
    main()
