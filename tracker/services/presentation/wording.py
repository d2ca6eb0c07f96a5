"""Stored values as the words people read, shared by the dashboard and the reports.

One vocabulary: every status, kind, sector and level is written here once, and every date
reads `22 May 2023`.
"""

import datetime as dt
import functools

# Values whose words are not just the value with spaces: acronyms and hyphenated terms.
_SPECIAL_WORDS = {
    "ta_need": "TA need",
    "follow_up": "Follow-up",
    "un_platform": "UN Platform",
    "member_states": "Member States",
    "state_and_cted": "State and CTED",
    "bilateral_high_level": "Bilateral, high-level",
    "international_org": "International organization",
}
# Words that open with a name, so they keep their capital inside a sentence.
_NAMES = {"ta_need", "un_platform", "member_states"}


@functools.lru_cache(maxsize=4096)
def label(value: str | None) -> str:
    """An enumeration value in words: `partially_implemented` → `Partially implemented`, `ta_need` → `TA need`."""
    if not value:
        return ""
    text = str(value)
    if text in _SPECIAL_WORDS:
        return _SPECIAL_WORDS[text]
    text = text.replace("_", " ")
    return text[0].upper() + text[1:]


def listed_words(values: str | None) -> str:
    """A `; `-separated list of enumeration values in words: `civil_society; government` → `Civil society; Government`."""
    return "; ".join(label(value.strip()) for value in (values or "").split(";") if value.strip())


def in_prose(value: str | None) -> str:
    """An enumeration value inside a sentence: `partially implemented`, `TA need`, `follow-up`."""
    words = label(value)
    if value in _NAMES:
        return words
    return words[:1].lower() + words[1:]


def status_words(status: str | None, status_visit: str = "", carried: bool = False) -> str:
    """A status in words, marked with the visit it is carried from: `Fully implemented (carried from KOR-2017)`."""
    words = label(status)
    return f"{words} (carried from {status_visit})" if carried and status_visit else words


def level_words(level: str) -> str:
    """A confidentiality level as the marking reads: `Committee`, `State and CTED`."""
    return label(level)


def marking(level: str) -> str:
    """The classification marking of a document at `level`, for its title page, headers and footers."""
    return f"Confidentiality level: {level_words(level)}"


def day(value: dt.date | None) -> str:
    """One date as every report and page writes it: `22 May 2023`; no date is a dash."""
    if value is None:
        return "—"
    return f"{value.day} {value:%B %Y}"


def signed(change: float | None) -> str:
    """A change of an index with its sign, one decimal: `+4.2`, `−1.0` (a true minus); none is a dash."""
    if change is None:
        return "—"
    if round(change, 1) == 0:
        return "0.0"
    return f"{change:+.1f}".replace("-", "\N{MINUS SIGN}")


def date_span(start: dt.date, end: dt.date) -> str:
    """`22–25 May 2023`, `30 May – 2 June 2023` or across years in full."""
    if start == end:
        return day(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{day(start)} – {day(end)}"
