"""The CSV bundle of DESIGN §4: which files, which columns, and how cells are read and written."""

import csv
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel
from sqlalchemy import Table

from tracker.config import get_settings
from tracker.errors import TrackerError
from tracker.models import (
    AreaCreate,
    Assessment,
    AssessmentCreate,
    Finding,
    FindingCreate,
    FindingResolution,
    LinkDecision,
    LinkDecisionCreate,
    Meeting,
    MeetingCreate,
    Milestone,
    MilestoneCreate,
    TAProvider,
    TARecord,
    TARecordCreate,
    ThematicArea,
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
    columns: tuple[str, ...]
    model: type[BaseModel]
    links: dict[str, Link] = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        """Columns the header must have: those without a default."""
        return tuple(c for c in self.columns if self.model.model_fields[c].is_required())

    @property
    def stored(self) -> tuple[str, ...]:
        """Columns kept in the entity's own table."""
        return tuple(c for c in self.columns if c not in self.links)

    def key_text(self, row: dict) -> str:
        return "/".join(str(row[k]) for k in self.key)


FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "areas.csv",
        "thematic_area",
        table_of(ThematicArea),
        ("code",),
        ("code", "name", "parent", "cross_cutting", "sort_order"),
        AreaCreate,
    ),
    FileSpec(
        "visits.csv",
        "visit",
        table_of(Visit),
        ("visit_id",),
        (
            "visit_id",
            "state",
            "kind",
            "modality",
            "start_date",
            "end_date",
            "baseline_visit_id",
            "lead",
            "partners",
            "resolutions",
            "summary",
            "confidentiality",
            "consent",
            "consent_date",
            "withdrawn",
        ),
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
        (
            "finding_id",
            "visit_id",
            "area",
            "kind",
            "title",
            "detail",
            "priority",
            "severity",
            "resolutions",
            "source_ref",
            "continues",
            "confidentiality",
            "withdrawn",
        ),
        FindingCreate,
        {"resolutions": Link(table_of(FindingResolution), "finding_id", "resolution")},
    ),
    FileSpec(
        "assessments.csv",
        "assessment",
        table_of(Assessment),
        ("finding_id", "visit_id"),
        ("finding_id", "visit_id", "status", "evidence", "assessed_on", "confidentiality", "withdrawn"),
        AssessmentCreate,
    ),
    FileSpec(
        "meetings.csv",
        "meeting",
        table_of(Meeting),
        ("meeting_id",),
        (
            "meeting_id",
            "visit_id",
            "date",
            "kind",
            "counterpart",
            "sector",
            "area",
            "notes",
            "confidentiality",
            "withdrawn",
        ),
        MeetingCreate,
    ),
    FileSpec(
        "milestones.csv",
        "milestone",
        table_of(Milestone),
        ("visit_id", "milestone"),
        ("visit_id", "milestone", "date", "note", "confidentiality"),
        MilestoneCreate,
    ),
    FileSpec(
        "ta.csv",
        "ta_record",
        table_of(TARecord),
        ("finding_id",),
        ("finding_id", "status", "providers", "addresses", "updated_on", "note", "confidentiality"),
        TARecordCreate,
        {"providers": Link(table_of(TAProvider), "finding_id", "partner")},
    ),
    # Pairs an analyst has said are not a restatement, so they are never suggested again.
    FileSpec(
        "link_decisions.csv",
        "link_decision",
        table_of(LinkDecision),
        ("finding_id", "baseline_id"),
        ("finding_id", "baseline_id", "decided_by", "decided_on", "note"),
        LinkDecisionCreate,
    ),
)
SPECS = {spec.name: spec for spec in FILES}
FILE_NAMES = ", ".join(SPECS)

# A cell a spreadsheet would run as a formula is written behind a quote mark (DESIGN §4).
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")


def escape_cell(text: str) -> str:
    return "'" + text if _FORMULA.match(text) else text


def unescape_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and _FORMULA.match(text) else text


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return escape_cell(str(value))


# ---------------------------------------------------------------- where bundle files come from


# (line, column, message): how a sheet reader reports a problem only the workbook can see.
Report = Callable[[int, str, str], None]


