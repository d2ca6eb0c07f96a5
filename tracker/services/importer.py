"""Import of a CSV bundle (DESIGN §4): validate everything, then upsert by key in one transaction.

Rows stream through in batches: each batch is validated, compared with what the database holds
and written with one executemany per table. Any error stops the writing, validation goes on so
that every error is listed, and the transaction is rolled back: nothing is half-written.
"""

import bisect
import csv
import dataclasses
import datetime as dt
import difflib
import gc
import io
import pickle
import re
import tempfile
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import ColumnElement, Connection, Engine, Table, func, insert, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.db import is_sqlite, reading, require_schema, writing
from tracker.models import (
    DEFAULT_CONFIDENTIALITY,
    TRACKABLE_KINDS,
    Confidentiality,
    Finding,
    MemberState,
    PartnerOrg,
    Resolution,
    ThematicArea,
    Visit,
)
from tracker.services import audit
from tracker.services.access import Actor, finding_visible, require_writer, unavailable_key, visit_visible
from tracker.services.bundle_format import (
    MAX_LINE_CHARS,
    SPECS,
    CountingReader,
    FileSpec,
    LineTooLong,
    Source,
    read_rows,
    unescape_cell,
)
from tracker.services.quick_rows import REFUSALS, quick_reader

BATCH_SIZE = 5000
# Keys users type: one that differs from another only in letter case is refused.
_CASE_KEYED = ("visit", "finding", "meeting")
MAX_LISTED_ERRORS = 10_000
MAX_LISTED_CHANGES = 10_000
_RANK = {level: level.rank for level in Confidentiality}
# What the checks made once a file is read need of a row, so that a large file's pending rows stay small.
_LATE_FIELDS = {
    "thematic_area": ("parent",),
    "visit": ("baseline_visit_id", "state", "start_date"),
    "finding": ("continues", "visit_id"),
}

Progress = Callable[[float, str], None]


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
    rows: "_RowNumbers | None" = field(default=None, repr=False, compare=False)
    # (file, key) of every stored row the import changes, in file order.
    updated_keys: list[tuple[str, str]] = field(default_factory=list)
    # The audit event that records the rows the import created, once committed; None if it created none.
    event: int | None = None

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

    def summary_rows(self) -> list[dict]:
        return [{"file": name, **c.__dict__} for name, c in self.counts.items()]


class _RowNumbers:
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


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run or a failed import."""


@dataclass
class _VisitInfo:
    state: str
    start_date: dt.date
    confidentiality: str


@dataclass
class _Context:
    """What reference checks need: reference data, every visit, and the bundle's own keys."""

    states: set[str]
    partners: set[str]
    resolutions: set[int]
    areas: dict[str, str | None]
    visits: dict[str, _VisitInfo]
    # The importer's clearance: rows above it are not there for it, as on every read path.
    level: Confidentiality
    bundle_findings: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    db_findings: dict[str, tuple[str, str, str] | None] = field(default_factory=dict)
    # One shared (visit_id, kind, level) triple per visit, kind and level, so a million findings hold no copies.
    pairs: dict[tuple[str, str, str], tuple[str, str, str]] = field(default_factory=dict)
    # Rows updated in a way that rows referring to them must be checked again: {entity: {key: (file, line)}}.
    moved: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    # Hashes of the bundle's assessment and meeting keys, 8 bytes a row: enough to tell whether a
    # save made while the bundle was read touched one of its rows (a collision only costs a re-read).
    key_hashes: dict[str, array] = field(default_factory=dict)
    at: object = None
    # Set as reading begins (_read_and_write).
    event: "_ImportEvent" = None  # type: ignore[assignment]

    def finding(self, finding_id: str) -> tuple[str, str, str] | None:
        """(visit_id, kind, confidentiality) of a finding in the bundle or the database."""
        return self.bundle_findings.get(finding_id) or self.db_findings.get(finding_id)

    def remember_finding(self, finding_id: str, visit_id: str, kind: str, level: str) -> None:
        triple = (visit_id, kind, level)
        self.bundle_findings[finding_id] = self.pairs.setdefault(triple, triple)

    def prefetch_findings(self, connection: Connection, ids: set[str]) -> None:
        table = SPECS["findings.csv"].table
        wanted = [i for i in ids if i not in self.bundle_findings and i not in self.db_findings]
        for chunk in _chunks(wanted, BATCH_SIZE):
            found = connection.execute(
                select(table.c.finding_id, table.c.visit_id, table.c.kind, table.c.confidentiality)
                .join(Visit, col(Visit.visit_id) == table.c.visit_id)
                .where(table.c.finding_id.in_(chunk), finding_visible(self.level, include_withdrawn=True))
            ).all()
            for finding_id, visit_id, kind, level in found:
                self.db_findings[finding_id] = (visit_id, kind, level)
            for missing in set(chunk) - {f for f, _, _, _ in found}:
                self.db_findings[missing] = None


