"""The period report over every follow-up visit as Word beside its Markdown: time, peak memory and their ratio.

    python -m bench.period_docx [--findings N [N ...]] [--runs N] [--out bench/RESULTS.md]

Each run is a whole `tracker report --period` process on the 193-State database of
`python -m bench.browser_pages`, Markdown and DOCX in turns so the machine's load falls on both alike;
peak memory is the process's high-water mark (VmHWM), in decimal megabytes. With several database
sizes, each size's runs are made in turns too.
"""

import argparse
import datetime as dt
import os
import statistics
from pathlib import Path

from bench import waiting
from bench.browser_pages import _database, _load
from bench.results import write_section

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
HEADING = "## Period Word report beside its Markdown"
TARGET_RATIO = 2.0
TARGET_MEGABYTES = 1000
# The same script on the same database (100,000 findings) before a period report's States showed their
# areas as tables alone and pictures were hashed once each, and before the body was written out as it
# was produced rather than built as one tree.
BEFORE = (
    "Before, at 100,000 findings: at a load average of 17–24, 1 run each, Markdown 72.99 s, 478 MB; DOCX "
    "253.11 s (3.47× the Markdown), 2,779 MB. Then, the tables written as XML and parsed back into python-docx's "
    "tree, the whole tree saved at the end, at a load average of 17–20: Markdown 38.67 s, 464 MB; DOCX 103.70 s "
    "(2.68×), 2,714 MB."
)


def measure(databases: dict[int, Path], runs: int) -> dict[int, dict[str, list[dict]]]:
    outcomes: dict[int, dict[str, list[dict]]] = {findings: {"md": [], "docx": []} for findings in databases}
    for _ in range(runs):
        for findings, database in databases.items():
            environment = os.environ | {"TRACKER_DATABASE_URL": f"sqlite:///{database}"}
            for fmt in outcomes[findings]:
                command = [waiting.tracker_command(), "report", "--period", "1990-01-01..2100-12-31"]
                command += ["--format", fmt, "--out", str(HERE / "data" / f"period-bench.{fmt}")]
                outcome = waiting.timed_command(command, environment, PROJECT)
                # ru_maxrss is in KiB; waiting.timed_command divides by 1024, so this is MiB: say it in MB.
                outcome["megabytes"] = outcome["megabytes"] * 1024 * 1024 / 1e6
                outcomes[findings][fmt].append(outcome)
                print(findings, fmt, f"{outcome['seconds']:.2f} s", f"{outcome['megabytes']:.0f} MB")
    return outcomes


def _rows(findings: int, outcomes: dict[str, list[dict]]) -> list[str]:
    seconds = {fmt: [o["seconds"] for o in runs] for fmt, runs in outcomes.items()}
    peaks = {fmt: [o["megabytes"] for o in runs] for fmt, runs in outcomes.items()}
    markdown, word = statistics.median(seconds["md"]), statistics.median(seconds["docx"])
    met = word / markdown <= TARGET_RATIO and max(peaks["docx"]) < TARGET_MEGABYTES
    return [
        f"| {findings:,} | Markdown | {markdown:.2f} s | {min(seconds['md']):.2f} – {max(seconds['md']):.2f} s | "
        f"{max(peaks['md']):,.0f} MB | 1.00 | | |",
        f"| {findings:,} | DOCX | {word:.2f} s | {min(seconds['docx']):.2f} – {max(seconds['docx']):.2f} s | "
        f"{max(peaks['docx']):,.0f} MB | {word / markdown:.2f} | ≤ {TARGET_RATIO:.0f}× Markdown, "
        f"< {TARGET_MEGABYTES:,} MB | {'yes' if met else '**no**'} |",
    ]


def report(outcomes: dict[int, dict[str, list[dict]]], loads: tuple[str, str], out: Path) -> str:
    runs = len(next(iter(outcomes.values()))["md"])
    sizes = " and ".join(f"{findings:,}" for findings in outcomes)
    lines = [
        HEADING,
        "",
        f"Written by `python -m bench.period_docx` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, on databases "
        f"of {sizes} findings (193 States, one follow-up each), {runs} runs of each in turns, each a whole "
        f"`tracker report --period` process. Load average {loads[0]} at the start and {loads[1]} at the end "
        f"(1, 5, 15 min). Peak memory in decimal megabytes, of the largest process. {BEFORE}",
        "",
        "| findings | report | median | fastest – slowest | peak memory | × Markdown | target | met |",
        "|---|---|---|---|---|---|---|---|",
        *(row for findings, each in outcomes.items() for row in _rows(findings, each)),
    ]
    section = "\n".join(lines) + "\n"
    write_section(out, HEADING, section)
    return section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.period_docx", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--findings", type=int, nargs="+", default=[20_000, 100_000], help="findings in each 193-State database"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each format")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="where to write the section")
    args = parser.parse_args(argv)
    databases = {findings: _database(findings) for findings in args.findings}
    before = _load()
    outcomes = measure(databases, args.runs)
    print(report(outcomes, (before, _load()), args.out))


if __name__ == "__main__":
    main()
