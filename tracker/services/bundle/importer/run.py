"""The run of an import: read every source, check and write each batch, re-check what depends on the
updated rows, then commit or undo it all. On SQLite the writes wait in a spool until the write lock."""

import dataclasses
import gc
import pickle
import tempfile
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, text
from sqlalchemy.exc import DBAPIError

from tracker.config import get_settings
from tracker.db import is_sqlite, reading, refresh_statistics, require_schema, writing
from tracker.models import DEFAULT_CONFIDENTIALITY
from tracker.services.bundle.files import SPECS, CountingReader, FileSpec, Source, rows_source
from tracker.services.bundle.importer.dependents import dependent_problems
from tracker.services.bundle.importer.reading import records, validated
from tracker.services.bundle.importer.result import FileCounts, ImportResult, RowError
from tracker.services.bundle.importer.rules import REMEMBERED, check_pending, reference_problems, remember
from tracker.services.bundle.importer.state import (
    BATCH_SIZE,
    CASE_KEYED,
    Context,
    ImportEvent,
    ImportRun,
    Progress,
    Sink,
    load_context,
)
from tracker.services.bundle.importer.writer import Writer
from tracker.services.bundle.quick_rows import REFUSALS, quick_reader
from tracker.services.bundle.review_guard import Moved, unreviewed, with_authors
from tracker.services.people import audit
from tracker.services.people.access import Actor, require_writer
from tracker.services.progress import kept_index


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run or a failed import."""


@dataclass(frozen=True)
class _Request:
    """What was asked of the import, the same for each pass over the sources."""

    sources: list[Source]
    actor: Actor
    dry_run: bool
    progress: Progress | None
    # {file: {key: the stored values the save was reviewed against, or None for a row not stored}}
    expected: dict[str, dict[str, dict[str, Any] | None]]
    reviewed: ImportResult | None


def import_bundle(
    engine: Engine,
    sources: list[Source],
    actor: Actor,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    expected: dict[tuple[str, str], dict[str, Any] | None] | None = None,
    reviewed: ImportResult | None = None,
) -> ImportResult:
    """Validate and upsert the bundle; with any error, or a dry run, nothing is kept.

    On SQLite the bundle is read, checked and compared with the database without the write lock,
    the writes are kept aside, and the lock is taken only to apply them, so that saves and
    sign-ins wait seconds, not the whole import. On PostgreSQL imports take turns.

    `expected`, by (file, key): the stored values the save was reviewed against (None: the row was
    not stored); `reviewed`: the dry run whose listed changes the import must make exactly. When
    the stored rows moved since, nothing is written and `moved` says which fields, by whom, when.
    """
    require_writer(actor)
    require_schema(engine)
    by_file: dict[str, dict[str, dict[str, Any] | None]] = {}
    for (file, key), values in (expected or {}).items():
        by_file.setdefault(file, {})[key] = values
    request = _Request(sources, actor, dry_run, progress, by_file, reviewed)
    with _no_cycle_collection():
        if is_sqlite(engine):
            result = _import_in_two_phases(engine, request)
        else:
            result = ImportResult(dry_run=dry_run)
            try:
                with writing(engine) as connection:
                    _take_import_turn(connection, dry_run)
                    _defer_foreign_keys(connection)
                    run = _read_and_write(connection, request, _Direct(connection))
                    result = run.result
                    _finish(run)
            except _Rollback:
                pass
    if result.committed and _rows_written(result) >= get_settings().analyze_after_rows:
        refresh_statistics(engine)
    if progress:
        progress(1.0, "done")
    return result


def import_rows(
    engine: Engine,
    files: dict[str, list[dict[str, Any]]],
    actor: Actor,
    *,
    origin: str = "form",
    dry_run: bool = False,
    expected: dict[tuple[str, str], dict[str, Any] | None] | None = None,
) -> ImportResult:
    """Rows of bundle files, as a form or a decision holds them ({file: [{column: value}]}), imported
    as a bundle: the same checks, upsert and audit trail, in one transaction. The rows are numbered
    from line 2, as under a header."""
    sources = [rows_source(file_name, rows, f"{file_name} ({origin})") for file_name, rows in files.items()]
    return import_bundle(engine, sources, actor, dry_run=dry_run, expected=expected)


def _rows_written(result: ImportResult) -> int:
    return sum(counts.created + counts.updated for counts in result.counts.values())


def _import_in_two_phases(engine: Engine, request: _Request) -> ImportResult:
    with tempfile.TemporaryFile() as spool_file:
        spool = _Spool(spool_file)
        with reading(engine) as connection, connection.begin():
            mark = _last_event(connection)
            run = _read_and_write(connection, request, spool)
        if not run.result.ok:
            return run.result
        try:
            with writing(engine) as connection, kept_index.many_writes(connection, _rows_written(run.result)):
                _defer_foreign_keys(connection)
                if _plan_outdated(connection, mark, run.context):
                    # A save while the bundle was read touched what it holds or refers to: read it again, under the lock.
                    run = _read_and_write(connection, request, _Direct(connection))
                else:
                    run = dataclasses.replace(run, connection=connection)
                    spool.replay(connection, run.context.event)
                _finish(run)
        except _Rollback:
            pass
    return run.result


def _read_and_write(connection: Connection, request: _Request, sink: Sink) -> ImportRun:
    """One pass over the sources: each read, checked and written (or spooled) batch by batch."""
    context = load_context(connection, request.actor.clearance)
    context.expected, context.reviewed, context.dry_run = request.expected, request.reviewed, request.dry_run
    if context.expected or context.reviewed:
        # Who moved a row is read from the events before this import's own.
        context.mark = _last_event(connection)
    context.at = audit.now()
    context.event = ImportEvent(request.actor, context.at, request.sources)
    run = ImportRun(connection, request.actor, sink, context, ImportResult(dry_run=request.dry_run), request.progress)
    total = sum(s.size for s in request.sources) or 1
    done = 0
    for source in request.sources:
        reader = CountingReader(source.open())
        first_error = len(run.result.errors)

        def tick(done: int = done, reader: CountingReader = reader, name: str = source.name) -> None:
            if run.progress:
                run.progress(min(1.0, (done + reader.count) / total), name)

        try:
            _import_file(run, source, reader, tick)
        finally:
            done += reader.count
            reader.close()
        if source.sheet is not None:
            # Rows read from a workbook are placed by sheet and cell rather than by file and line.
            run.result.errors[first_error:] = [
                dataclasses.replace(error, cell=source.sheet.place(error.line, error.column))
                for error in run.result.errors[first_error:]
            ]
    return run


def _finish(run: ImportRun) -> None:
    """Re-check what depends on the updated rows (each update is audited as it is written) and complete
    the import's event with the rows it created, or undo it all."""
    connection, context, result = run.connection, run.context, run.result
    if result.ok:
        for error in dependent_problems(connection, context):
            result.add_error(error)
    if result.ok and context.reviewed is not None:
        _hold_to_review(connection, context.reviewed, result, context.mark)
    if not result.ok or result.dry_run:
        raise _Rollback
    result.event = context.event.complete(connection)


