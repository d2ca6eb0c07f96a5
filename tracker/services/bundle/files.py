"""The CSV bundle (docs/data-formats.md): which files, which columns, and how cells are read and written."""

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import IO, Any

from pydantic import BaseModel
from sqlalchemy import Connection, Table

from tracker.models import (
    AreaCreate,
    AreaResolution,
    AreaResolutionCreate,
    Assessment,
    AssessmentCreate,
    Confidentiality,
    Finding,
    FindingCreate,
    FindingResolution,
    LinkDecision,
    LinkDecisionCreate,
    Meeting,
    MeetingCreate,
    MeetingPartner,
    MeetingSector,
    MemberState,
    Milestone,
    MilestoneCreate,
    PartnerCreate,
    PartnerOrg,
    Resolution,
    ResolutionCreate,
    StateCreate,
    TAProvider,
    TARecord,
    TARecordCreate,
    ThematicArea,
    Update,
    UpdateCreate,
    UpdateItem,
    UpdateItemCreate,
    Visit,
    VisitCreate,
    VisitPartner,
    VisitResolution,
    table_of,
)


@dataclass(frozen=True)
class Link:
    """A list column stored in its own table, e.g. a visit's partners."""

    table: Table
    owner: str
    value: str


@dataclass(frozen=True)
class FileSpec:
    name: str
    entity: str
    table: Table
    key: tuple[str, ...]
    # The file's columns are the model's fields, in their order: declared once, in tracker/models/inputs.py.
    model: type[BaseModel]
    links: dict[str, Link] = field(default_factory=dict)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The file's columns in their order: the fields of its input model."""
        return tuple(self.model.model_fields)

    @property
    def required(self) -> tuple[str, ...]:
        """Columns the header must have: those without a default."""
        return tuple(c for c in self.columns if self.model.model_fields[c].is_required())

    @property
    def stored(self) -> tuple[str, ...]:
        """Columns kept in the entity's own table."""
        return tuple(c for c in self.columns if c not in self.links)

    def key_text(self, row: dict[str, Any]) -> str:
        return "/".join(str(row[k]) for k in self.key)


FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "areas.csv",
        "thematic_area",
        table_of(ThematicArea),
        ("code",),
        AreaCreate,
    ),
    # Reference data the team adds to the seeded lists (docs/data-formats.md).
    FileSpec("states.csv", "member_state", table_of(MemberState), ("iso3",), StateCreate),
    FileSpec(
        "resolutions.csv",
        "resolution",
        table_of(Resolution),
        ("number",),
        ResolutionCreate,
    ),
    FileSpec("partners.csv", "partner_org", table_of(PartnerOrg), ("code",), PartnerCreate),
    FileSpec(
        "visits.csv",
        "visit",
        table_of(Visit),
        ("visit_id",),
        VisitCreate,
        {
            "partners": Link(table_of(VisitPartner), "visit_id", "partner"),
            "resolutions": Link(table_of(VisitResolution), "visit_id", "resolution"),
        },
    ),
    FileSpec(
        "findings.csv",
        "finding",
        table_of(Finding),
        ("finding_id",),
        FindingCreate,
        {"resolutions": Link(table_of(FindingResolution), "finding_id", "resolution")},
    ),
    FileSpec(
        "assessments.csv",
        "assessment",
        table_of(Assessment),
        ("finding_id", "visit_id"),
        AssessmentCreate,
    ),
    FileSpec(
        "meetings.csv",
        "meeting",
        table_of(Meeting),
        ("meeting_id",),
        MeetingCreate,
        {
            "sector": Link(table_of(MeetingSector), "meeting_id", "sector"),
            "partners": Link(table_of(MeetingPartner), "meeting_id", "partner"),
        },
    ),
    # A State's written updates between visits and what each says of an item (docs/data-formats.md).
    FileSpec(
        "updates.csv",
        "state_update",
        table_of(Update),
        ("update_id",),
        UpdateCreate,
    ),
    FileSpec(
        "update_items.csv",
        "update_item",
        table_of(UpdateItem),
        ("finding_id", "update_id"),
        UpdateItemCreate,
    ),
    FileSpec(
        "milestones.csv",
        "milestone",
        table_of(Milestone),
        ("visit_id", "milestone"),
        MilestoneCreate,
    ),
    FileSpec(
        "ta.csv",
        "ta_record",
        table_of(TARecord),
        ("finding_id",),
        TARecordCreate,
        {"providers": Link(table_of(TAProvider), "finding_id", "partner")},
    ),
    # Pairs an analyst has said are not a restatement, so they are never suggested again.
    FileSpec(
        "link_decisions.csv",
        "link_decision",
        table_of(LinkDecision),
        ("finding_id", "baseline_id"),
        LinkDecisionCreate,
    ),
    # The resolutions each top-level area concerns, behind the assessment debt (docs/dossier.md).
    FileSpec(
        "area_resolutions.csv",
        "area_resolution",
        table_of(AreaResolution),
        ("area", "resolution"),
        AreaResolutionCreate,
    ),
)
SPECS = {spec.name: spec for spec in FILES}
FILE_NAMES = ", ".join(SPECS)