def import_bundle(
    engine: Engine,
    sources: list[Source],
    actor: Actor,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate and upsert the bundle; with any error, or a dry run, nothing is kept.

    On SQLite the bundle is read, checked and compared with the database without the write lock,
    the writes are kept aside, and the lock is taken only to apply them, so that saves and
    sign-ins wait seconds, not the whole import. On PostgreSQL imports take turns.
    """
    require_writer(actor)
    require_schema(engine)
    with _no_cycle_collection():
        if is_sqlite(engine):
            result = _import_in_two_phases(engine, sources, actor, dry_run, progress)
        else:
            result = ImportResult(dry_run=dry_run)
            try:
                with writing(engine) as connection:
                    _take_import_turn(connection, dry_run)
                    _defer_foreign_keys(connection)
                    context = _read_and_write(connection, sources, actor, result, progress, _Direct(connection))
                    _finish(connection, context, result)
            except _Rollback:
                pass
    if progress:
        progress(1.0, "done")
    return result


def _import_in_two_phases(engine, sources, actor, dry_run, progress) -> ImportResult:
    result = ImportResult(dry_run=dry_run)
    with tempfile.TemporaryFile() as spool_file:
        spool = _Spool(spool_file)
        with reading(engine) as connection, connection.begin():
            mark = _last_event(connection)
            context = _read_and_write(connection, sources, actor, result, progress, spool)
        if not result.ok:
            return result
        try:
            with writing(engine) as connection:
                _defer_foreign_keys(connection)
                if _plan_outdated(connection, mark, context):
                    # A save while the bundle was read touched what it holds or refers to: read it again, under the lock.
                    result = ImportResult(dry_run=dry_run)
                    context = _read_and_write(connection, sources, actor, result, progress, _Direct(connection))
                else:
                    spool.replay(connection, context.event)
                _finish(connection, context, result)
        except _Rollback:
            pass
    return result


def _read_and_write(connection, sources, actor, result, progress, sink) -> "_Context":
    total = sum(s.size for s in sources) or 1
    done = 0
    context = _load_context(connection, actor.clearance)
    context.at = audit.now()
    context.event = _ImportEvent(actor, context.at, sources)
    for source in sources:
        spec = SPECS[source.name]
        counts = result.counts.setdefault(source.name, FileCounts())
        reader = CountingReader(source.open())
        first_error = len(result.errors)
        try:
            _import_file(
                connection,
                spec,
                source,
                reader,
                context,
                result,
                counts,
                actor,
                context.at,
                lambda done=done, reader=reader, name=source.name: (
                    progress and progress(min(1.0, (done + reader.count) / total), name)
                ),
                sink,
            )
        finally:
            done += reader.count
            reader.close()
        if source.sheet is not None:
            # Rows read from a workbook are placed by sheet and cell rather than by file and line.
            result.errors[first_error:] = [
                dataclasses.replace(error, cell=source.sheet.place(error.line, error.column))
                for error in result.errors[first_error:]
            ]
    return context


def _finish(connection, context, result) -> None:
    """Re-check what depends on the updated rows (each update is audited as it is written) and complete
    the import's event with the rows it created, or undo it all."""
    if result.ok:
        for error in dependent_problems(connection, context):
            result.add_error(error)
    if not result.ok or result.dry_run:
        raise _Rollback
    result.event = context.event.complete(connection)


class _ImportEvent:
    """The one audit event of an import's created rows: written (without its content) before the first
    created row, which refers to it, and completed with every created row's values at the end."""

    def __init__(self, actor: Actor, at, sources: list[Source]):
        self.actor, self.at = actor, at
        self.key = ", ".join(dict.fromkeys(source.name for source in sources))
        self.rows = audit.CreatedRows()
        self.id: int | None = None

    def written(self, connection: Connection) -> int:
        if self.id is None:
            table = audit.audit_table
            self.id = connection.execute(
                insert(table)
                .values(
                    at=self.at,
                    username=self.actor.username,
                    action="import",
                    entity=audit.IMPORT_ENTITY,
                    key=self.key,
                    changes="{}",
                )
                .returning(table.c.id)
            ).scalar_one()
        return self.id

    def complete(self, connection: Connection) -> int | None:
        if self.id is None:
            return None
        table = audit.audit_table
        connection.execute(
            update(table)
            .where(table.c.id == self.id)
            .values(changes=audit.encode_changes(self.rows.summary()), content=self.rows.content())
        )
        return self.id


# A fixed key for pg_advisory_xact_lock: the one lock that imports on PostgreSQL take turns on.
_IMPORT_LOCK = 0x7472_6163_6B65_72


def _take_import_turn(connection: Connection, dry_run: bool) -> None:
    """Wait until no other import runs; a dry run writes nothing that another could collide with."""
    if not dry_run:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})


_DATA_ENTITIES = tuple(spec.entity for spec in SPECS.values())
# Rows no other row's check reads: a save of one matters to an import only if the bundle holds it.
_KEYS_HASHED = ("assessment", "meeting")


def _last_event(connection: Connection) -> int:
    table = audit.audit_table
    return connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()


def _plan_outdated(connection: Connection, mark: int, context: "_Context") -> bool:
    """Whether a write since `mark` may change what reading the bundle found. Every write leaves an
    audit event naming its row: a changed visit or area may move any check, a finding only when the
    bundle holds or refers to it, an assessment or meeting only when the bundle holds it. Saves of
    other rows (the dashboard's usual ones) leave the checks and the kept writes as they were."""
    table = audit.audit_table
    events = connection.execute(
        select(table.c.action, table.c.entity, table.c.key, table.c.content).where(
            table.c.id > mark, or_(table.c.entity.in_(_DATA_ENTITIES), table.c.action == "import")
        )
    )
    written = (
        audit.created_keys(content) if action == "import" else [(entity, key)]
        for action, entity, key, content in events
    )
    for entity, key in (row for rows in written for row in rows):
        if entity == "finding":
            touched = key in context.bundle_findings or key in context.db_findings
        elif entity in _KEYS_HASHED:
            touched = hash(key) in context.key_hashes.get(entity, ())
        else:
            # Visits and areas, and any entity not listed here, may move any check.
            touched = True
        if touched:
            return True
    return False


class _Direct:
    """Writes go straight to the database."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def execute(self, statement: str, rows: list[tuple]) -> None:
        self.connection.exec_driver_sql(statement, rows)

    def insert_created(self, statement: str, rows: list[tuple], event: _ImportEvent, copy: bool) -> None:
        """New rows, each given the id of the import's event as its last value."""
        event_id = event.written(self.connection)
        rows = [(*row, event_id) for row in rows]
        if copy:
            self.copy(statement, rows)
        else:
            self.execute(statement, rows)

    def copy(self, statement: str, rows: list[tuple]) -> None:
        """PostgreSQL's COPY, in half the time of row-by-row inserts; its errors are SQLAlchemy's as elsewhere."""
        dbapi = self.connection.dialect.loaded_dbapi
        try:
            driver = self.connection.connection.driver_connection
            assert isinstance(driver, dbapi.Connection)
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi.Error as error:
            raise DBAPIError.instance(statement, None, error, dbapi.Error) from error


