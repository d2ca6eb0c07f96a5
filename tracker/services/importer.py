"""Import of a CSV bundle (DESIGN §4): validate everything, then upsert by key in one transaction.

Rows stream through in batches: each batch is validated, compared with what the database holds
and written with one executemany per table. Any error stops the writing, validation goes on so
that every error is listed, and the transaction is rolled back: nothing is half-written.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, text, update

from tracker.db import require_schema, writing
from tracker.errors import TrackerError
from tracker.models import (
    TRACKABLE_KINDS,
    Confidentiality,
    MemberState,
    PartnerOrg,
    Resolution,
    ThematicArea,
    Visit,
)
from tracker.services import audit
from tracker.services.access import Actor, require_writer
from tracker.services.bundle_format import (
    CountingReader,
    FileSpec,
    Source,
    SPECS,
    read_rows,
    unescape_cell,
)

BATCH_SIZE = 2000
MAX_LISTED_ERRORS = 10_000

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


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

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def committed(self) -> bool:
        return self.ok and not self.dry_run

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)

    def summary_rows(self) -> list[dict]:
        return [{"file": name, **c.__dict__} for name, c in self.counts.items()]


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run or a failed import."""


@dataclass
class _VisitInfo:
    state: str
    start_date: object
    confidentiality: str


@dataclass
class _Context:
    """What reference checks need: reference data, every visit, and the bundle's own keys."""

    states: set[str]
    partners: set[str]
    resolutions: set[int]
    areas: dict[str, str | None]
    visits: dict[str, _VisitInfo]
    finding_visits: dict[str, str] = field(default_factory=dict)
    finding_kinds: dict[str, str] = field(default_factory=dict)
    db_findings: dict[str, tuple[str, str] | None] = field(default_factory=dict)

    def finding(self, finding_id: str) -> tuple[str, str] | None:
        """(visit_id, kind) of a finding in the bundle or the database."""
        if finding_id in self.finding_visits:
            return self.finding_visits[finding_id], self.finding_kinds[finding_id]
        return self.db_findings.get(finding_id)

    def prefetch_findings(self, connection: Connection, ids: set[str]) -> None:
        table = SPECS["findings.csv"].table
        wanted = [i for i in ids if i not in self.finding_visits and i not in self.db_findings]
        for chunk in _chunks(wanted, BATCH_SIZE):
            found = connection.execute(
                select(table.c.finding_id, table.c.visit_id, table.c.kind).where(table.c.finding_id.in_(chunk))
            ).all()
            for finding_id, visit_id, kind in found:
                self.db_findings[finding_id] = (visit_id, kind)
            for missing in set(chunk) - {f for f, _, _ in found}:
                self.db_findings[missing] = None


