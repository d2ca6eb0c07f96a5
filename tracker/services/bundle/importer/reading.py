"""Reading a source: its header and cells checked, each row validated by the file's model, every
problem said in a sentence that tells how to fix it."""

import csv
import difflib
import io
import re
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from tracker.services.bundle.files import (
    MAX_LINE_CHARS,
    CountingReader,
    FileSpec,
    LineTooLong,
    Source,
    read_rows,
    unescape_cell,
)
from tracker.services.bundle.importer.result import ImportResult, RowError, RowNumbers


def _decoded(reader: CountingReader) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BufferedReader(reader, 1 << 16), encoding="utf-8-sig", newline="")


def records(
    spec: FileSpec,
    source: Source,
    reader: CountingReader,
    result: ImportResult,
    sheet_rows: Iterator[tuple[int, list[str]]] | None = None,
) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line, cells, the present columns) for each record of a file, a cell for each column."""
    line = 1
    try:
        rows = read_rows(_decoded(reader)) if sheet_rows is None else sheet_rows
        header_line, header = next(rows, (1, []))
        if _binary(spec, header_line, header, result):
            return
        columns = [c.strip().lower() for c in header]
        if not _header_ok(spec, columns, result):
            return
        width = len(columns)
        numbers = result.rows = RowNumbers()
        drift = None
        for record, (line, cells) in enumerate(rows, start=1):
            if line - record != drift:
                drift = line - record
                numbers.note(line, record)
            # One text of the row's cells serves the checks for binary data, control characters and quotes.
            joined = "".join(cells)
            if "\x00" in joined and _binary(spec, line, cells, result):
                return
            if len(cells) > width:
                result.add_error(
                    RowError(
                        spec.name,
                        line,
                        "row",
                        f"has {len(cells)} cells but the header has {width}; quote cells that hold the delimiter",
                    )
                )
                continue
            if len(cells) < width:
                # Missing cells would read as empty and wipe stored values (a level among them).
                result.add_error(
                    RowError(
                        spec.name,
                        line,
                        "row",
                        f"has {len(cells)} cells but the header has {width}; give every column a cell, empty if need be",
                    )
                )
                continue
            if _CONTROL.search(joined):
                _control_errors(spec, line, dict(zip(columns, cells)), result)
                continue
            if "'" in joined:
                cells = [unescape_cell(cell) for cell in cells]
            yield line, cells, columns
    except LineTooLong:
        result.add_error(
            RowError(
                spec.name,
                line + 1,
                "file",
                f"has a line longer than {MAX_LINE_CHARS:,} characters; save it from the spreadsheet as CSV UTF-8",
            )
        )
    except UnicodeDecodeError:
        result.add_error(RowError(spec.name, line + 1, "file", "is not UTF-8 text; save it as CSV UTF-8"))
    except csv.Error as error:
        result.add_error(RowError(spec.name, line + 1, "file", f"cannot be read as CSV ({error}); check its quotes"))


def _binary(spec: FileSpec, line: int, cells: list[str], result: ImportResult) -> bool:
    if "\x00" in "".join(cells):
        result.add_error(
            RowError(
                spec.name, line, "file", "holds binary data, not CSV text; save it from the spreadsheet as CSV UTF-8"
            )
        )
        return True
    return False


# Control characters other than tab and line ends: invisible in a spreadsheet, and they break
# Word documents and terminals.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_errors(spec: FileSpec, line: int, row: dict[str, Any], result: ImportResult) -> None:
    for column, cell in row.items():
        found = _CONTROL.search(cell)
        if found:
            result.add_error(
                RowError(
                    spec.name,
                    line,
                    column,
                    f"holds the control character U+{ord(found.group()):04X}, which no spreadsheet shows; "
                    "delete it (retype the cell if need be)",
                )
            )


def _header_ok(spec: FileSpec, columns: list[str], result: ImportResult) -> bool:
    ok = True
    if not columns:
        result.add_error(RowError(spec.name, 1, "header", "the file is empty; give a header row"))
        return False
    for column in columns:
        if column not in spec.columns:
            result.add_error(
                RowError(
                    spec.name, 1, column or "(blank)", f"unknown column; {spec.name} takes {', '.join(spec.columns)}"
                )
            )
            ok = False
        elif columns.count(column) > 1:
            result.add_error(RowError(spec.name, 1, column, "appears twice in the header; keep one"))
            ok = False
    for column in spec.required:
        if column not in columns:
            result.add_error(RowError(spec.name, 1, column, "required column is missing; add it to the header"))
            ok = False
    return ok


def validated(spec: FileSpec, line: int, row: dict[str, Any], result: ImportResult) -> dict[str, Any] | None:
    """The row's values with enumerations as their stored text, as the model reads them; None, and
    its errors noted, if invalid."""
    try:
        return plain(spec.model.model_validate(row).model_dump(mode="python"))
    except ValidationError as error:
        key = "/".join(str(row.get(k, "")).strip() for k in spec.key)
        for problem in error.errors():
            column = str(problem["loc"][0]) if problem["loc"] else "row"
            result.add_error(RowError(spec.name, line, column, _in_words(problem, column), key=key))
        return None


def _in_words(problem: ErrorDetails, column: str) -> str:
    """A validation problem as a sentence that says how to fix it, never in pydantic's own words."""
    kind, value = problem["type"], problem.get("input")
    if kind == "enum":
        allowed = (
            [member.value for member in problem["ctx"]["expected_enum"]]
            if "expected_enum" in problem.get("ctx", {})
            else _enum_values(problem["ctx"]["expected"])
        )
        return _not_one_of(str(value), column, allowed)
    if kind == "extra_forbidden":
        return "unknown column; remove it"
    if kind == "missing":
        return "is empty; fill it in"
    if kind in ("int_parsing", "int_from_float"):
        return f"'{value}' is not a whole number; write digits only, e.g. 10"
    return str(problem["msg"]).removeprefix("Value error, ")


def _enum_values(expected: str) -> list[str]:
    # pydantic words the choices as "'a', 'b' or 'c'".
    return [part.strip(" '") for part in expected.replace(" or ", ", ").split(",") if part.strip(" '")]


def _not_one_of(value: str, column: str, allowed: list[str]) -> str:
    """`'shortfal' is not a kind; did you mean shortfall? Use one of ...`."""
    text = value.strip()
    if not text:
        return f"is empty; use one of {', '.join(allowed)}"
    near = difflib.get_close_matches(text.lower().replace(" ", "_").replace("-", "_"), allowed, n=1, cutoff=0.6)
    hint = f"did you mean {near[0]}? " if near else ""
    return f"'{text}' is not a {column.replace('_', ' ')}; {hint}use one of {', '.join(allowed)}"


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """Enum members as their stored text, so rows compare equal to what the database returns."""
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
