"""What an import found and did: its errors row by row, its changes field by field, its counts per file;
and those in words for people and as a review object for tools."""

import bisect
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from tracker.services.bundle.review_guard import Moved, in_words

MAX_LISTED_ERRORS = 10_000
MAX_LISTED_CHANGES = 10_000


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    message: str
    # The record's position among the file's rows (1 = the first row under the header), as a
    # spreadsheet numbers it when a cell holds line breaks; 0 for the header and the whole file.
    row: int = 0
    key: str = ""
    # Where a row read from a workbook sits, e.g. `FIN!I12`; empty for CSV files.
    cell: str = ""

    def __str__(self) -> str:
        if self.cell:
            return f"{self.cell}: {self.column}: {self.message}"
        where = f"{self.file}:{self.line}"
        if self.row and self.row != self.line - 1:
            where += f" (row {self.row})"
        return f"{where}: {self.column}: {self.message}"


@dataclass(frozen=True)
class Change:
    """One field of one row that the import changes; a created row is one change with field `*`."""

    file: str
    key: str
    field: str
    old: object
    new: object


@dataclass
class FileCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    counts: dict[str, FileCounts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    change_count: int = 0
    # The row numbers of the file being read, so that each error can say its spreadsheet row.
    rows: "RowNumbers | None" = field(default=None, repr=False, compare=False)
    # (file, key) of every stored row the import changes, in file order.
    updated_keys: list[tuple[str, str]] = field(default_factory=list)
    # The audit event that records the rows the import created, once committed; None if it created none.
    event: int | None = None
    # Stored values that moved since the save or the check was reviewed (review_guard); nothing is written.
    moved: list[Moved] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def committed(self) -> bool:
        return self.ok and not self.dry_run

    def add_error(self, error: RowError) -> None:
        if not error.row and error.line > 1 and self.rows is not None:
            error = dataclasses.replace(error, row=self.rows.row_of(error.line))
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)

    def add_changes(self, file: str, changes: list[tuple[str, str, object, object]]) -> None:
        """Changes of a file as (key, field, old, new); only those listed become Change objects."""
        self.change_count += len(changes)
        room = MAX_LISTED_CHANGES - len(self.changes)
        if room > 0:
            self.changes.extend(Change(file, *change) for change in changes[:room])

    def note_moved(self, moved: list[Moved]) -> None:
        """Stored values that moved since the save or the check was reviewed: each an error, nothing written."""
        self.moved.extend(moved)
        for item in moved:
            message = f"{in_words(item)} since it was checked; check the bundle again"
            self.add_error(RowError(item.file, 0, item.field or "row", message, key=item.key))

    def summary_rows(self) -> list[dict[str, Any]]:
        return [{"file": name, **c.__dict__} for name, c in self.counts.items()]


class RowNumbers:
    """Which record of the file starts on a line, kept as the few lines where the two drift apart
    (a cell with line breaks, a blank line), so a million-row file costs a handful of entries."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self.rows: list[int] = []

    def note(self, line: int, row: int) -> None:
        if not self.lines or line - row != self.lines[-1] - self.rows[-1]:
            self.lines.append(line)
            self.rows.append(row)

    def row_of(self, line: int) -> int:
        at = bisect.bisect_right(self.lines, line) - 1
        return 0 if at < 0 else self.rows[at] + line - self.lines[at]


def describe(result: ImportResult) -> str:
    """The per-file counts as one line each, for people; with errors, no counts (nothing was written)."""
    if not result.ok:
        return ""
    verb = "would be" if result.dry_run else "were"
    lines = [
        f"{name}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
        for name, c in result.counts.items()
    ]
    if result.dry_run:
        lines.append(f"Dry run: nothing was written; these changes {verb} made.")
    return "\n".join(lines)


def describe_changes(result: ImportResult) -> str:
    """Every change, one line each: `findings.csv KOR-2023-F01: status: not_implemented → initial_steps`."""
    lines = [
        f"{c.file} {c.key}: created"
        if c.field == "*"
        else f"{c.file} {c.key}: {c.field}: {_shown(c.old)} → {_shown(c.new)}"
        for c in result.changes
    ]
    if result.change_count > len(result.changes):
        lines.append(f"... and {result.change_count - len(result.changes)} more changes.")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def grouped_errors(errors: list[RowError]) -> list[str]:
    """The errors for people, one line per problem: the same problem in one column on many lines is one line."""
    groups: dict[tuple[str, str, str], list[RowError]] = {}
    for error in errors:
        groups.setdefault((error.file, error.column, error.message), []).append(error)
    lines = []
    for (file, column, message), repeats in groups.items():
        if len(repeats) == 1:
            lines.append(str(repeats[0]))
            continue
        where = ", ".join(str(e.line) for e in repeats[:10]) + (
            f" and {len(repeats) - 10} more" if len(repeats) > 10 else ""
        )
        lines.append(f"{file}: lines {where}: {column}: {message}")
    return lines


def result_as_dict(result: ImportResult) -> dict[str, Any]:
    """The import's review object: counts per file (none with errors), every change, every error."""
    return {
        "files": {n: (c.__dict__ if result.ok else None) for n, c in result.counts.items()},
        "changes": [dataclasses.asdict(c) for c in result.changes],
        "errors": [
            {"file": e.file, "line": e.line, "row": e.row, "key": e.key, "column": e.column, "message": e.message}
            for e in result.errors
        ],
    }
