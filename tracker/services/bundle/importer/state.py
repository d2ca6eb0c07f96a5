"""The state of one import: what its checks know (Context), its one audit event, and the run that
carries both with the connection, the importer and the result from file to file."""

import datetime as dt
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, insert, select, update
from sqlmodel import col

from tracker.models import (
    Confidentiality,
    MemberState,
    PartnerOrg,
    Resolution,
    ThematicArea,
    Update,
    Visit,
    scope_codes,
)
from tracker.services.bundle.files import SPECS, Source
from tracker.services.bundle.importer.result import ImportResult
from tracker.services.people import audit
from tracker.services.people.access import Actor, finding_visible, update_visible, visit_visible

BATCH_SIZE = 5000
# Keys users type: one that differs from another only in letter case is refused.
CASE_KEYED = ("visit", "finding", "meeting")
RANK = {level: level.rank for level in Confidentiality}

Progress = Callable[[float, str], None]


@dataclass
class VisitInfo:
    state: str
    start_date: dt.date
    confidentiality: str
    # The top-level areas the visit covered; empty for every area.
    scope: frozenset[str] = frozenset()


@dataclass
class Context:
    """What reference checks need: reference data, every visit, and the bundle's own keys."""

    states: set[str]
    partners: set[str]
    resolutions: set[int]
    areas: dict[str, str | None]
    visits: dict[str, VisitInfo]
    # The importer's clearance: rows above it are not there for it, as on every read path.
    level: Confidentiality
    bundle_findings: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    # Written updates: {update_id: (state, received_on, confidentiality)}.
    updates: dict[str, tuple[str, dt.date, str]] = field(default_factory=dict)
    db_findings: dict[str, tuple[str, str, str, str] | None] = field(default_factory=dict)
    # One shared (visit_id, kind, level, area) tuple per visit, kind, level and area, so a million
    # findings hold no copies.
    pairs: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = field(default_factory=dict)
    # Rows updated in a way that rows referring to them must be checked again: {entity: {key: (file, line)}}.
    moved: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    # Hashes of the bundle's assessment and meeting keys, 8 bytes a row: enough to tell whether a
    # save made while the bundle was read touched one of its rows (a collision only costs a re-read).
    key_hashes: "dict[str, array[int]]" = field(default_factory=dict)
    # When the import reads: the time of each of its audit events. Set as reading begins.
    at: dt.datetime | None = None
    # Set as reading begins (_read_and_write).
    event: "ImportEvent" = None  # type: ignore[assignment]
    # What a save was reviewed against: {file: {key: fields, or None for a row not stored}}.
    expected: dict[str, dict[str, dict[str, Any] | None]] = field(default_factory=dict)
    # The changes the check of an import listed, which its confirmation must make exactly.
    reviewed: "ImportResult | None" = None
    dry_run: bool = False
    mark: int | None = None

    def finding(self, finding_id: str) -> tuple[str, str, str, str] | None:
        """(visit_id, kind, confidentiality, area) of a finding in the bundle or the database."""
        return self.bundle_findings.get(finding_id) or self.db_findings.get(finding_id)

    def remember_finding(self, finding_id: str, visit_id: str, kind: str, level: str, area: str) -> None:
        shared = (visit_id, kind, level, area)
        self.bundle_findings[finding_id] = self.pairs.setdefault(shared, shared)

    def top_area(self, code: str) -> str:
        """The top-level area a finding's area counts under."""
        return self.areas.get(code) or code

    def prefetch_findings(self, connection: Connection, ids: set[str]) -> None:
        table = SPECS["findings.csv"].table
        wanted = [i for i in ids if i not in self.bundle_findings and i not in self.db_findings]
        for chunk in chunks(wanted, BATCH_SIZE):
            found = connection.execute(
                select(table.c.finding_id, table.c.visit_id, table.c.kind, table.c.confidentiality, table.c.area)
                .join(Visit, col(Visit.visit_id) == table.c.visit_id)
                .where(table.c.finding_id.in_(chunk), finding_visible(self.level, include_withdrawn=True))
            ).all()
            for finding_id, visit_id, kind, level, area in found:
                self.db_findings[finding_id] = (visit_id, kind, level, area)
            for missing in set(chunk) - {row[0] for row in found}:
                self.db_findings[missing] = None


class ImportEvent:
    """The one audit event of an import's created rows: written (without its content) before the first
    created row, which refers to it, and completed with every created row's values at the end."""

    def __init__(self, actor: Actor, at: Any, sources: list[Source]):
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


class Sink(Protocol):
    """Where an import's writes go: straight to the database, or a spool replayed under the write lock."""

    def execute(self, statement: str, rows: list[tuple[Any, ...]]) -> None: ...

    def insert_created(self, statement: str, rows: list[tuple[Any, ...]], event: ImportEvent, copy: bool) -> None: ...

    def copy(self, statement: str, rows: list[tuple[Any, ...]]) -> None: ...


@dataclass
class ImportRun:
    """One pass over a bundle's sources: the connection it reads and writes through, who imports,
    where the writes go, what the checks know so far and what the import found."""

    connection: Connection
    actor: Actor
    sink: Sink
    context: Context
    result: ImportResult
    progress: Progress | None = None


def load_context(connection: Connection, level: Confidentiality) -> Context:
    visits = {
        row.visit_id: VisitInfo(row.state, row.start_date, row.confidentiality, frozenset(scope_codes(row.scope)))
        for row in connection.execute(
            select(
                col(Visit.visit_id),
                col(Visit.state),
                col(Visit.start_date),
                col(Visit.confidentiality),
                col(Visit.scope),
            ).where(visit_visible(level, include_withdrawn=True))
        )
    }
    updates = {
        row.update_id: (row.state, row.received_on, row.confidentiality)
        for row in connection.execute(
            select(
                col(Update.update_id), col(Update.state), col(Update.received_on), col(Update.confidentiality)
            ).where(update_visible(level, include_withdrawn=True))
        )
    }
    return Context(
        updates=updates,
        states=set(connection.execute(select(col(MemberState.iso3))).scalars()),
        partners=set(connection.execute(select(col(PartnerOrg.code))).scalars()),
        resolutions=set(connection.execute(select(col(Resolution.number))).scalars()),
        areas=dict(connection.execute(select(col(ThematicArea.code), col(ThematicArea.parent))).all()),
        visits=visits,
        level=level,
    )


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
