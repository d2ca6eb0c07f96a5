"""Stored values as the words people read, shared by the dashboard and the reports."""

import datetime as dt


def label(value: str | None) -> str:
    """An enumeration value in words: `partially_implemented` → `Partially implemented`."""
    if not value:
        return ""
    text = str(value).replace("_", " ")
    return text[0].upper() + text[1:]


def date_span(start: dt.date, end: dt.date) -> str:
    """`22–25 May 2023`, `30 May – 2 June 2023` or across years in full."""
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"
