"""Bundles as Excel workbooks (docs/data-formats.md): the bundle files as sheets, written and read back.

An .xlsx given to the importer is either a workbook bundle (sheets named `areas`, `visits`, ...)
or an edited tracking matrix (a `Summary` sheet and one sheet per State); both become sources
that yield the rows a CSV file would, so they go through the one importer.
"""

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import Boolean, Connection, Date, Engine, Integer
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from tracker.db import require_schema
from tracker.errors import TrackerError
from tracker.models import Confidentiality
from tracker.services.bundle.across_states import COMBINED_SHEET
from tracker.services.bundle.files import FILE_NAMES, FILES, SPECS, FileSpec, SheetRows, Source, ooxml_text
from tracker.services.bundle.matrix_model import SUMMARY_SHEET
from tracker.services.bundle.matrix_reading import MatrixSheet, matrix_sheet_rows
from tracker.services.bundle.matrix_updates import has_claims, matrix_update_rows
from tracker.services.bundle.rows import file_records
from tracker.services.bundle.workbook_checks import SizeCap, check_workbook, unreadable, workbook_cap
from tracker.services.people.access import Actor, effective_level

# ---------------------------------------------------------------- writing


def _column_kinds(spec: FileSpec) -> list[str]:
    """How each column is stored in a cell: as a date, a boolean, a number or text."""
    kinds = []
    for column in spec.columns:
        kind = "text"
        if column not in spec.links:
            sql_type = spec.table.c[column].type
            if isinstance(sql_type, Date):
                kind = "date"
            elif isinstance(sql_type, Boolean):
                kind = "boolean"
            elif isinstance(sql_type, Integer):
                kind = "number"
        kinds.append(kind)
    return kinds


_EPOCH = dt.date(1899, 12, 30)
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>",
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{sheets}'
    '<Relationship Id="rIdStyles" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>",
    "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>",
}
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
    'state="frozen"/></sheetView></sheetViews><cols><col min="1" max="{columns}" width="16" customWidth="1"/></cols>'
    "<sheetData>"
)


def _cell(kind: str, ref: str, value: str) -> str:
    """One cell of a row: strings inline, dates as day numbers in the date style, booleans and numbers as such."""
    match kind:
        case "date":
            return f'<c r="{ref}" s="1"><v>{(dt.date.fromisoformat(value) - _EPOCH).days}</v></c>'
        case "boolean":
            return f'<c r="{ref}" t="b"><v>{1 if value == "true" else 0}</v></c>'
        case "number":
            return f'<c r="{ref}"><v>{int(value)}</v></c>'
    return (
        f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{ooxml_text(value).translate(_ESCAPES)}</t></is></c>'
    )


def _write_sheet(stream: IO[str], spec: FileSpec, records: Any) -> int:
    kinds = _column_kinds(spec)
    letters = [xl_col_to_name(i) for i in range(len(spec.columns))]
    stream.write(_SHEET_START.format(columns=len(spec.columns)))
    header = "".join(
        f'<c r="{letter}1" s="2" t="inlineStr"><is><t>{name}</t></is></c>'
        for letter, name in zip(letters, spec.columns)
    )
    stream.write(f'<row r="1">{header}</row>')
    count = 0
    for count, record in enumerate(records, start=1):
        number = str(count + 1)
        cells = "".join(
            _cell(kind, letter + number, value) for kind, letter, value in zip(kinds, letters, record) if value
        )
        stream.write(f'<row r="{number}">{cells}</row>')
    stream.write("</sheetData></worksheet>")
    return count


def export_workbook(
    engine: Engine, destination: Path, actor: Actor, level: str | Confidentiality | None = None
) -> dict[str, int]:
    """Write the five bundle files as five sheets of one .xlsx; returns the rows written per file.

    The sheets are streamed as SpreadsheetML text: a styling library spends seven times the CSV
    export on a bundle of 100,000 findings, while these sheets need only a bold header and a date style.
    """
    require_schema(engine)
    visible = effective_level(actor, level)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    counts: dict[str, int] = {}
    names = [Path(spec.name).stem for spec in FILES]
    sheets = {
        "[Content_Types].xml": "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1)
        ),
        "xl/workbook.xml": "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(names, start=1)
        ),
        "xl/_rels/workbook.xml.rels": "".join(
            f'<Relationship Id="rId{i}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        ),
    }
    with (
        engine.connect() as connection,
        zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book,
    ):
        for name, text in _PARTS.items():
            book.writestr(name, text.replace("{sheets}", sheets.get(name, "")))
        for index, spec in enumerate(FILES, start=1):
            with (
                book.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True) as raw,
                io.TextIOWrapper(io.BufferedWriter(raw, 1 << 20), encoding="utf-8", newline="") as stream,
            ):
                counts[spec.name] = _write_sheet(stream, spec, file_records(connection, spec, visible))
    partial.replace(destination)
    return counts


