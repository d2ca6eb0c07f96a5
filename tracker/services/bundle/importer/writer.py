"""The writer: one file's rows upserted by key, one executemany (a COPY on PostgreSQL) per table and batch,
every update audited and every created row added to the import's one event."""

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table

from tracker.services.bundle.files import FileSpec
from tracker.services.bundle.importer.result import FileCounts, ImportResult, RowError
from tracker.services.bundle.importer.state import CASE_KEYED, RANK, ImportRun
from tracker.services.bundle.review_guard import moved_fields, with_authors
from tracker.services.people import audit
from tracker.services.people.access import unavailable_key


def _converter(
    connection: Connection, table: Table, columns: tuple[str, ...], *, reading: bool = False
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """What the columns' SQLAlchemy types do to values on their way to (or from) the driver; None if nothing."""
    dialect = connection.dialect
    steps: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(columns):
        impl = table.c[column].type.dialect_impl(dialect)
        step = impl.result_processor(dialect, None) if reading else impl.bind_processor(dialect)
        if step is not None:
            steps.append((index, step))
    if not steps:
        return None

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for index, step in steps:
            values[index] = step(values[index])
        return tuple(values)

    return convert


_AUDIT_COLUMNS = ("at", "username", "action", "entity", "key", "changes")
# The reference column an export leaves blank when it points at a hidden row.
_LINK_COLUMN = {"visit": "baseline_visit_id", "finding": "continues", "ta_record": "addresses"}
_HIDDEN_LINK_REPLACED = {
    "baseline_visit_id": "the baseline of visit {key} is a visit you may not see, so you cannot change it; "
    "ask a user cleared for that visit",
    "continues": "finding {key} continues a finding you may not see, so you cannot change that link; "
    "ask a user cleared for that finding",
    "addresses": "the TA record of {key} addresses a finding you may not see, so you cannot change that link; "
    "ask a user cleared for that finding",
}
# Fields other stored rows depend on: changing one re-checks the rows that refer to the row.
_DEPENDED_ON = {
    "thematic_area": ("parent",),
    "visit": ("state", "start_date", "scope"),
    "finding": ("kind", "visit_id", "area"),
    "state_update": ("state", "received_on"),
}
_audit_tuple = itemgetter(*_AUDIT_COLUMNS)


class Writer:
    """Upserts one file's rows by key, one executemany (a COPY on PostgreSQL) per table and batch.

    The SQL goes straight to the driver and values are converted by the columns' own types: per
    row, SQLAlchemy's statement handling costs more than the database's work.
    """

    def __init__(self, run: ImportRun, spec: FileSpec, counts: FileCounts):
        connection, context = run.connection, run.context
        self.connection, self.spec, self.actor, self.counts = connection, spec, run.actor, counts
        self.context, self.visits, self.sink = context, context.visits, run.sink
        at = context.at
        assert at is not None, "an import reads its time before it writes"
        self.quote = connection.dialect.identifier_preparer.quote
        self.mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        self.copies = connection.dialect.driver == "psycopg"
        stored = spec.stored
        self.stored_tuple = itemgetter(*stored)
        key_at = [stored.index(k) for k in spec.key]
        self.stored_key: Callable[[Sequence[Any]], tuple[Any, ...]] = lambda row: tuple(row[i] for i in key_at)
        self.key_of: Callable[[dict[str, Any]], tuple[Any, ...]] = (
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
        # The stored values this file's saves were reviewed against, by key; their rows are locked on PostgreSQL.
        self.expected = context.expected.get(spec.name)
        self.lock = (
            " FOR UPDATE" if self.expected and not context.dry_run and connection.dialect.name != "sqlite" else ""
        )
        # Into a table empty when the import began, every row is new: the bundle's keys are unique.
        self.was_empty = (
            connection.exec_driver_sql(f"SELECT 1 FROM {self.quote(spec.table.name)} LIMIT 1").first() is None
        )

    def _marks(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def _names(self, columns: Any) -> str:
        return ", ".join(self.quote(c) for c in columns)

    def _insert(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.copies:
            self.sink.copy(f"COPY {self.quote(table.name)} ({self._names(columns)}) FROM STDIN", rows)
        else:
            self.sink.execute(
                f"INSERT INTO {self.quote(table.name)} ({self._names(columns)}) VALUES ({self._marks(len(columns))})",
                rows,
            )

    def _existing(
        self, keys: list[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], tuple[tuple[Any, ...], dict[str, list[Any]]]]:
        """The stored rows for these keys as the driver returns them, with their list columns."""
        spec, table = self.spec, self.spec.table
        owners = tuple(dict.fromkeys(k[0] for k in keys))
        found = self.connection.exec_driver_sql(
            f"SELECT {self._names(spec.stored)} FROM {self.quote(table.name)} "
            f"WHERE {self.quote(spec.key[0])} IN ({self._marks(len(owners))}){self.lock}",
            owners,
        )
        rows: dict[tuple[Any, ...], tuple[tuple[Any, ...], dict[str, list[Any]]]] = {
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

    def _model_row(self, stored: tuple[Any, ...], links: dict[str, list[Any]]) -> dict[str, Any]:
        """A stored row in the shape the model dumps, to compare with the file's row and to audit."""
        return dict(zip(self.spec.stored, self.from_driver(stored) if self.from_driver else stored)) | links

    def _event(self, action: str, key: str, changes: dict[str, Any]) -> tuple[Any, ...]:
        event: tuple[Any, ...] = _audit_tuple(
            audit.event_row(self.actor, action, self.spec.entity, key, changes, self.at)
        )
        return event

    def upsert(self, batch: list[tuple[int, dict[str, Any], list[str], str]], result: ImportResult) -> None:
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
                if self.expected is not None and self._moved(key_text, None, result):
                    continue
                created.append((row, values, key_text))
                changes.append((key_text, "*", None, None))
                continue
            stored, links = found
            if (self.level_at is not None and RANK[stored[self.level_at]] > RANK[self.actor.clearance]) or (
                self.visit_at is not None and stored[self.visit_at] not in self.visits
            ):
                result.add_error(RowError(spec.name, line, spec.key[0], unavailable_key(key_text), key=key_text))
                continue
            if self.expected is not None and self._moved(key_text, found, result):
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
            replaced = self._hidden_link_replaced(old, new)
            if replaced:
                message = _HIDDEN_LINK_REPLACED[replaced].format(key=key_text)
                result.add_error(RowError(spec.name, line, replaced, message, key=key_text))
                continue
            if new == old:
                self.counts.unchanged += 1
                continue
            self._note_moved(old, new, key_text, line)
            changed.append(new)
            result.updated_keys.append((spec.name, key_text))
            fields = audit.diff(old, new)
            events.append(self._event("update", key_text, fields))
            changes.extend((key_text, f, was, now) for f, (was, now) in fields.items())
        if created and not self.was_empty and spec.entity in CASE_KEYED:
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

    def _moved(self, key_text: str, found: tuple[Any, ...] | None, result: ImportResult) -> bool:
        """Whether the stored row (None: not stored) moved from what the save was reviewed against;
        if so the fields that moved are noted, with who moved them and when."""
        if self.expected is None or key_text not in self.expected:
            return False
        stored = None if found is None else self._model_row(*found)
        moved = moved_fields(self.spec.name, key_text, self.expected[key_text], stored)
        if moved:
            result.note_moved(with_authors(self.connection, moved, self.context.mark))
        return bool(moved)

    def _hidden_links_kept(self, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        """A blank reference to a row the importer may not see keeps its stored value: the
        importer's own export left it blank because it was hidden, not because it is gone."""
        column = _LINK_COLUMN.get(self.spec.entity)
        if column is None or new[column] is not None or old[column] is None:
            return new
        hidden = old[column] not in self.visits if column == "baseline_visit_id" else self._finding_hidden(old[column])
        return new | {column: old[column]} if hidden else new

    def _hidden_link_replaced(self, old: dict[str, Any], new: dict[str, Any]) -> str | None:
        """The reference column, when the row would change a reference to a row the importer may not
        see: replacing what it cannot see would change a link it was never shown."""
        column = _LINK_COLUMN.get(self.spec.entity)
        if column is None or old[column] is None or new[column] == old[column]:
            return None
        hidden = old[column] not in self.visits if column == "baseline_visit_id" else self._finding_hidden(old[column])
        return column if hidden else None

    def _finding_hidden(self, finding_id: str) -> bool:
        self.context.prefetch_findings(self.connection, {finding_id})
        return self.context.finding(finding_id) is None

    def _note_moved(self, old: dict[str, Any], new: dict[str, Any], key_text: str, line: int) -> None:
        if any(old[c] != new[c] for c in _DEPENDED_ON.get(self.spec.entity, ())):
            self.context.moved.setdefault(self.spec.entity, {})[key_text] = (self.spec.name, line)

    def _without_case_collisions(
        self, created: list[tuple[tuple[Any, ...], dict[str, Any], str]], result: ImportResult, lines: dict[str, int]
    ) -> list[tuple[tuple[Any, ...], dict[str, Any], str]]:
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

    def _write(self, created: list[tuple[tuple[Any, ...], dict[str, Any], str]], changed: list[dict[str, Any]]) -> None:
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