class _Spool:
    """Writes kept aside in a temporary file, in order, to be applied under the write lock."""

    def __init__(self, file):
        self.file = file

    def execute(self, statement: str, rows: list[tuple]) -> None:
        pickle.dump((statement, rows, False), self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def insert_created(self, statement: str, rows: list[tuple], event: _ImportEvent, copy: bool) -> None:
        # The event is written only under the write lock, so its id is added to the rows then.
        assert not copy, "COPY is PostgreSQL's, whose imports write directly"
        pickle.dump((statement, rows, True), self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def copy(self, statement: str, rows: list[tuple]) -> None:
        raise AssertionError("COPY is PostgreSQL's, whose imports write directly")

    def replay(self, connection: Connection, event: _ImportEvent) -> None:
        self.file.seek(0)
        while True:
            try:
                statement, rows, created = pickle.load(self.file)
            except EOFError:
                return
            if created:
                # The event's id, a number, is written into the statement's last place rather
                # than added to every row.
                head, _, tail = statement.rpartition("?")
                statement = f"{head}{int(event.written(connection))}{tail}"
            connection.exec_driver_sql(statement, rows)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector, which would rescan the import's growing maps of keys over and
    over (a fifth of a large re-import's time) and find no cycles in them to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _defer_foreign_keys(connection: Connection) -> None:
    # Rows may point at rows later in the same file (a baseline, a continued finding); the
    # references are checked here first, and the database checks them again at commit.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    else:
        connection.execute(text("SET CONSTRAINTS ALL DEFERRED"))


def _load_context(connection: Connection, level: Confidentiality) -> _Context:
    visits = {
        row.visit_id: _VisitInfo(row.state, row.start_date, row.confidentiality)
        for row in connection.execute(
            select(col(Visit.visit_id), col(Visit.state), col(Visit.start_date), col(Visit.confidentiality)).where(
                visit_visible(level, include_withdrawn=True)
            )
        )
    }
    return _Context(
        states=set(connection.execute(select(col(MemberState.iso3))).scalars()),
        partners=set(connection.execute(select(col(PartnerOrg.code))).scalars()),
        resolutions=set(connection.execute(select(col(Resolution.number))).scalars()),
        areas=dict(connection.execute(select(col(ThematicArea.code), col(ThematicArea.parent))).all()),
        visits=visits,
        level=level,
    )


def _decoded(reader: CountingReader) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BufferedReader(reader, 1 << 16), encoding="utf-8-sig", newline="")


def _records(
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
        numbers = result.rows = _RowNumbers()
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


def _control_errors(spec: FileSpec, line: int, row: dict, result: ImportResult) -> None:
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


def _validated(spec: FileSpec, line: int, row: dict, result: ImportResult) -> dict | None:
    """The row's values with enumerations as their stored text, as the model reads them; None, and
    its errors noted, if invalid."""
    try:
        return _plain(spec.model.model_validate(row).model_dump(mode="python"))
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


def _import_file(connection, spec, source, reader, context, result, counts, actor, at, tick, sink) -> None:
    writer = _Writer(connection, spec, actor, at, counts, context, sink)
    seen: dict[str, int] = {}
    folded: dict[str, tuple[str, int]] = {}
    pending: list[tuple[int, dict]] = []
    batch: list[tuple[int, dict, list[str], str]] = []
    sheet_rows = None
    if source.sheet is not None:
        sheet_rows = source.sheet.read(
            connection,
            context.level,
            lambda line, column, message: result.add_error(RowError(spec.name, line, column, message)),
        )
    # Asked once a file rather than once a row.
    levelled = "confidentiality" in spec.columns
    default_level = min(DEFAULT_CONFIDENTIALITY, actor.clearance, key=lambda level: level.rank).value
    case_keyed = spec.entity in _CASE_KEYED
    hashes = context.key_hashes.setdefault(spec.entity, array("q")) if spec.entity in _KEYS_HASHED else None
    single_key = spec.key[0] if len(spec.key) == 1 else None
    remembers = spec.entity in _REMEMBERED
    quick, level_at, header = None, None, None
    for line, cells, columns in _records(spec, source, reader, result, sheet_rows):
        if header is None:
            header = columns
            quick = quick_reader(spec.entity, columns)
            level_at = columns.index("confidentiality") if "confidentiality" in columns else None
        # Well-formed rows are read quickly; the model reads every other row and words its errors.
        try:
            values = quick(cells) if quick is not None else None
        except REFUSALS:
            values = None
        if values is None:
            values = _validated(spec, line, dict(zip(columns, cells)), result)
            if values is None:
                continue
        if levelled and (level_at is None or not (cells[level_at] or "").strip()):
            # No level given: a stored row keeps its own, a new one takes the lower of the default
            # and the importer's clearance (an assessment its finding's, once that is known).
            values["confidentiality"] = default_level
            columns = [c for c in columns if c != "confidentiality"]
        # A single key is kept as the row's own string, so the keys of a large file are stored once.
        key = values[single_key] if single_key else spec.key_text(values)
        if key in seen:
            result.add_error(
                RowError(
                    spec.name,
                    line,
                    spec.key[0],
                    f"{key} appears again (first on line {seen[key]}); keep one row per key",
                    key=key,
                )
            )
            continue
        seen[key] = line
        if case_keyed:
            first = folded.setdefault(key.lower(), (key, line))
            if first[0] != key:
                result.add_error(
                    RowError(
                        spec.name,
                        line,
                        spec.key[0],
                        f"{key} differs from {first[0]} (line {first[1]}) only in letter case; write each key one way",
                    )
                )
                continue
        if hashes is not None:
            hashes.append(hash(key))
        if remembers:
            _remember(spec, values, context)
        batch.append((line, values, columns, key))
        if len(batch) >= BATCH_SIZE:
            _check_and_write(connection, spec, batch, context, result, writer, pending)
            batch = []
            tick()
    _check_and_write(connection, spec, batch, context, result, writer, pending)
    _check_pending(connection, spec, pending, context, result)
    tick()


_REMEMBERED = ("visit", "finding", "thematic_area")


def _remember(spec: FileSpec, values: dict, context: _Context) -> None:
    """Make the row's key known to later rows and files before its references are checked."""
    if spec.entity == "visit":
        context.visits[values["visit_id"]] = _VisitInfo(
            values["state"], values["start_date"], values["confidentiality"]
        )
    elif spec.entity == "finding":
        context.remember_finding(values["finding_id"], values["visit_id"], values["kind"], values["confidentiality"])
    elif spec.entity == "thematic_area":
        context.areas[values["code"]] = values["parent"]


def _check_and_write(connection, spec, batch, context, result, writer, pending) -> None:
    if not batch:
        return
    if spec.entity in ("finding", "assessment", "link_decision"):
        refs = {v.get("continues") for _, v, _, _ in batch} | {v.get("baseline_id") for _, v, _, _ in batch}
        if spec.entity != "finding":
            refs |= {v["finding_id"] for _, v, _, _ in batch}
        context.prefetch_findings(connection, {r for r in refs if r})
    elif spec.entity == "ta_record":
        refs = {v["finding_id"] for _, v, _, _ in batch} | {v["addresses"] for _, v, _, _ in batch}
        context.prefetch_findings(connection, {r for r in refs if r})
    good = []
    for entry in batch:
        line, values = entry[0], entry[1]
        if spec.entity == "assessment" and "confidentiality" not in entry[2]:
            finding = context.finding(values["finding_id"])
            if finding is not None:
                values["confidentiality"] = finding[2]
        problems = _reference_problems(connection, spec, values, context, writer.actor, pending, line)
        for column, message in problems:
            result.add_error(RowError(spec.name, line, column, message, key=entry[3]))
        if not problems:
            good.append(entry)
    if result.ok:
        writer.upsert(good, result)


def _reference_problems(connection, spec, values, context, actor, pending, line) -> list[tuple[str, str]]:
    problems = []
    level = values.get("confidentiality")
    if level is not None and _RANK[level] > _RANK[actor.clearance]:
        problems.append(
            (
                "confidentiality",
                f"{level} is above your clearance ({actor.clearance.value}); ask a user cleared for it to import this row",
            )
        )
    match spec.entity:
        case "thematic_area":
            if values["parent"]:
                pending.append((line, {f: values[f] for f in _LATE_FIELDS[spec.entity]}))
        case "visit":
            if values["state"] not in context.states:
                problems.append(("state", f"{values['state']} is not a UN Member State ISO3 code; use e.g. KOR"))
            for partner in values["partners"]:
                if partner not in context.partners:
                    problems.append(
                        (
                            "partners",
                            f"{partner} is not a known partner organisation; use one of {', '.join(sorted(context.partners))}",
                        )
                    )
            problems += _resolution_problems(values, context)
            if values["baseline_visit_id"]:
                pending.append((line, {f: values[f] for f in _LATE_FIELDS[spec.entity]}))
        case "finding":
            visit = context.visits.get(values["visit_id"])
            if visit is None:
                problems.append(
                    (
                        "visit_id",
                        f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv",
                    )
                )
            if values["area"] not in context.areas:
                problems.append(
                    (
                        "area",
                        f"{values['area']} is not a thematic area; use a code from areas.csv such as LEG or BM.AVIATION",
                    )
                )
            problems += _resolution_problems(values, context)
            if values["continues"]:
                pending.append((line, {f: values[f] for f in _LATE_FIELDS[spec.entity]}))
        case "assessment":
            problems += _assessment_problems(connection, values, context)
        case "link_decision":
            problems += _decision_problems(values, context)
        case "meeting":
            if values["visit_id"] not in context.visits:
                problems.append(
                    (
                        "visit_id",
                        f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv",
                    )
                )
            if values["area"] and values["area"] not in context.areas:
                problems.append(
                    ("area", f"{values['area']} is not a thematic area; use a code from areas.csv such as LEG or ICT")
                )
        case "milestone":
            problems += _milestone_problems(values, context)
        case "ta_record":
            problems += _ta_problems(values, context)
    return problems


def _milestone_problems(values, context) -> list[tuple[str, str]]:
    visit = context.visits.get(values["visit_id"])
    if visit is None:
        return [
            (
                "visit_id",
                f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv",
            )
        ]
    if values["date"] < visit.start_date:
        return [
            (
                "date",
                f"{values['date'].isoformat()} is before visit {values['visit_id']} started; a milestone comes after the visit",
            )
        ]
    return []


def _ta_problems(values, context) -> list[tuple[str, str]]:
    problems = []
    for partner in values["providers"]:
        if partner not in context.partners:
            problems.append(
                (
                    "providers",
                    f"{partner} is not a known partner organisation; use one of {', '.join(sorted(context.partners))}",
                )
            )
    need = context.finding(values["finding_id"])
    if need is None:
        problems.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is neither in findings.csv nor in the database; add it to findings.csv",
            )
        )
    elif need[1] != "ta_need":
        problems.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is a {need[1]}; a TA record belongs to a ta_need finding",
            )
        )
    if values["addresses"]:
        answered = context.finding(values["addresses"])
        if answered is None:
            problems.append(
                (
                    "addresses",
                    f"finding {values['addresses']} is neither in findings.csv nor in the database; name an existing shortfall or recommendation",
                )
            )
        elif answered[1] not in TRACKABLE_KINDS:
            problems.append(
                (
                    "addresses",
                    f"finding {values['addresses']} is a {answered[1]}; name the shortfall or recommendation the TA need answers",
                )
            )
        elif need is not None:
            need_visit, answered_visit = context.visits.get(need[0]), context.visits.get(answered[0])
            if need_visit and answered_visit and need_visit.state != answered_visit.state:
                problems.append(
                    (
                        "addresses",
                        f"finding {values['addresses']} is of {answered_visit.state}, not {need_visit.state}; name a finding of the same State",
                    )
                )
    return problems


