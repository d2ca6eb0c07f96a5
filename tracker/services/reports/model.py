"""The one document model that every report format renders."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import plotly.graph_objects as go

from tracker.models import Confidentiality

Cell = str | int | float | None
# Told of each step of a long job: (steps done, steps in all, what the last step was about).
Progress = Callable[[int, int, str], None]


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
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[go.Figure] = field(default_factory=list)
    subsections: list["Section"] = field(default_factory=list)

    def walk(self, depth: int = 1):
        """This section and every subsection below it, each with its heading depth."""
        yield self, depth
        for subsection in self.subsections:
            yield from subsection.walk(depth + 1)


@dataclass
class Document:
    title: str
    level: Confidentiality
    generated_at: dt.datetime
    sections: list[Section]
    subtitle: str = ""

    def walk(self):
        for section in self.sections:
            yield from section.walk()

    @property
    def level_line(self) -> str:
        return f"Confidentiality level: {self.level.value}"

    @property
    def generated_line(self) -> str:
        return f"Generated {self.generated_at:%d %B %Y, %H:%M} UTC"

    @property
    def chart_count(self) -> int:
        return sum(len(section.charts) for section, _ in self.walk())


def cell_text(value: Cell) -> str:
    """How a cell reads in every format: no value (None, NaN) is a dash; floats (the index) keep one decimal."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