# ---------------------------------------------------------------- reading


def _text(value: object) -> str:
    """A cell as the text a CSV file would hold: ISO dates, true/false, whole numbers without `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _sheet_rows(book: CalamineWorkbook, name: str, origin: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows (1-based row number, cells as text) of a sheet."""
    try:
        values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError):
        raise unreadable(origin) from None
    if not values:
        return [], []
    header = [_text(v) for v in values[0]]
    while header and not header[-1].strip():
        header.pop()
    rows = []
    for number, raw in enumerate(values[1:], start=2):
        cells = [_text(v) for v in raw]
        while len(cells) > len(header) and not cells[-1].strip():
            cells.pop()
        if any(cell.strip() for cell in cells):
            rows.append((number, cells + [""] * (len(header) - len(cells))))
    return header, rows


def workbook_sources(workbook: bytes | Path, origin: str, cap: SizeCap | None = None) -> list[Source]:
    """The sources an .xlsx holds: its bundle sheets, or the assessments of an edited matrix.

    The workbook is checked against its caps (`workbook_checks`) before any sheet is parsed; `cap`
    is the general cap of the way it came in, when that is lower than TRACKER_MAX_WORKBOOK_MB.
    """
    try:
        with zipfile.ZipFile(workbook if isinstance(workbook, Path) else io.BytesIO(workbook)) as archive:
            check_workbook(archive, origin, workbook_cap(cap))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise unreadable(origin) from None
    try:
        if isinstance(workbook, Path):
            book = CalamineWorkbook.from_path(str(workbook))
            size = workbook.stat().st_size
        else:
            book = CalamineWorkbook.from_filelike(io.BytesIO(workbook))
            size = len(workbook)
        names = list(book.sheet_names)
    except (CalamineError, ValueError, OSError):
        raise unreadable(origin) from None
    stems = {Path(spec.name).stem: spec.name for spec in FILES}
    bundle_sheets = [name for name in names if name.strip().lower() in stems]
    if bundle_sheets:
        others = [name for name in names if name not in bundle_sheets]
        if others:
            raise TrackerError(
                f"sheet {others[0]} of {origin} is not a bundle file",
                f"name each sheet after one of {FILE_NAMES} without .csv, or remove it",
            )
        return [_bundle_source(book, name, stems[name.strip().lower()], origin, size) for name in bundle_sheets]
    sheets = []
    for name in names:
        # The Summary and the sheet of every State's items are for reading; the State sheets hold the cells.
        if name.strip().lower() in (SUMMARY_SHEET.lower(), COMBINED_SHEET.lower()):
            continue
        header, rows = _sheet_rows(book, name, origin)
        sheets.append(MatrixSheet(name, header, rows))
    if not sheets:
        raise TrackerError(
            f"{origin} holds neither bundle sheets nor State sheets of a tracking matrix",
            "import a workbook written by 'tracker export FILE.xlsx' or 'tracker matrix'",
        )
    sources = [Source("assessments.csv", origin, size, lambda: io.BytesIO(b""), matrix_sheet_rows(sheets))]
    if any(has_claims(sheet) for sheet in sheets):
        sources.append(Source("update_items.csv", origin, 0, lambda: io.BytesIO(b""), matrix_update_rows(sheets)))
    return sources


def _bundle_source(book: CalamineWorkbook, sheet: str, file_name: str, origin: str, size: int) -> Source:
    header, rows = _sheet_rows(book, sheet, origin)
    columns = [h.strip().lower() for h in header]

    def read(connection: Connection, level: Confidentiality, report: Any) -> Iterator[tuple[int, list[str]]]:
        yield 1, header
        yield from rows

    def place(line: int, column: str) -> str:
        index = columns.index(column) if column in columns else 0
        return f"{sheet}!{xl_rowcol_to_cell(max(line, 1) - 1, index)}"

    return Source(file_name, f"{origin}:{sheet}", size // len(SPECS), lambda: io.BytesIO(b""), SheetRows(read, place))