def _resolution_problems(values, context) -> list[tuple[str, str]]:
    if not values["resolutions"]:
        return []
    return [
        ("resolutions", f"resolution {number} is not in the reference list; add it or correct the number")
        for number in values["resolutions"]
        if number not in context.resolutions
    ]


def _assessment_problems(connection, values, context) -> list[tuple[str, str]]:
    problems = []
    visit = context.visits.get(values["visit_id"])
    if visit is None:
        problems.append(
            (
                "visit_id",
                f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv",
            )
        )
    finding = context.finding(values["finding_id"])
    if finding is None:
        problems.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is neither in findings.csv nor in the database; add it to findings.csv",
            )
        )
        return problems
    finding_visit_id, kind, _ = finding
    if kind not in TRACKABLE_KINDS:
        problems.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is a {kind}; only shortfalls and recommendations are assessed",
            )
        )
    finding_visit = context.visits.get(finding_visit_id)
    if visit and finding_visit:
        if visit.state != finding_visit.state:
            problems.append(
                (
                    "visit_id",
                    f"visit {values['visit_id']} is of {visit.state} but the finding is of {finding_visit.state}; assess at a visit of the same state",
                )
            )
        elif not visit.start_date > finding_visit.start_date:
            problems.append(
                (
                    "visit_id",
                    f"visit {values['visit_id']} does not come after the finding's visit {finding_visit_id}; assess at a later visit",
                )
            )
    return problems


