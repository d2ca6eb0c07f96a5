"""Bundles as Excel workbooks (DESIGN §9): the bundle files as sheets, written and read back.

An .xlsx given to the importer is either a workbook bundle (sheets named `areas`, `visits`, ...)
or an edited tracking matrix (a `Summary` sheet and one sheet per State); both become sources
that yield the rows a CSV file would, so they go through the one importer.
"""

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import Boolean, Date, Engine, Integer
from xlsxwriter.utility import xl_rowcol_to_cell

from tracker.db import require_schema
from tracker.errors import TrackerError
from tracker.models import Confidentiality
from tracker.services.access import Actor, effective_level
from tracker.services.bundle_format import FILE_NAMES, FILES, SPECS, FileSpec, SheetRows, Source
from tracker.services.exporter import _records
from tracker.services.matrix import SUMMARY_SHEET, MatrixSheet, matrix_sheet_rows

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


def _cell_writer(sheet, kind: str, date_format):
    """Write a cell's exported text as Excel stores that kind of value, so dates sort as dates."""
    match kind:
        case "date":
            return lambda row, col, v: sheet.write_datetime(row, col, dt.date.fromisoformat(v), date_format)
        case "boolean":
            return lambda row, col, v: sheet.write_boolean(row, col, v == "true")
        case "number":
            return lambda row, col, v: sheet.write_number(row, col, int(v))
    return sheet.write_string


def export_workbook(
    engine: Engine, destination: Path, actor: Actor, level: str | Confidentiality | None = None
) -> dict[str, int]:
    """Write the five bundle files as five sheets of one .xlsx; returns the rows written per file."""
    require_schema(engine)
    visible = effective_level(actor, level)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    counts: dict[str, int] = {}
    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    with engine.connect() as connection, xlsxwriter.Workbook(str(partial), options) as book:
        header = book.add_format({"bold": True})
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        for spec in FILES:
            sheet = book.add_worksheet(Path(spec.name).stem)
            sheet.write_row(0, 0, spec.columns, header)
            sheet.freeze_panes(1, 0)
            writers = [_cell_writer(sheet, kind, date) for kind in _column_kinds(spec)]
            count = 0
            for count, record in enumerate(_records(connection, spec, visible), start=1):
                for column, value in enumerate(record):
                    if value:
                        writers[column](count, column, value)
            counts[spec.name] = count
            sheet.set_column(0, len(spec.columns) - 1, 16)
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


def _sheet_rows(book: CalamineWorkbook, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows (1-based row number, cells as text) of a sheet."""
    values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
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


def workbook_sources(data: bytes, origin: str) -> list[Source]:
    """The sources an .xlsx holds: its bundle sheets, or the assessments of an edited matrix."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except (CalamineError, ValueError, OSError):
        raise TrackerError(
            f"{origin} is not a readable Excel workbook", "save it from the spreadsheet as .xlsx and import it again"
        ) from None
    stems = {Path(spec.name).stem: spec.name for spec in FILES}
    bundle_sheets = [name for name in names if name.strip().lower() in stems]
    if bundle_sheets:
        others = [name for name in names if name not in bundle_sheets]
        if others:
            raise TrackerError(
                f"sheet {others[0]} of {origin} is not a bundle file",
                f"name each sheet after one of {FILE_NAMES} without .csv, or remove it",
            )
        return [_bundle_source(book, name, stems[name.strip().lower()], origin, len(data)) for name in bundle_sheets]
    sheets = []
    for name in names:
        if name.strip().lower() == SUMMARY_SHEET.lower():
            continue
        header, rows = _sheet_rows(book, name)
        sheets.append(MatrixSheet(name, header, rows))
    if not sheets:
        raise TrackerError(
            f"{origin} holds neither bundle sheets nor State sheets of a tracking matrix",
            "import a workbook written by 'tracker export FILE.xlsx' or 'tracker matrix'",
        )
    return [Source("assessments.csv", origin, len(data), lambda: io.BytesIO(b""), matrix_sheet_rows(sheets))]


def _bundle_source(book: CalamineWorkbook, sheet: str, file_name: str, origin: str, size: int) -> Source:
    header, rows = _sheet_rows(book, sheet)
    columns = [h.strip().lower() for h in header]

    def read(connection, level, report) -> Iterator[tuple[int, list[str]]]:
        yield 1, header
        yield from rows

    def place(line: int, column: str) -> str:
        index = columns.index(column) if column in columns else 0
        return f"{sheet}!{xl_rowcol_to_cell(max(line, 1) - 1, index)}"

    return Source(file_name, f"{origin}:{sheet}", size // len(SPECS), lambda: io.BytesIO(b""), SheetRows(read, place))