def import_bundle(
    engine: Engine,
    sources: list[Source],
    actor: Actor,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate and upsert the bundle; with any error, or a dry run, nothing is kept."""
    require_writer(actor)
    require_schema(engine)
    result = ImportResult(dry_run=dry_run)
    total = sum(s.size for s in sources) or 1
    done = 0
    try:
        with writing(engine) as connection:
            _defer_foreign_keys(connection)
            context = _load_context(connection)
            at = audit.now()
            for source in sources:
                spec = SPECS[source.name]
                counts = result.counts.setdefault(source.name, FileCounts())
                reader = CountingReader(source.open())
                try:
                    _import_file(connection, spec, source, reader, context, result, counts, actor, at,
                                 lambda: progress and progress(min(1.0, (done + reader.count) / total), source.name))
                finally:
                    done += reader.count
                    reader.close()
            if result.ok:
                audit.record_many(connection, [audit.event_row(
                    actor, "import", "bundle", ", ".join(s.origin for s in sources),
                    {"counts": {n: c.__dict__ for n, c in result.counts.items()}}, at,
                )])
            if not result.ok or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if progress:
        progress(1.0, "done")
    return result


def _defer_foreign_keys(connection: Connection) -> None:
    # Rows may point at rows later in the same file (a baseline, a continued finding); the
    # references are checked here first, and the database checks them again at commit.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    else:
        connection.execute(text("SET CONSTRAINTS ALL DEFERRED"))


def _load_context(connection: Connection) -> _Context:
    visits = {
        row.visit_id: _VisitInfo(row.state, row.start_date, row.confidentiality)
        for row in connection.execute(
            select(Visit.visit_id, Visit.state, Visit.start_date, Visit.confidentiality)
        )
    }
    return _Context(
        states=set(connection.execute(select(MemberState.iso3)).scalars()),
        partners=set(connection.execute(select(PartnerOrg.code)).scalars()),
        resolutions=set(connection.execute(select(Resolution.number)).scalars()),
        areas=dict(connection.execute(select(ThematicArea.code, ThematicArea.parent)).all()),
        visits=visits,
    )


def _decoded(reader: CountingReader) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BufferedReader(reader, 1 << 16), encoding="utf-8-sig", newline="")


def _records(spec: FileSpec, source: Source, reader: CountingReader, result: ImportResult) -> Iterator[tuple[int, dict, list[str]]]:
    """(line, row of present columns, the present columns) for each record of a file."""
    line = 1
    try:
        rows = read_rows(_decoded(reader))
        header_line, header = next(rows, (1, []))
        if _binary(spec, header_line, header, result):
            return
        columns = [c.strip().lower() for c in header]
        if not _header_ok(spec, columns, result):
            return
        width = len(columns)
        for line, cells in rows:
            if _binary(spec, line, cells, result):
                return
            if len(cells) > width:
                result.add_error(RowError(spec.name, line, "row", f"has {len(cells)} cells but the header has {width}; quote cells that hold the delimiter"))
                continue
            yield line, {c: unescape_cell(v) for c, v in zip(columns, cells)}, columns
    except UnicodeDecodeError:
        result.add_error(RowError(spec.name, line + 1, "file", "is not UTF-8 text; save it as CSV UTF-8"))
    except csv.Error as error:
        result.add_error(RowError(spec.name, line + 1, "file", f"cannot be read as CSV ({error}); check its quotes"))


def _binary(spec: FileSpec, line: int, cells: list[str], result: ImportResult) -> bool:
    if any("\x00" in cell for cell in cells):
        result.add_error(RowError(spec.name, line, "file", "holds binary data, not CSV text; save it from the spreadsheet as CSV UTF-8"))
        return True
    return False


def _header_ok(spec: FileSpec, columns: list[str], result: ImportResult) -> bool:
    ok = True
    if not columns:
        result.add_error(RowError(spec.name, 1, "header", "the file is empty; give a header row"))
        return False
    for column in columns:
        if column not in spec.columns:
            result.add_error(RowError(spec.name, 1, column or "(blank)", f"unknown column; {spec.name} takes {', '.join(spec.columns)}"))
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
    try:
        return spec.model.model_validate(row).model_dump(mode="python")
    except ValidationError as error:
        for problem in error.errors():
            column = str(problem["loc"][0]) if problem["loc"] else "row"
            message = problem["msg"].removeprefix("Value error, ")
            result.add_error(RowError(spec.name, line, column, message))
        return None


def _import_file(connection, spec, source, reader, context, result, counts, actor, at, tick) -> None:
    seen: dict[str, int] = {}
    pending: list[tuple[int, dict]] = []
    batch: list[tuple[int, dict, list[str]]] = []
    for line, row, columns in _records(spec, source, reader, result):
        values = _validated(spec, line, row, result)
        if values is None:
            continue
        key = spec.key_text(values)
        if key in seen:
            result.add_error(RowError(spec.name, line, spec.key[0], f"{key} appears again (first on line {seen[key]}); keep one row per key"))
            continue
        seen[key] = line
        _remember(spec, values, context)
        batch.append((line, values, columns))
        if len(batch) >= BATCH_SIZE:
            _check_and_write(connection, spec, batch, context, result, counts, actor, at, pending)
            batch = []
            tick()
    _check_and_write(connection, spec, batch, context, result, counts, actor, at, pending)
    _check_pending(connection, spec, pending, context, result)
    tick()


def _remember(spec: FileSpec, values: dict, context: _Context) -> None:
    """Make the row's key known to later rows and files before its references are checked."""
    if spec.entity == "visit":
        context.visits[values["visit_id"]] = _VisitInfo(values["state"], values["start_date"], values["confidentiality"].value)
    elif spec.entity == "finding":
        context.finding_visits[values["finding_id"]] = values["visit_id"]
        context.finding_kinds[values["finding_id"]] = values["kind"].value
    elif spec.entity == "thematic_area":
        context.areas[values["code"]] = values["parent"]


def _check_and_write(connection, spec, batch, context, result, counts, actor, at, pending) -> None:
    if not batch:
        return
    if spec.entity in ("finding", "assessment"):
        refs = {v.get("continues") for _, v, _ in batch} | {v["finding_id"] for _, v, _ in batch if spec.entity == "assessment"}
        context.prefetch_findings(connection, {r for r in refs if r})
    good = []
    for line, values, columns in batch:
        problems = _reference_problems(connection, spec, values, context, actor, pending, line)
        for column, message in problems:
            result.add_error(RowError(spec.name, line, column, message))
        if not problems:
            good.append((line, values, columns))
    if result.ok:
        _upsert(connection, spec, good, result, counts, actor, at)


def _reference_problems(connection, spec, values, context, actor, pending, line) -> list[tuple[str, str]]:
    problems = []
    level = values.get("confidentiality")
    if isinstance(level, Confidentiality) and level.rank > actor.clearance.rank:
        problems.append(("confidentiality", f"{level.value} is above your clearance ({actor.clearance.value}); ask a user cleared for it to import this row"))
    match spec.entity:
        case "thematic_area":
            if values["parent"]:
                pending.append((line, values))
        case "visit":
            if values["state"] not in context.states:
                problems.append(("state", f"{values['state']} is not a UN Member State ISO3 code; use e.g. KOR"))
            for partner in values["partners"]:
                if partner not in context.partners:
                    problems.append(("partners", f"{partner} is not a known partner organisation; use one of {', '.join(sorted(context.partners))}"))
            problems += _resolution_problems(values, context)
            if values["baseline_visit_id"]:
                pending.append((line, values))
        case "finding":
            visit = context.visits.get(values["visit_id"])
            if visit is None:
                problems.append(("visit_id", f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv"))
            if values["area"] not in context.areas:
                problems.append(("area", f"{values['area']} is not a thematic area; use a code from areas.csv such as LEG or BM.AVIATION"))
            problems += _resolution_problems(values, context)
            if values["continues"]:
                pending.append((line, values))
        case "assessment":
            problems += _assessment_problems(connection, values, context)
        case "meeting":
            if values["visit_id"] not in context.visits:
                problems.append(("visit_id", f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv"))
            if values["area"] and values["area"] not in context.areas:
                problems.append(("area", f"{values['area']} is not a thematic area; use a code from areas.csv such as LEG or ICT"))
    return problems


def _resolution_problems(values, context) -> list[tuple[str, str]]:
    return [
        ("resolutions", f"resolution {number} is not in the reference list; add it or correct the number")
        for number in values["resolutions"]
        if number not in context.resolutions
    ]


def _assessment_problems(connection, values, context) -> list[tuple[str, str]]:
    problems = []
    visit = context.visits.get(values["visit_id"])
    if visit is None:
        problems.append(("visit_id", f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv"))
    finding = context.finding(values["finding_id"])
    if finding is None:
        problems.append(("finding_id", f"finding {values['finding_id']} is neither in findings.csv nor in the database; add it to findings.csv"))
        return problems
    finding_visit_id, kind = finding
    if kind not in TRACKABLE_KINDS:
        problems.append(("finding_id", f"finding {values['finding_id']} is a {kind}; only shortfalls and recommendations are assessed"))
    finding_visit = context.visits.get(finding_visit_id)
    if visit and finding_visit:
        if visit.state != finding_visit.state:
            problems.append(("visit_id", f"visit {values['visit_id']} is of {visit.state} but the finding is of {finding_visit.state}; assess at a visit of the same state"))
        elif not visit.start_date > finding_visit.start_date:
            problems.append(("visit_id", f"visit {values['visit_id']} does not come after the finding's visit {finding_visit_id}; assess at a later visit"))
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
                return [("baseline_visit_id", f"visit {values['baseline_visit_id']} is neither in visits.csv nor in the database; add the baseline visit")]
            if baseline.state != values["state"]:
                return [("baseline_visit_id", f"baseline {values['baseline_visit_id']} is a visit to {baseline.state}, not {values['state']}; name a visit to the same state")]
            if not baseline.start_date < values["start_date"]:
                return [("baseline_visit_id", f"baseline {values['baseline_visit_id']} does not start before this visit; name an earlier visit")]
        case "finding":
            earlier = context.finding(values["continues"])
            if earlier is None:
                return [("continues", f"finding {values['continues']} is neither in findings.csv nor in the database; name an existing finding")]
            earlier_visit, this_visit = context.visits.get(earlier[0]), context.visits.get(values["visit_id"])
            if earlier_visit and this_visit:
                if earlier_visit.state != this_visit.state:
                    return [("continues", f"finding {values['continues']} is of another state; a finding continues one of the same state")]
                if not earlier_visit.start_date < this_visit.start_date:
                    return [("continues", f"finding {values['continues']} is not from an earlier visit; a finding continues an earlier one")]
    return []


# ---------------------------------------------------------------- writing


def _existing(connection: Connection, spec: FileSpec, keys: list[tuple]) -> dict[tuple, dict]:
    """The stored rows for these keys, list columns included, in the shape the model dumps."""
    table = spec.table
    key_columns = [table.c[k] for k in spec.key]
    if len(spec.key) == 1:
        condition = key_columns[0].in_([k[0] for k in keys])
    else:
        from sqlalchemy import tuple_

        condition = tuple_(*key_columns).in_(keys)
    rows = {
        tuple(row[k] for k in spec.key): dict(row)
        for row in connection.execute(select(*[table.c[c] for c in spec.stored]).where(condition)).mappings()
    }
    for column, link in spec.links.items():
        for row in rows.values():
            row[column] = []
        owners = [k[0] for k in rows]
        if owners:
            found = connection.execute(
                select(link.table.c[link.owner], link.table.c[link.value])
                .where(link.table.c[link.owner].in_(owners))
                .order_by(link.table.c[link.owner], link.table.c[link.value])
            )
            for owner, value in found:
                rows[(owner,)][column].append(value)
    return rows


def _plain(values: dict) -> dict:
    """Enum members as their stored text, so rows compare equal to what the database returns."""
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


def _upsert(connection, spec, batch, result, counts, actor, at) -> None:
    if not batch:
        return
    keys = [tuple(values[k] for k in spec.key) for _, values, _ in batch]
    existing = _existing(connection, spec, keys)
    created, changed, events = [], [], []
    for (line, values, columns), key in zip(batch, keys):
        values = _plain(values)
        old = existing.get(key)
        if old is None:
            created.append(values)
            events.append(audit.event_row(actor, "create", spec.entity, spec.key_text(values), audit.diff(None, values), at))
            continue
        if old.get("confidentiality") and Confidentiality(old["confidentiality"]).rank > actor.clearance.rank:
            result.add_error(RowError(spec.name, line, spec.key[0], f"{spec.key_text(values)} is stored at a level above your clearance; ask a user cleared for it"))
            continue
        # Columns the file leaves out keep their stored values.
        new = {c: (values[c] if c in columns else old[c]) for c in spec.columns}
        if new == {c: old[c] for c in spec.columns}:
            counts.unchanged += 1
            continue
        changed.append(new)
        events.append(audit.event_row(actor, "update", spec.entity, spec.key_text(new), audit.diff(old, new), at))
    if not result.ok:
        return
    table = spec.table
    if created:
        connection.execute(insert(table), [{c: r[c] for c in spec.stored} for r in created])
    if changed:
        where = [table.c[k] == bindparam(f"key_{k}") for k in spec.key]
        statement = update(table).where(*where).values({c: bindparam(c) for c in spec.stored if c not in spec.key})
        connection.execute(statement, [{**{c: r[c] for c in spec.stored if c not in spec.key}, **{f"key_{k}": r[k] for k in spec.key}} for r in changed])
    for column, link in spec.links.items():
        if changed:
            connection.execute(delete(link.table).where(link.table.c[link.owner].in_([r[link.owner] for r in changed])))
        links = [{link.owner: r[link.owner], link.value: v} for r in created + changed for v in r[column]]
        if links:
            connection.execute(insert(link.table), links)
    audit.record_many(connection, events)
    counts.created += len(created)
    counts.updated += len(changed)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def describe(result: ImportResult) -> str:
    """The per-file counts as one line each, for people."""
    verb = "would be" if result.dry_run else "were"
    lines = [
        f"{name}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
        for name, c in result.counts.items()
    ]
    if result.dry_run and result.ok:
        lines.append(f"Dry run: nothing was written; these changes {verb} made.")
    return "\n".join(lines)


def result_as_json(result: ImportResult) -> str:
    return json.dumps(
        {
            "ok": result.ok,
            "dry_run": result.dry_run,
            "counts": {n: c.__dict__ for n, c in result.counts.items()},
            "errors": [str(e) for e in result.errors],
        },
        indent=2,
    )
