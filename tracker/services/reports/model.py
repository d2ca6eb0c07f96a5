"""The one document model that every report format renders."""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from tracker.models import Confidentiality
from tracker.services.presentation.wording import day, marking
from tracker.services.reports.snapshots import Reported

if TYPE_CHECKING:
    import plotly.graph_objects as go

Cell = str | int | float | None
# Told of each step of a long job: (steps done, steps in all, what the last step was about).
Progress = Callable[[int, int, str], None]

# What a section that holds nothing says, in every format.
NONE_RECORDED = "None recorded."


@dataclass
class Table:
    header: list[str]
    rows: list[list[Cell]]
    title: str = ""

    @property
    def numeric_columns(self) -> list[bool]:
        """Which columns hold numbers (and blanks) only, to be aligned on the right."""
        columns = []
        for position in range(len(self.header)):
            values = [row[position] for row in self.rows if row[position] is not None]
            columns.append(bool(values) and all(isinstance(v, int | float) for v in values))
        return columns


@dataclass
class Chart:
    """A figure and the sentence that says what it shows, for readers who cannot see it.

    The figure is drawn only when a rendering asks for it: Markdown never does, and building
    a Plotly figure per State is a good part of a period report's time.
    """

    draw: Callable[[], "go.Figure"]
    alt_text: str
    title: str = "Chart"

    @cached_property
    def figure(self) -> "go.Figure":
        from tracker.services.reports.paper import on_paper

        return on_paper(self.draw())


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    subsections: list["Section"] = field(default_factory=list)
    # A part that reads on its own (a State's digest or detail) starts on a fresh page.
    new_page: bool = False

    def walk(self, depth: int = 1, number: str = "") -> Iterator[tuple["Section", int, str]]:
        """This section and every subsection below it, each with its depth and its number."""
        yield self, depth, number
        for position, subsection in enumerate(self.subsections, start=1):
            yield from subsection.walk(depth + 1, section_number(depth + 1, position))


@dataclass
class Document:
    title: str
    level: Confidentiality
    generated_at: dt.datetime
    sections: list[Section]
    subtitle: str = ""
    # The State or the period the document covers, for its title page and properties.
    scope: str = ""
    author: str = "CTED"
    keywords: list[str] = field(default_factory=list)
    # Demo data carries a visible banner so nobody mistakes it for CTED's findings.
    illustrative: bool = False
    # What an issued copy keeps: the scope (`state:ISO3:FOLLOWUP`, `period:FROM..TO`) and what was counted.
    scope_key: str = ""
    reported: Reported | None = None

    def walk(self) -> Iterator[tuple[Section, int, str]]:
        """Every section in reading order with its depth and number; sections are numbered 1, 2, ..."""
        for position, section in enumerate(self.sections, start=1):
            yield from section.walk(1, section_number(1, position))

    @property
    def marking(self) -> str:
        return marking(self.level.value)

    @property
    def date_line(self) -> str:
        return day(self.generated_at.date())

    @property
    def generated_line(self) -> str:
        return f"Generated {day(self.generated_at.date())}, {self.generated_at:%H:%M} UTC"

    @property
    def chart_count(self) -> int:
        return sum(len(section.charts) for section, _, _ in self.walk())


ILLUSTRATIVE_BANNER = "Illustrative data: invented for demonstration, not CTED's findings"


_ROMAN: tuple[tuple[str, int], ...] = (
    ("M", 1000),
    ("CM", 900),
    ("D", 500),
    ("CD", 400),
    ("C", 100),
    ("XC", 90),
    ("L", 50),
    ("XL", 40),
)
_ROMAN += (("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))


def section_number(depth: int, position: int) -> str:
    """Headings are numbered as United Nations documents are: I, II, ... then A, B, ... then 1, 2, ..."""
    if depth == 1:
        numeral = ""
        for letters, value in _ROMAN:
            count, position = divmod(position, value)
            numeral += letters * count
        return numeral
    if depth == 2 and position <= 26:
        return chr(ord("A") + position - 1)
    return str(position)


def numbered(number: str, heading: str) -> str:
    """`II. Executive summary`."""
    return f"{number}. {heading}"


def cell_text(value: Cell) -> str:
    """How a cell reads in every format: no value (None, NaN) is a dash; floats (the index) keep one decimal."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