def _decision_problems(values: dict, context: _Context) -> list[tuple[str, str]]:
    """A rejected pair names a finding and an earlier finding of the same state."""
    problems = []
    visits: dict[str, _VisitInfo | None] = {}
    for column in ("finding_id", "baseline_id"):
        finding = context.finding(values[column])
        if finding is None:
            problems.append(
                (
                    column,
                    f"finding {values[column]} is neither in findings.csv nor in the database; name an existing finding",
                )
            )
        else:
            visits[column] = context.visits.get(finding[0])
    later, earlier = visits.get("finding_id"), visits.get("baseline_id")
    if later and earlier:
        if later.state != earlier.state:
            problems.append(
                (
                    "baseline_id",
                    f"finding {values['baseline_id']} is of another state; a decision compares findings of the same state",
                )
            )
        elif not earlier.start_date < later.start_date:
            problems.append(
                (
                    "baseline_id",
                    f"finding {values['baseline_id']} is not from an earlier visit than {values['finding_id']}; "
                    "name the earlier finding as baseline_id",
                )
            )
    return problems


def _check_pending(connection, spec, pending, context, result) -> None:
    """References to rows that may come later in the same file, checked once the file is read."""
    if spec.entity == "finding":
        context.prefetch_findings(connection, {v["continues"] for _, v in pending})
    for line, values in pending:
        for column, message in _late_problems(connection, spec, values, context):
            result.add_error(RowError(spec.name, line, column, message))


def _late_problems(connection, spec, values, context) -> list[tuple[str, str]]:
    match spec.entity:
        case "thematic_area":
            parent = values["parent"]
            if parent not in context.areas:
                return [("parent", f"{parent} is not a thematic area; add it to areas.csv first")]
            if context.areas[parent] is not None:
                return [("parent", f"{parent} is itself a sub-area; a sub-area's parent must be a top-level area")]
        case "visit":
            baseline = context.visits.get(values["baseline_visit_id"])
            if baseline is None:
                return [
                    (
                        "baseline_visit_id",
                        f"visit {values['baseline_visit_id']} is neither in visits.csv nor in the database; add the baseline visit",
                    )
                ]
            if baseline.state != values["state"]:
                return [
                    (
                        "baseline_visit_id",
                        f"baseline {values['baseline_visit_id']} is a visit to {baseline.state}, not {values['state']}; name a visit to the same state",
                    )
                ]
            if not baseline.start_date < values["start_date"]:
                return [
                    (
                        "baseline_visit_id",
                        f"baseline {values['baseline_visit_id']} does not start before this visit; name an earlier visit",
                    )
                ]
        case "finding":
            earlier = context.finding(values["continues"])
            if earlier is None:
                return [
                    (
                        "continues",
                        f"finding {values['continues']} is neither in findings.csv nor in the database; name an existing finding",
                    )
                ]
            earlier_visit, this_visit = context.visits.get(earlier[0]), context.visits.get(values["visit_id"])
            if earlier_visit and this_visit:
                if earlier_visit.state != this_visit.state:
                    return [
                        (
                            "continues",
                            f"finding {values['continues']} is of another state; a finding continues one of the same state",
                        )
                    ]
                if not earlier_visit.start_date < this_visit.start_date:
                    return [
                        (
                            "continues",
                            f"finding {values['continues']} is not from an earlier visit; a finding continues an earlier one",
                        )
                    ]
    return []


# ---------------------------------------------------------------- rows that depend on updated rows