def _hold_to_review(connection: Connection, reviewed: ImportResult, result: ImportResult, mark: int | None) -> None:
    """Refuse an import whose changes are no longer those its check listed: the data moved since."""
    if reviewed.changes == result.changes and reviewed.change_count == result.change_count:
        return
    moved = with_authors(connection, unreviewed(reviewed.changes, result.changes), mark)
    if not moved:
        # The listed changes agree, but not the ones past the listing.
        moved = [Moved("", "", "", reviewed.change_count, result.change_count)]
    result.note_moved(moved)


# A fixed key for pg_advisory_xact_lock: the one lock that imports on PostgreSQL take turns on.
_IMPORT_LOCK = 0x7472_6163_6B65_72


def _take_import_turn(connection: Connection, dry_run: bool) -> None:
    """Wait until no other import runs; a dry run writes nothing that another could collide with."""
    if not dry_run:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})


_DATA_ENTITIES = tuple(spec.entity for spec in SPECS.values())
# Rows no other row's check reads: a save of one matters to an import only if the bundle holds it.
KEYS_HASHED = ("assessment", "meeting")


def _last_event(connection: Connection) -> int:
    table = audit.audit_table
    last: int = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return last


def _plan_outdated(connection: Connection, mark: int, context: "Context") -> bool:
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
        elif entity in KEYS_HASHED:
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

    def execute(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        self.connection.exec_driver_sql(statement, rows)

    def insert_created(self, statement: str, rows: list[tuple[Any, ...]], event: ImportEvent, copy: bool) -> None:
        """New rows, each given the id of the import's event as its last value."""
        event_id = event.written(self.connection)
        rows = [(*row, event_id) for row in rows]
        if copy:
            self.copy(statement, rows)
        else:
            self.execute(statement, rows)

    def copy(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
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

    def __init__(self, file: Any):
        self.file = file

    def execute(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        pickle.dump((statement, rows, False), self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def insert_created(self, statement: str, rows: list[tuple[Any, ...]], event: ImportEvent, copy: bool) -> None:
        # The event is written only under the write lock, so its id is added to the rows then.
        assert not copy, "COPY is PostgreSQL's, whose imports write directly"
        pickle.dump((statement, rows, True), self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def copy(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        raise AssertionError("COPY is PostgreSQL's, whose imports write directly")

    def replay(self, connection: Connection, event: ImportEvent) -> None:
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


class _Keys:
    """The keys of a file met so far, and the line of each: the lines in an array, a key's place in it
    worked out only once a key comes again, so a million keys hold no number object each."""

    def __init__(self) -> None:
        self.keys: dict[str, None] = {}
        self.lines = array("q")
        self.places: dict[str, int] | None = None

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def add(self, key: str, line: int) -> None:
        if self.places is not None:
            self.places[key] = len(self.lines)
        self.keys[key] = None
        self.lines.append(line)

    def line(self, key: str) -> int:
        if self.places is None:
            self.places = {known: place for place, known in enumerate(self.keys)}
        return self.lines[self.places[key]]


def _import_file(run: ImportRun, source: Source, reader: CountingReader, tick: Callable[[], object]) -> None:
    """Read one source row by row, and check and write it a batch at a time."""
    spec = SPECS[source.name]
    connection, context, result, actor = run.connection, run.context, run.result, run.actor
    writer = Writer(run, spec, result.counts.setdefault(source.name, FileCounts()))
    seen = _Keys()
    # Each key in capitals, to the first key written that way (held by `seen` already): for a key
    # written in capitals that is the key itself, so a file of such keys holds no second string.
    # Keys are ASCII (KEY_PATTERN), so capitals tell the same keys apart as lower case would.
    folded: dict[str, str] = {}
    pending: list[tuple[int, dict[str, Any]]] = []
    batch: list[tuple[int, dict[str, Any], list[str], str]] = []
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
    case_keyed = spec.entity in CASE_KEYED
    hashes = context.key_hashes.setdefault(spec.entity, array("q")) if spec.entity in KEYS_HASHED else None
    single_key = spec.key[0] if len(spec.key) == 1 else None
    remembers = spec.entity in REMEMBERED
    quick, level_at, header = None, None, None
    for line, cells, columns in records(spec, source, reader, result, sheet_rows):
        if header is None:
            header = columns
            quick = quick_reader(spec, columns)
            level_at = columns.index("confidentiality") if "confidentiality" in columns else None
        # Well-formed rows are read quickly; the model reads every other row and words its errors.
        try:
            values = quick(cells) if quick is not None else None
        except REFUSALS:
            values = None
        if values is None:
            values = validated(spec, line, dict(zip(columns, cells)), result)
            if values is None:
                continue
        if levelled and (level_at is None or not (cells[level_at] or "").strip()):
            # No level given: a stored row keeps its own, a new one takes the lower of the default
            # and the importer's clearance (an assessment its finding's, once that is known).
            values["confidentiality"] = default_level
            columns = [c for c in columns if c != "confidentiality"]
        # A single key is kept as the row's own string, so the keys of a large file are stored once.
        key = values[single_key] if single_key else spec.key_text(values)
        if key.__class__ is not str:  # a resolution's number
            key = str(key)
        if key in seen:
            result.add_error(
                RowError(
                    spec.name,
                    line,
                    spec.key[0],
                    f"{key} appears again (first on line {seen.line(key)}); keep one row per key",
                    key=key,
                )
            )
            continue
        seen.add(key, line)
        if case_keyed:
            capitals = key.upper()
            first = folded.setdefault(key if capitals == key else capitals, key)
            if first is not key:
                result.add_error(
                    RowError(
                        spec.name,
                        line,
                        spec.key[0],
                        f"{key} differs from {first} (line {seen.line(first)}) only in letter case; write each key one way",
                    )
                )
                continue
        if hashes is not None:
            hashes.append(hash(key))
        if remembers:
            remember(spec, values, context)
        batch.append((line, values, columns, key))
        if len(batch) >= BATCH_SIZE:
            _check_and_write(run, spec, batch, writer, pending)
            batch = []
            tick()
    _check_and_write(run, spec, batch, writer, pending)
    check_pending(run, spec, pending)
    tick()


def _check_and_write(
    run: ImportRun,
    spec: FileSpec,
    batch: list[tuple[int, dict[str, Any], list[str], str]],
    writer: Writer,
    pending: list[tuple[int, dict[str, Any]]],
) -> None:
    """Check a batch's references (rows named later in the file wait in `pending`) and write the good rows."""
    if not batch:
        return
    connection, context, result = run.connection, run.context, run.result
    if spec.entity in ("finding", "assessment", "link_decision"):
        refs = {v.get("continues") for _, v, _, _ in batch} | {v.get("baseline_id") for _, v, _, _ in batch}
        if spec.entity != "finding":
            refs |= {v["finding_id"] for _, v, _, _ in batch}
        context.prefetch_findings(connection, {r for r in refs if r})
    elif spec.entity == "ta_record":
        refs = {v["finding_id"] for _, v, _, _ in batch} | {v["addresses"] for _, v, _, _ in batch}
        context.prefetch_findings(connection, {r for r in refs if r})
    elif spec.entity == "update_item":
        context.prefetch_findings(connection, {v["finding_id"] for _, v, _, _ in batch})
    good = []
    for entry in batch:
        line, values = entry[0], entry[1]
        if spec.entity == "assessment" and "confidentiality" not in entry[2]:
            finding = context.finding(values["finding_id"])
            if finding is not None:
                values["confidentiality"] = finding[2]
        problems = reference_problems(run, spec, values, pending, line)
        for column, message in problems:
            result.add_error(RowError(spec.name, line, column, message, key=entry[3]))
        if not problems:
            good.append(entry)
    if result.ok:
        writer.upsert(good, result)