@dataclass(frozen=True)
class SheetRows:
    """A bundle file read from workbook sheets rather than CSV text.

    `read(connection, level, report)` yields (line, cells) like `read_rows`, the header first;
    `place(line, column)` names the cell a problem is in, e.g. `FIN!I12`.
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


def sources_from_paths(paths: list[Path]) -> list[Source]:
    """Every bundle file under the given folders, .zip files and .csv files."""
    found: list[Source] = []
    for path in paths:
        if not path.exists():
            raise TrackerError(f"{path} does not exist", "give a bundle folder, a .zip file or .csv files")
        if path.is_dir():
            csvs = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
            if not csvs:
                raise TrackerError(f"{path} holds no CSV files", f"a bundle holds any of {FILE_NAMES}")
            found.extend(_file_source(p) for p in csvs)
        elif path.suffix.lower() == ".zip":
            found.extend(_zip_sources(path))
        elif path.suffix.lower() == ".xlsx":
            from tracker.services.workbook import workbook_sources

            found.extend(workbook_sources(path.read_bytes(), str(path)))
        else:
            found.append(_file_source(path))
    limit = get_settings().max_import_mb
    if sum(source.size for source in found) > limit * 1024 * 1024:
        raise TrackerError(
            f"the bundle is larger than {limit} MB unpacked",
            "split it into smaller bundles, or raise TRACKER_MAX_IMPORT_MB if it is really that large",
        )
    return _checked(found)


def sources_from_uploads(uploads: list[tuple[str, bytes]]) -> list[Source]:
    """Files handed over in memory (the dashboard's uploads): CSV files or .zip bundles.

    Their total size, unpacked, may not pass TRACKER_MAX_UPLOAD_MB.
    """
    limit = get_settings().max_upload_mb
    _check_upload_size(sum(len(data) for _, data in uploads), limit)
    found: list[Source] = []
    for name, data in uploads:
        if name.lower().endswith(".zip"):
            found.extend(_zip_sources(io.BytesIO(data), name))
        elif name.lower().endswith(".xlsx"):
            from tracker.services.workbook import workbook_sources

            found.extend(workbook_sources(data, name))
        else:
            found.append(Source(Path(name).name, name, len(data), partial(io.BytesIO, data)))
    # A zip member's size is the one its header declares; reading stops there (zipfile checks).
    _check_upload_size(sum(source.size for source in found), limit)
    return _checked(found)


def _check_upload_size(size: int, limit_mb: int) -> None:
    if size > limit_mb * 1024 * 1024:
        raise TrackerError(
            f"the upload is larger than the {limit_mb} MB limit",
            "import it with 'tracker import' on the server, or split it into smaller bundles",
        )


def _file_source(path: Path) -> Source:
    return Source(path.name, str(path), path.stat().st_size, lambda: path.open("rb"))


# Compression methods Python's zipfile reads; others (e.g. 9, Deflate64) fail only once read.
_READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _damaged(label: str) -> TrackerError:
    return TrackerError(f"{Path(label).name} is damaged or encrypted", "zip the CSV files again")


def _zip_sources(archive, label: str | None = None) -> list[Source]:
    label = label or str(archive)
    try:
        bundle = zipfile.ZipFile(archive)
        members = [m for m in bundle.infolist() if not m.is_dir() and m.filename.lower().endswith(".csv")]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise _damaged(label) from None
    if not members:
        raise TrackerError(f"{label} holds no CSV files", f"a bundle holds any of {FILE_NAMES}")
    if any(m.flag_bits & 0x1 or m.compress_type not in _READABLE_METHODS for m in members):
        raise _damaged(label)
    return [
        Source(
            Path(m.filename).name,
            f"{label}:{m.filename}",
            m.file_size,
            partial(_open_member, bundle, m, label),
        )
        for m in members
    ]


def _open_member(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, label: str) -> io.RawIOBase:
    return _MemberReader(bundle.open(member), label)


class _MemberReader(io.RawIOBase):
    """A zip member whose damage (a bad CRC, a cut-off stream) reads as one sentence, not a traceback."""

    def __init__(self, raw: IO[bytes], label: str):
        self.raw, self.label = raw, label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
            raise _damaged(self.label) from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _checked(found: list[Source]) -> list[Source]:
    seen: dict[str, str] = {}
    for source in found:
        if source.name not in SPECS:
            raise TrackerError(f"{source.origin} is not a bundle file", f"name each file one of {FILE_NAMES}")
        if source.name in seen:
            raise TrackerError(
                f"{source.name} is given twice ({seen[source.name]} and {source.origin})",
                "import one bundle at a time",
            )
        seen[source.name] = source.origin
    order = list(SPECS)
    return sorted(found, key=lambda s: order.index(s.name))


# ---------------------------------------------------------------- reading


class CountingReader(io.RawIOBase):
    """Counts the bytes read, for progress reports on large files."""

    def __init__(self, raw: IO[bytes] | io.RawIOBase):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
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
