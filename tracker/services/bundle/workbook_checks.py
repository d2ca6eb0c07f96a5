"""What an .xlsx must pass before a reader parses it: caps on its unpacked size and on its sheets' extent.

The reader holds each sheet whole, one slot for every cell from A1 to the farthest cell, so a file
of a few kB with one cell at XFD1048576 would ask for seventeen billion slots, and a part packed a
thousand times tighter than a spreadsheet packs would unpack to gigabytes. Both are found here from
the zip directory and a streaming pass over the sheets' XML, in bounded memory.
"""

import itertools
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.parsers import expat

from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from tracker.config import get_settings
from tracker.errors import TrackerError

_MAIN = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_RELATIONSHIPS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CHUNK = 1 << 20
# Longer than any tag the fast scan looks for, so one cut between two chunks hides none.
_OVERLAP = 128
# Ratios are not judged on parts too small to matter.
_RATIO_FLOOR = 1 << 20
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,12})")
# The workbook part and its relationships, parsed whole to find the sheets: a few kB in any workbook.
_BOOK_PART_MAX = 16 << 20


def unreadable(origin: str) -> TrackerError:
    return TrackerError(
        f"{origin} is not a readable Excel workbook", "save it from the spreadsheet as .xlsx and import it again"
    )


@dataclass(frozen=True)
class SizeCap:
    """The most a workbook may unpack to, and the setting that says so."""

    megabytes: int
    setting: str


def workbook_cap(general: SizeCap | None = None) -> SizeCap:
    """TRACKER_MAX_WORKBOOK_MB, or the general cap of the way the file came in when that is lower."""
    own = SizeCap(get_settings().max_workbook_mb, "TRACKER_MAX_WORKBOOK_MB")
    return general if general is not None and general.megabytes < own.megabytes else own


@dataclass(frozen=True)
class _Limits:
    rows: int
    columns: int

    def refusal(self, sheet: str, origin: str, ref: str, declared: bool) -> TrackerError | None:
        """The sentence for a cell past the caps, None for a cell within them."""
        match = _REF.fullmatch(ref)
        if match is None:
            return None
        row, column = xl_cell_to_rowcol(match[1].upper() + match[2])
        cell = xl_col_to_name(column) + str(row + 1)
        reaches = f"declares cells up to {cell}" if declared else f"has a cell at {cell}"
        if column >= self.columns:
            return TrackerError(
                f"sheet {sheet} of {origin} {reaches}, past the {self.columns:,} columns a sheet may have",
                f"remove what lies beyond column {xl_col_to_name(self.columns - 1)} and save it again, "
                "or raise TRACKER_MAX_WORKBOOK_COLUMNS if the sheet really is that wide",
            )
        if row >= self.rows:
            return TrackerError(
                f"sheet {sheet} of {origin} {reaches}, past the {self.rows:,} rows a sheet may have",
                f"remove what lies below row {self.rows:,} and save it again, "
                "or raise TRACKER_MAX_WORKBOOK_ROWS if the sheet really is that long",
            )
        return None


def check_workbook(archive: zipfile.ZipFile, origin: str, cap: SizeCap) -> None:
    """Refuse, in one sentence, a workbook that unpacks past its caps; read nothing else of it."""
    settings = get_settings()
    try:
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable(origin) from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > cap.megabytes * 1024 * 1024:
        raise TrackerError(
            f"{origin} unpacks to {unpacked / (1024 * 1024):,.0f} MB, more than the {cap.megabytes:,} MB "
            "a workbook may hold",
            f"split it into smaller workbooks, or raise {cap.setting} if it really is that large",
        )
    for member in members:
        if member.file_size > _RATIO_FLOOR and member.file_size > settings.max_workbook_ratio * max(
            member.compress_size, 1
        ):
            raise TrackerError(
                f"{origin} is not an ordinary workbook: its part {member.filename} unpacks to "
                f"{member.file_size // max(member.compress_size, 1):,} times its packed size, "
                f"more than the {settings.max_workbook_ratio:,} a spreadsheet comes near",
                "save it from the spreadsheet as .xlsx and import it again, "
                "or raise TRACKER_MAX_WORKBOOK_RATIO if it really is such a file",
            )
    limits = _Limits(max(settings.max_workbook_rows, 1), max(settings.max_workbook_columns, 1))
    parts = _sheet_parts(archive, origin)
    for member in members:
        if member.filename in parts or member.filename.lower().endswith((".xml", ".rels")):
            _scan(archive, member, limits, parts.get(member.filename) or member.filename, origin)


def _read(archive: zipfile.ZipFile, member: zipfile.ZipInfo, origin: str) -> Iterator[bytes]:
    """The part's bytes in chunks; reading stops at its declared size, and damage is one sentence."""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError):
        raise unreadable(origin) from None


def _small_xml(archive: zipfile.ZipFile, name: str, origin: str) -> ET.Element:
    """A part read to find the sheets; no workbook has it missing, larger than a few MB, or not XML."""
    try:
        member = archive.getinfo(name)
    except KeyError:
        raise unreadable(origin) from None
    if member.file_size > _BOOK_PART_MAX:
        raise unreadable(origin)
    try:
        return ET.fromstring(b"".join(_read(archive, member, origin)))
    except ET.ParseError:
        raise unreadable(origin) from None


