"""How long a period report takes to write and how many pages it fills, said before it is written."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# Measured by bench (bench/RESULTS.md) on a two-core machine: seconds per follow-up visit by
# format, plus starting the browser that draws the DOCX charts; pages per visit from the demo.
_SECONDS_PER_VISIT = {"docx": 0.9, "html": 0.2, "md": 0.1}
_BROWSER_START_SECONDS = 6.0
_PAGES_PER_VISIT = 9
_PAGES_AROUND = 3
# Past either of these a report is large enough that the page asks before writing it.
LARGE_SECONDS = 60.0
LARGE_PAGES = 150


@dataclass(frozen=True)
class ReportEstimate:
    visits: int
    seconds: float
    pages: int

    @property
    def large(self) -> bool:
        return self.seconds > LARGE_SECONDS or self.pages > LARGE_PAGES

    @property
    def visits_text(self) -> str:
        return f"{self.visits} follow-up visit" + ("" if self.visits == 1 else "s")

    @property
    def duration(self) -> str:
        """`about 40 seconds`, `about 3 minutes`."""
        if self.seconds < 90:
            return f"about {max(5, round(self.seconds / 5) * 5)} seconds"
        return f"about {round(self.seconds / 60)} minutes"


def estimate_period_report(visits: int, fmt: str) -> ReportEstimate:
    """The time and printed length of a period report on `visits` follow-up visits in format `fmt`."""
    seconds = _SECONDS_PER_VISIT.get(fmt, _SECONDS_PER_VISIT["html"]) * visits
    if fmt == "docx" and visits:
        seconds += _BROWSER_START_SECONDS
    return ReportEstimate(visits=visits, seconds=seconds, pages=_PAGES_AROUND + _PAGES_PER_VISIT * visits)


def latest_period(starts: Iterable[dt.date], today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period a period report opens on: the calendar year of the latest follow-up visit's start,
    so that it has data; this year when there is no follow-up visit."""
    latest = max(starts, default=None)
    year = latest.year if latest is not None else (today or dt.date.today()).year
    return dt.date(year, 1, 1), dt.date(year, 12, 31)