def dependent_problems(connection: Connection, context: _Context) -> list[RowError]:
    """Stored rows that refer to an updated row must still hold once it changed: a follow-up
    after its baseline, a continued finding earlier than the one continuing it, an assessed
    finding trackable and assessed later, a sub-area's parent top-level. Checked on the rows as
    written, within the import's transaction; each problem is told on the updated row's line."""
    visits, findings, areas = (context.moved.get(e, {}) for e in ("visit", "finding", "thematic_area"))
    problems: dict[tuple[str, int, str, str], None] = {}
    seen = context.level.visible_levels()

    def note(where: tuple[str, int], column: str, message: str) -> None:
        problems[(where[0], where[1], column, message)] = None

    def hidden_note(where: tuple[str, int], column: str) -> None:
        note(
            where,
            column,
            "a stored row you may not see depends on this value; keep it, or ask a colleague to change both",
        )

    follow, base = aliased(Visit), aliased(Visit)
    for condition in _touching(visits, col(follow.visit_id), col(base.visit_id)):
        for f_id, b_id, f_level in connection.execute(
            select(col(follow.visit_id), col(base.visit_id), col(follow.confidentiality))
            .join(base, col(base.visit_id) == col(follow.baseline_visit_id))
            .where(or_(col(follow.state) != col(base.state), col(follow.start_date) <= col(base.start_date)), condition)
        ):
            if b_id in visits:
                if f_level not in seen:
                    hidden_note(visits[b_id], "start_date")
                else:
                    note(
                        visits[b_id],
                        "start_date",
                        f"visit {f_id} follows up on this visit and would no longer be a later visit to the same state; keep its state and dates, or change {f_id} first",
                    )
            else:
                note(
                    visits[f_id],
                    "start_date",
                    f"its baseline {b_id} would no longer be an earlier visit to the same state; keep its state and dates",
                )

    later, earlier = aliased(Finding), aliased(Finding)
    later_visit, earlier_visit = aliased(Visit), aliased(Visit)
    conditions = list(_touching(findings, col(later.finding_id), col(earlier.finding_id))) + list(
        _touching(visits, col(later_visit.visit_id), col(earlier_visit.visit_id))
    )
    for condition in conditions:
        for l_id, e_id, l_visit, e_visit, l_level, lv_level in connection.execute(
            select(
                col(later.finding_id),
                col(earlier.finding_id),
                col(later.visit_id),
                col(earlier.visit_id),
                col(later.confidentiality),
                col(later_visit.confidentiality),
            )
            .join(earlier, col(earlier.finding_id) == col(later.continues))
            .join(later_visit, col(later_visit.visit_id) == col(later.visit_id))
            .join(earlier_visit, col(earlier_visit.visit_id) == col(earlier.visit_id))
            .where(
                or_(
                    col(later_visit.state) != col(earlier_visit.state),
                    col(later_visit.start_date) <= col(earlier_visit.start_date),
                ),
                condition,
            )
        ):
            where, column = (
                (findings[e_id], "visit_id")
                if e_id in findings
                else (findings[l_id], "visit_id")
                if l_id in findings
                else (visits.get(e_visit) or visits[l_visit], "start_date")
            )
            if l_level not in seen or lv_level not in seen:
                hidden_note(where, column)
            else:
                note(
                    where,
                    column,
                    f"finding {l_id} continues {e_id}, which would no longer be from an earlier visit to the same state; keep the visits in order, or change {l_id} first",
                )

    assessed, assessed_visit = aliased(Finding), aliased(Visit)
    assessing = aliased(Visit)
    table = SPECS["assessments.csv"].table
    conditions = list(_touching(findings, col(assessed.finding_id))) + list(
        _touching(visits, col(assessed_visit.visit_id), col(assessing.visit_id))
    )
    for condition in conditions:
        for f_id, v_id, f_visit, kind, a_level, av_level in connection.execute(
            select(
                col(assessed.finding_id),
                col(assessing.visit_id),
                col(assessed.visit_id),
                col(assessed.kind),
                table.c.confidentiality,
                col(assessing.confidentiality),
            )
            .select_from(table)
            .join(assessed, col(assessed.finding_id) == table.c.finding_id)
            .join(assessed_visit, col(assessed_visit.visit_id) == col(assessed.visit_id))
            .join(assessing, col(assessing.visit_id) == table.c.visit_id)
            .where(
                or_(
                    col(assessed.kind).notin_(list(TRACKABLE_KINDS)),
                    col(assessing.state) != col(assessed_visit.state),
                    col(assessing.start_date) <= col(assessed_visit.start_date),
                ),
                condition,
            )
        ):
            where = findings.get(f_id) or visits.get(f_visit) or visits[v_id]
            column = "start_date" if f_id not in findings else ("kind" if kind not in TRACKABLE_KINDS else "visit_id")
            if a_level not in seen or av_level not in seen:
                hidden_note(where, column)
            elif kind not in TRACKABLE_KINDS:
                note(
                    where,
                    column,
                    f"finding {f_id} is assessed at {v_id}, and only shortfalls and recommendations are assessed; keep its kind",
                )
            else:
                note(
                    where,
                    column,
                    f"finding {f_id} is assessed at {v_id}, which would no longer be a later visit to the same state; keep the visits in order",
                )

    child, parent = aliased(ThematicArea), aliased(ThematicArea)
    for condition in _touching(areas, col(parent.code)):
        for child_code, parent_code in connection.execute(
            select(col(child.code), col(parent.code))
            .join(parent, col(parent.code) == col(child.parent))
            .where(col(parent.parent).is_not(None), condition)
        ):
            note(
                areas[parent_code],
                "parent",
                f"{child_code} is a sub-area of {parent_code}, which cannot become a sub-area itself; give {child_code} another parent first",
            )
    return [RowError(*problem) for problem in problems]


def _touching(moved: dict, *columns) -> Iterator[ColumnElement[bool]]:
    """Conditions, a batch of keys at a time, for rows whose columns name a moved row."""
    for chunk in _chunks(list(moved), BATCH_SIZE):
        yield or_(*(column.in_(chunk) for column in columns))


# ---------------------------------------------------------------- writing


def _plain(values: dict) -> dict:
    """Enum members as their stored text, so rows compare equal to what the database returns."""
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


