"""The Word rendering of the period report alone: the Document is built once, then rendered without
charts and with them (a browser started for each rendering), each the median of several runs.

    python -m bench.docx_render DATABASE_URL [RUNS]

Prints one line per figure, with the load average before and after, so that the writing of the
document is timed apart from reading the follow-ups.
"""

import datetime as dt
import os
import statistics
import sys
import time

from tracker.db import get_engine
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.reports.documents import build_period_report, render


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    url, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"load average {_load()}")
    started = time.perf_counter()
    document = build_period_report(get_engine(url), LOCAL_ADMIN, dt.date(1990, 1, 1), dt.date(2100, 12, 31))
    print(f"build: {time.perf_counter() - started:.2f} s, {document.chart_count} charts")
    for charts in (False, True):
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            render(document, "docx", charts=charts)
            seconds.append(time.perf_counter() - started)
        spread = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"render docx, charts={charts}: median {statistics.median(seconds):.2f} s ({spread})")
    print(f"load average {_load()}")


if __name__ == "__main__":
    main()