# A cell a spreadsheet would run as a formula is written behind a quote mark (docs/data-formats.md).
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_FORMULA_STARTS = frozenset("'=+-@\t\r")


def escape_cell(text: str) -> str:
    # The first character rules most cells out before the pattern is tried: a workbook has many.
    return "'" + text if text[:1] in _FORMULA_STARTS and _FORMULA.match(text) else text


def unescape_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and _FORMULA.match(text) else text


# A reader of an .xlsx turns `_xHHHH_` in a cell's text into the character HHHH (ECMA-376, 22.4.2.4),
# the way characters XML cannot hold are written. Text that would read as such a sequence has its
# opening underscore written as `_x005F_`; a sequence may also close on the underscore of the next
# one, or on a character that is itself written as a sequence.
_XML_UNSAFE = "\x00-\x08\x0b-\x1f\ufffe\uffff"
_OPENER = re.compile(f"_(?=x[0-9A-Fa-f]{{4}}[_{_XML_UNSAFE}])")
_UNSAFE = {code: f"_x{code:04X}_" for code in (*range(9), *range(0x0B, 0x20), 0xFFFE, 0xFFFF)}


def ooxml_text(text: str) -> str:
    """A cell's text as an .xlsx holds it, so that any reader gives back exactly this text."""
    if "_x" in text:
        text = _OPENER.sub("_x005F_", text)
    return text.translate(_UNSAFE)


def format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return escape_cell(str(value))


# ---------------------------------------------------------------- where bundle files come from


# (line, column, message): how a sheet reader reports a problem only the workbook can see.
Report = Callable[[int, str, str], None]


@dataclass(frozen=True)
class SheetRows:
    """A bundle file read as cells rather than CSV text: workbook sheets, or the rows a form holds.

    `read(connection, level, report)` yields (line, cells) like `read_rows`, the header first;
    `place(line, column)` names the cell a problem is in, e.g. `FIN!I12` (empty: the file and line).
    """

    read: Callable[[Any, Any, Report], Iterator[tuple[int, list[str]]]]
    place: Callable[[int, str], str]


@dataclass(frozen=True)
class Source:
    """One CSV file of a bundle: its name in the bundle, where it was found, and its bytes."""

    name: str
    origin: str
    size: int
    open: Callable[[], IO[bytes] | io.RawIOBase]
    sheet: SheetRows | None = None


def rows_source(file_name: str, rows: list[dict[str, Any]], origin: str) -> Source:
    """Rows of one bundle file ({column: value}) as a source, each cell written as an export writes it.

    The header holds the file's columns that any row gives, in the file's order, then any column
    the file does not take (which the import then names). The rows start on line 2, under it.
    """
    spec = SPECS[file_name]
    given = {c for row in rows for c in row}
    columns = [c for c in spec.columns if c in given] + sorted(given - set(spec.columns))
    cells = [[format_cell(row.get(c)) for c in columns] for row in rows]

    def read(connection: Connection, level: Confidentiality, report: Any) -> Iterator[tuple[int, list[str]]]:
        yield 1, list(columns)
        for line, row in enumerate(cells, start=2):
            # A blank row is skipped, as a blank line of a CSV file is.
            if any(cell.strip() for cell in row):
                yield line, list(row)

    size = sum(len(cell) for row in cells for cell in row) + 1
    return Source(file_name, origin, size, lambda: io.BytesIO(b""), SheetRows(read, lambda line, column: ""))


# ---------------------------------------------------------------- reading


class CountingReader(io.RawIOBase):
    """Counts the bytes read, for progress reports on large files."""

    def __init__(self, raw: IO[bytes] | io.RawIOBase):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.count += len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


# No line of a bundle file is read whole past this many characters (a cell holds at most the csv
# module's field limit, 131,072), so one endless line cannot fill the memory.
MAX_LINE_CHARS = 1 << 20


class LineTooLong(ValueError):
    """A line of a bundle file is longer than MAX_LINE_CHARS."""


def read_rows(text: io.TextIOBase) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) for each record, the header included; blank records skipped.

    A record may span several lines when a quoted cell holds line breaks.
    """
    lines = _bounded_lines(text)
    first = next(lines, "")
    delimiter = sniff_delimiter(first)
    reader = csv.reader(itertools.chain((first,), lines), delimiter=delimiter, strict=True)
    previous_end = 0
    for cells in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if cells and (cells[0].strip() or any(cell.strip() for cell in cells)):
            yield start, cells


def _bounded_lines(text: io.TextIOBase) -> Iterator[str]:
    read_line = partial(text.readline, MAX_LINE_CHARS + 1)
    while line := read_line():
        if len(line) > MAX_LINE_CHARS:
            raise LineTooLong
        yield line