def _sheet_parts(archive: zipfile.ZipFile, origin: str) -> dict[str, str]:
    """Every part a relationship of the workbook points to, with its sheet's name where it is a sheet."""
    book = _small_xml(archive, "xl/workbook.xml", origin)
    relations = _small_xml(archive, "xl/_rels/workbook.xml.rels", origin)
    parts: dict[str, str] = {}
    targets: dict[str | None, list[str]] = {}
    for link in relations.iter(f"{{{_PACKAGE_RELATIONSHIPS}}}Relationship"):
        target = link.get("Target", "")
        # Read from the package root or from xl/: a reader may take either.
        places = [posixpath.normpath(target.lstrip("/")), posixpath.normpath(f"xl/{target.lstrip('/')}")]
        targets[link.get("Id")] = places
        parts.update(dict.fromkeys(places, ""))
    for main in _MAIN:
        for sheet in book.iter(f"{{{main}}}sheet"):
            for relationships in _RELATIONSHIPS:
                for place in targets.get(sheet.get(f"{{{relationships}}}id"), []):
                    parts[place] = sheet.get("name", place)
    return parts


@dataclass(frozen=True)
class _Patterns:
    """What the fast scan looks for, each a pattern with a literal start that the regular
    expression engine skips to: cells whose reference may pass a cap (checked one by one), the
    declared dimension, and any row or cell not written the way spreadsheets write them (no
    reference, another attribute first, a namespace prefix), which sends the part to the exact scan.
    """

    cells: re.Pattern[bytes]
    rows: re.Pattern[bytes]
    prefixed: re.Pattern[bytes]
    dimension: re.Pattern[bytes]

    @classmethod
    def of(cls, limits: _Limits) -> "_Patterns":
        letters = len(xl_col_to_name(limits.columns - 1))
        digits = len(str(limits.rows))
        return cls(
            re.compile(
                rb'<c(?:(?P<odd>(?! r="[A-Z]{1,3}[0-9]{1,7}")[\s/>])'
                rb'| r="(?P<far>[A-Z]{%d,3}[0-9]{1,7}|[A-Z]{1,3}[0-9]{%d,7})")' % (letters, digits)
            ),
            re.compile(rb'<row(?! r="[0-9]{1,7}")[\s/>]'),
            re.compile(rb":(?:c|row|dimension)[\s/>]"),
            re.compile(rb'<dimension\b[^>]{0,64}?\sref="(?P<ref>[^"]{0,32})"'),
        )

    def odd(self, text: bytes, end: int) -> bool:
        """Whether a row or cell tag starting before `end` needs the exact scan."""
        if (found := self.rows.search(text)) and found.start() < end:
            return True
        for found in self.prefixed.finditer(text):
            if found.start() >= end:
                break
            opening = text.rfind(b"<", max(found.start() - 65, 0), found.start())
            if opening >= 0 and _PREFIXED_TAG.match(text, opening):
                return True
        return False


_PREFIXED_TAG = re.compile(rb"<[\w.-]{1,64}:(?:c|row|dimension)[\s/>]")


def _scan(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: _Limits, sheet: str, origin: str) -> None:
    """The fast scan: regular expressions over the raw XML, which find nothing in an ordinary sheet."""
    patterns = _Patterns.of(limits)
    pending = b""
    chunks = _read(archive, member, origin)
    first = next(chunks, b"")
    if not _ascii_based(first):
        _scan_exactly(archive, member, limits, sheet, origin)
        return
    for chunk in itertools.chain((first,), chunks, (b"",)):
        text = pending + chunk
        # A tag that starts near the end is looked at with the next chunk, when all of it is there.
        cut = len(text) - _OVERLAP if chunk else len(text)
        pending = text[max(cut, 0) :]
        if patterns.odd(text, cut):
            _scan_exactly(archive, member, limits, sheet, origin)
            return
        refs = [
            (found["ref"].decode("ascii", "replace"), True)
            for found in patterns.dimension.finditer(text)
            if found.start() < cut
        ]
        for found in patterns.cells.finditer(text):
            if found.start() >= cut:
                break
            if found["odd"]:
                _scan_exactly(archive, member, limits, sheet, origin)
                return
            refs.append((found["far"].decode(), False))
        for ref, declared in refs:
            for part in ref.split(":"):
                if refusal := limits.refusal(sheet, origin, part, declared):
                    raise refusal


_DECLARED_ENCODING = re.compile(rb"""\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([^"']{1,40})""")
_ASCII_BASED = {b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1", b"latin1", b"windows-1252"}


def _ascii_based(head: bytes) -> bool:
    """Whether the part's tags are ASCII bytes the fast scan can read (not UTF-16 and the like)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        return False
    declared = _DECLARED_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    return declared is None or declared[1].strip().lower() in _ASCII_BASED


class _Positions:
    """Where each cell of a sheet lands, as a reader places cells that give no reference."""

    def __init__(self, limits: _Limits, sheet: str, origin: str):
        self.limits, self.sheet, self.origin = limits, sheet, origin
        self.row = self.column = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if local not in ("c", "row", "dimension") or namespace not in _MAIN:
            return
        ref = attributes.get("r")
        if local == "row":
            self.row = int(ref) if ref and ref.isdigit() else self.row + 1
            self.column = 0
        elif local == "c":
            match = _REF.fullmatch(ref) if ref else None
            if match:
                self.row, self.column = int(match[2]), _column_number(match[1])
            else:
                self.row, self.column = max(self.row, 1), self.column + 1
            if self.row > self.limits.rows or self.column > self.limits.columns:
                self._check(xl_col_to_name(self.column - 1) + str(self.row), False)
        else:
            for part in (attributes.get("ref") or "").split(":"):
                self._check(part, True)

    def _check(self, ref: str, declared: bool) -> None:
        if refusal := self.limits.refusal(self.sheet, self.origin, ref, declared):
            raise refusal


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _scan_exactly(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: _Limits, sheet: str, origin: str) -> None:
    """Every row and cell of the part through an XML parser, for parts the fast scan cannot judge."""
    positions = _Positions(limits, sheet, origin)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = positions.start
    try:
        for chunk in _read(archive, member, origin):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise unreadable(origin) from None