def _converter(
    connection: Connection, table: Table, columns: tuple[str, ...], *, reading: bool = False
) -> Callable[[tuple], tuple] | None:
    """What the columns' SQLAlchemy types do to values on their way to (or from) the driver; None if nothing."""
    dialect = connection.dialect
    steps = []
    for index, column in enumerate(columns):
        impl = table.c[column].type.dialect_impl(dialect)
        step = impl.result_processor(dialect, None) if reading else impl.bind_processor(dialect)
        if step is not None:
            steps.append((index, step))
    if not steps:
        return None

    def convert(row: tuple) -> tuple:
        values = list(row)
        for index, step in steps:
            values[index] = step(values[index])
        return tuple(values)

    return convert


_AUDIT_COLUMNS = ("at", "username", "action", "entity", "key", "changes")
# The reference column an export leaves blank when it points at a hidden row.
_LINK_COLUMN = {"visit": "baseline_visit_id", "finding": "continues", "ta_record": "addresses"}
# Fields other stored rows depend on: changing one re-checks the rows that refer to the row.
_DEPENDED_ON = {"thematic_area": ("parent",), "visit": ("state", "start_date"), "finding": ("kind", "visit_id")}
_audit_tuple = itemgetter(*_AUDIT_COLUMNS)


class _Writer:
    """Upserts one file's rows by key, one executemany (a COPY on PostgreSQL) per table and batch.

    The SQL goes straight to the driver and values are converted by the columns' own types: per
    row, SQLAlchemy's statement handling costs more than the database's work.
    """

    def __init__(
        self, connection: Connection, spec: FileSpec, actor: Actor, at, counts: FileCounts, context: _Context, sink
    ):
        self.connection, self.spec, self.actor, self.counts = connection, spec, actor, counts
        self.context, self.visits, self.sink = context, context.visits, sink
        self.quote = connection.dialect.identifier_preparer.quote
        self.mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        self.copies = connection.dialect.driver == "psycopg"
        stored = spec.stored
        self.stored_tuple = itemgetter(*stored)
        key_at = [stored.index(k) for k in spec.key]
        self.stored_key = lambda row: tuple(row[i] for i in key_at)
        self.key_of = (
            (lambda values: (values[spec.key[0]],))
            if len(spec.key) == 1
            else (lambda values: tuple(values[k] for k in spec.key))
        )
        self.level_at = stored.index("confidentiality") if "confidentiality" in stored else None
        # A stored row in a visit the importer may not see is as hidden as one above its level.
        self.visit_at = stored.index("visit_id") if "visit_id" in stored and spec.entity != "visit" else None
        self.to_driver = _converter(connection, spec.table, stored)
        self.from_driver = _converter(connection, spec.table, stored, reading=True)
        self.updated_columns = tuple(c for c in stored if c not in spec.key) + spec.key
        self.updated_tuple = itemgetter(*self.updated_columns)
        self.update_to_driver = _converter(connection, spec.table, self.updated_columns)
        at_to_driver = _converter(connection, audit.audit_table, ("at",))
        self.at = at_to_driver((at,))[0] if at_to_driver else at
        # Into a table empty when the import began, every row is new: the bundle's keys are unique.
        self.was_empty = (
            connection.exec_driver_sql(f"SELECT 1 FROM {self.quote(spec.table.name)} LIMIT 1").first() is None
        )

    def _marks(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def _names(self, columns) -> str:
        return ", ".join(self.quote(c) for c in columns)

    def _insert(self, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.copies:
            self.sink.copy(f"COPY {self.quote(table.name)} ({self._names(columns)}) FROM STDIN", rows)
        else:
            self.sink.execute(
                f"INSERT INTO {self.quote(table.name)} ({self._names(columns)}) VALUES ({self._marks(len(columns))})",
                rows,
            )

    def _existing(self, keys: list[tuple]) -> dict[tuple, tuple[tuple, dict[str, list]]]:
        """The stored rows for these keys as the driver returns them, with their list columns."""
        spec, table = self.spec, self.spec.table
        owners = tuple(dict.fromkeys(k[0] for k in keys))
        found = self.connection.exec_driver_sql(
            f"SELECT {self._names(spec.stored)} FROM {self.quote(table.name)} "
            f"WHERE {self.quote(spec.key[0])} IN ({self._marks(len(owners))})",
            owners,
        )
        rows: dict[tuple, tuple[tuple, dict[str, list]]] = {
            self.stored_key(row): (tuple(row), {column: [] for column in spec.links}) for row in found
        }
        for column, link in spec.links.items():
            if rows:
                linked = tuple(key[0] for key in rows)
                for owner, value in self.connection.exec_driver_sql(
                    f"SELECT {self._names((link.owner, link.value))} FROM {self.quote(link.table.name)} "
                    f"WHERE {self.quote(link.owner)} IN ({self._marks(len(linked))}) "
                    f"ORDER BY {self._names((link.owner, link.value))}",
                    linked,
                ):
                    rows[(owner,)][1][column].append(value)
        return rows

    def _model_row(self, stored: tuple, links: dict[str, list]) -> dict:
        """A stored row in the shape the model dumps, to compare with the file's row and to audit."""
        return dict(zip(self.spec.stored, self.from_driver(stored) if self.from_driver else stored)) | links

    def _event(self, action: str, key: str, changes: dict) -> tuple:
        return _audit_tuple(audit.event_row(self.actor, action, self.spec.entity, key, changes, self.at))

    def upsert(self, batch: list[tuple[int, dict, list[str], str]], result: ImportResult) -> None:
        if not batch:
            return
        spec = self.spec
        existing = {} if self.was_empty else self._existing([self.key_of(values) for _, values, _, _ in batch])
        created, changed, events = [], [], []
        changes: list[tuple[str, str, object, object]] = []
        stored_tuple, to_driver = self.stored_tuple, self.to_driver
        for line, values, columns, key_text in batch:
            row = to_driver(stored_tuple(values)) if to_driver else stored_tuple(values)
            found = existing.get(self.key_of(values)) if existing else None
            if found is None:
                created.append((row, values, key_text))
                changes.append((key_text, "*", None, None))
                continue
            stored, links = found
            if (self.level_at is not None and _RANK[stored[self.level_at]] > _RANK[self.actor.clearance]) or (
                self.visit_at is not None and stored[self.visit_at] not in self.visits
            ):
                result.add_error(RowError(spec.name, line, spec.key[0], unavailable_key(key_text), key=key_text))
                continue
            complete = len(columns) == len(spec.columns)
            # The common case of a re-import: the row as the driver would store it is the row stored.
            if complete and row == stored and all(values[c] == links[c] for c in links):
                self.counts.unchanged += 1
                continue
            old = self._model_row(stored, links)
            # Columns the file leaves out keep their stored values.
            new = values if complete else {c: (values[c] if c in columns else old[c]) for c in spec.columns}
            new = self._hidden_links_kept(old, new)
            if new == old:
                self.counts.unchanged += 1
                continue
            self._note_moved(old, new, key_text, line)
            changed.append(new)
            result.updated_keys.append((spec.name, key_text))
            fields = audit.diff(old, new)
            events.append(self._event("update", key_text, fields))
            changes.extend((key_text, f, was, now) for f, (was, now) in fields.items())
        if created and not self.was_empty and spec.entity in _CASE_KEYED:
            lines = {values[spec.key[0]]: line for line, values, _, _ in batch}
            created = self._without_case_collisions(created, result, lines)
        if not result.ok:
            return
        result.add_changes(spec.name, changes)
        self._write(created, changed)
        self._insert(audit.audit_table, _AUDIT_COLUMNS, events)
        # Created rows are audited together, in the import's one event.
        self.context.event.rows.add(
            spec.name, spec.entity, spec.columns, [(key_text, values) for _, values, key_text in created]
        )
        self.counts.created += len(created)
        self.counts.updated += len(changed)

    def _hidden_links_kept(self, old: dict, new: dict) -> dict:
        """A blank reference to a row the importer may not see keeps its stored value: the
        importer's own export left it blank because it was hidden, not because it is gone."""
        column = _LINK_COLUMN.get(self.spec.entity)
        if column is None or new[column] is not None or old[column] is None:
            return new
        hidden = old[column] not in self.visits if column == "baseline_visit_id" else self._finding_hidden(old[column])
        return new | {column: old[column]} if hidden else new

    def _finding_hidden(self, finding_id: str) -> bool:
        self.context.prefetch_findings(self.connection, {finding_id})
        return self.context.finding(finding_id) is None

    def _note_moved(self, old: dict, new: dict, key_text: str, line: int) -> None:
        if any(old[c] != new[c] for c in _DEPENDED_ON.get(self.spec.entity, ())):
            self.context.moved.setdefault(self.spec.entity, {})[key_text] = (self.spec.name, line)

    def _without_case_collisions(
        self, created: list[tuple[tuple, dict, str]], result: ImportResult, lines: dict[str, int]
    ) -> list[tuple[tuple, dict, str]]:
        """New keys that differ from a stored key only in letter case are refused, hidden or not."""
        key = self.spec.key[0]
        folded = tuple({values[key].lower() for _, values, _ in created})
        stored = {
            found.lower()
            for (found,) in self.connection.exec_driver_sql(
                f"SELECT {self.quote(key)} FROM {self.quote(self.spec.table.name)} "
                f"WHERE lower({self.quote(key)}) IN ({self._marks(len(folded))})",
                folded,
            )
        }
        if not stored:
            return created
        kept = []
        for entry in created:
            values = entry[1]
            if values[key].lower() in stored:
                result.add_error(
                    RowError(
                        self.spec.name,
                        lines[values[key]],
                        key,
                        f"{values[key]} differs from a stored key only in letter case; "
                        "write the key as it is stored, or choose another",
                    )
                )
            else:
                kept.append(entry)
        return kept

    def _write(self, created: list[tuple[tuple, dict, str]], changed: list[dict]) -> None:
        spec, table = self.spec, self.spec.table
        if created:
            columns = (*spec.stored, "created_in")
            if self.copies:
                statement = f"COPY {self.quote(table.name)} ({self._names(columns)}) FROM STDIN"
            else:
                statement = f"INSERT INTO {self.quote(table.name)} ({self._names(columns)}) VALUES ({self._marks(len(columns))})"
            self.sink.insert_created(statement, [row for row, _, _ in created], self.context.event, self.copies)
        if changed:
            assignments = ", ".join(f"{self.quote(c)} = {self.mark}" for c in self.updated_columns[: -len(spec.key)])
            where = " AND ".join(f"{self.quote(k)} = {self.mark}" for k in spec.key)
            rows = [self.updated_tuple(values) for values in changed]
            self.sink.execute(
                f"UPDATE {self.quote(table.name)} SET {assignments} WHERE {where}",
                [self.update_to_driver(r) for r in rows] if self.update_to_driver else rows,
            )
        for column, link in spec.links.items():
            if changed:
                owners = tuple(values[link.owner] for values in changed)
                self.sink.execute(
                    f"DELETE FROM {self.quote(link.table.name)} WHERE {self.quote(link.owner)} IN ({self._marks(len(owners))})",
                    [owners],
                )
            written = [values for _, values, _ in created] + changed
            self._insert(link.table, (link.owner, link.value), [(r[link.owner], v) for r in written for v in r[column]])


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


def _shown(value) -> str:
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


def result_as_dict(result: ImportResult) -> dict:
    """DESIGN §4's review object: counts per file (none with errors), every change, every error."""
    return {
        "files": {n: (c.__dict__ if result.ok else None) for n, c in result.counts.items()},
        "changes": [dataclasses.asdict(c) for c in result.changes],
        "errors": [
            {"file": e.file, "line": e.line, "row": e.row, "key": e.key, "column": e.column, "message": e.message}
            for e in result.errors
        ],
    }
