"""Issued reports (DESIGN §10): a kept, sealed snapshot of each report, and what changed since one.

A snapshot holds what the report counted (the §3 result of every follow-up in scope), every item
it reported with its status, and the issued file's bytes. It is written once and never updated;
its `seal` is the SHA-256 of every other column, so a row changed behind the tracker's back is
refused rather than trusted. A reader sees a snapshot only when cleared for its level.
"""

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text

from tracker.db import reading, require_schema, writing
from tracker.errors import NotFound, TrackerError
from tracker.models import STATUS_SCORE, Confidentiality, ReportSnapshot, Status, table_of
from tracker.services import audit, comparison
from tracker.services.access import Actor, no_such, require_writer, snapshot_visible
from tracker.services.frames import records

snapshot_table = table_of(ReportSnapshot)

LIST_COLUMNS = ["id", "title", "scope", "level", "format", "issued_by", "issued_at", "sha256", "size"]
NOW = "now"


@dataclass
class Reported:
    """What a report counts and lists: the §3 result per follow-up and each item with its status."""

    results: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)

    def add(self, result: dict, items: pd.DataFrame | list[dict]) -> None:
        """A follow-up's §3 result and its item table (`item_table`, or the rows of `item_rows`)."""
        self.results.append(result)
        followup = result["followup_visit"]
        self.items.extend(
            {
                "finding_id": row["finding_id"],
                "followup": followup,
                "visit_id": row["visit_id"],
                "kind": str(row["kind"]),
                "area": row["area"],
                "status": row["status"] or "",
                "group": row["status_group"] or "",
                "withdrawn": False,
            }
            for row in (items if isinstance(items, list) else records(items))
        )

    @property
    def followups(self) -> list[str]:
        return [result["followup_visit"] for result in self.results]


@dataclass(frozen=True)
class Snapshot:
    id: int
    title: str
    scope: str
    level: Confidentiality
    format: str
    issued_by: str
    issued_at: dt.datetime
    reported: Reported
    content: bytes
    sha256: str

    @property
    def file_name(self) -> str:
        return f"report-{self.id}.{self.format}"


# ---------------------------------------------------------------- scopes


def state_scope(iso3: str, followup: str) -> str:
    return f"state:{iso3}:{followup}"


def period_scope(start: dt.date, end: dt.date) -> str:
    return f"period:{start.isoformat()}..{end.isoformat()}"


def scope_words(scope: str) -> str:
    """`state:KOR:KOR-2023` as `KOR, follow-up visit KOR-2023`; a period as `follow-up visits FROM to TO`."""
    kind, _, rest = scope.partition(":")
    if kind == "state":
        iso3, _, followup = rest.partition(":")
        return f"{iso3}, follow-up visit {followup}"
    start, _, end = rest.partition("..")
    return f"follow-up visits that started from {start} to {end}"


def current(engine: Engine, actor: Actor, scope: str, level: Confidentiality) -> Reported:
    """What a report on `scope` at `level` would count and list now."""
    now = Reported()
    kind, _, rest = scope.partition(":")
    if kind == "state":
        iso3, _, followup = rest.partition(":")
        followups = [(iso3, followup)]
    else:
        start, end = (dt.date.fromisoformat(day) for day in rest.split(".."))
        visits = comparison.followup_visits(engine, actor, level=level)
        visits = visits[(visits["start_date"] >= start) & (visits["start_date"] <= end)]
        followups = list(zip(visits["state"], visits["visit_id"]))
    for iso3, followup in sorted(followups, key=lambda pair: pair[1]):
        try:
            result = comparison.compare(engine, actor, iso3, followup, level)
        except TrackerError:
            # The follow-up is no longer there to see at this level: everything it reported went.
            continue
        now.add(result, comparison.item_table(engine, actor, followup, level))
    return now


# ---------------------------------------------------------------- issuing and reading back


def _stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seal(row: dict) -> str:
    """SHA-256 of every column but the id and the seal itself, in one canonical spelling."""
    fields = {
        name: _stamp(row[name]) if name == "issued_at" else row[name]
        for name in ("title", "scope", "level", "format", "issued_by", "issued_at", "results", "items", "sha256")
    }
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8") + b"\0" + bytes(row["content"])).hexdigest()


def _as_json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def issue(
    engine: Engine,
    actor: Actor,
    *,
    title: str,
    scope: str,
    level: Confidentiality,
    fmt: str,
    content: bytes,
    reported: Reported,
) -> int:
    """Keep the issued report; returns its id. One transaction: the snapshot and its audit event."""
    require_writer(actor)
    require_schema(engine)
    # One line of printable text: the title is shown in terminals, pages and the next report.
    title = "".join(character for character in " ".join((title or "").split()) if character.isprintable())
    if not title:
        raise TrackerError("an issued report needs a title", 'give one, e.g. --issue "Republic of Korea, 2024"')
    row: dict[str, Any] = {
        "title": title,
        "scope": scope,
        "level": Confidentiality(level).value,
        "format": fmt,
        "issued_by": actor.username,
        # Whole seconds: every database keeps them alike, so the seal reads back the same.
        "issued_at": audit.now().replace(microsecond=0),
        "results": _as_json(reported.results),
        "items": _as_json(reported.items),
        "content": content,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    row["seal"] = _seal(row)
    with writing(engine) as connection:
        snapshot_id = connection.execute(insert(snapshot_table).returning(snapshot_table.c.id), [row]).scalar_one()
        changes = {name: [None, row[name]] for name in ("title", "scope", "level", "format", "issued_by", "sha256")} | {
            "issued_at": [None, _stamp(row["issued_at"])],
            "size": [None, len(content)],
        }
        audit.record(connection, actor, "create", "report_snapshot", str(snapshot_id), changes)
    return snapshot_id


def _snapshot(row) -> Snapshot:
    values = dict(row._mapping)
    if _seal(values) != values["seal"] or hashlib.sha256(bytes(values["content"])).hexdigest() != values["sha256"]:
        raise TrackerError(
            f"issued report {values['id']} no longer matches its seal: it was changed after it was issued",
            "restore it from a backup and ask an administrator to check the audit trail",
        )
    return Snapshot(
        id=values["id"],
        title=values["title"],
        scope=values["scope"],
        level=Confidentiality(values["level"]),
        format=values["format"],
        issued_by=values["issued_by"],
        issued_at=values["issued_at"].replace(tzinfo=values["issued_at"].tzinfo or dt.UTC),
        reported=Reported(json.loads(values["results"]), json.loads(values["items"])),
        content=bytes(values["content"]),
        sha256=values["sha256"],
    )


def _snapshot_id(value: int | str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise NotFound(f"'{value}' is not an issued report id", "run 'tracker reports list' to see them") from None


def get(engine: Engine, actor: Actor, snapshot_id: int | str) -> Snapshot:
    """One issued report, checked against its seal; a hidden one is told as a missing one."""
    require_schema(engine)
    number = _snapshot_id(snapshot_id)
    with reading(engine) as connection:
        row = connection.execute(
            select(snapshot_table).where(snapshot_table.c.id == number, snapshot_visible(actor.clearance))
        ).first()
    if row is None:
        raise NotFound(no_such("issued report", str(snapshot_id)), "run 'tracker reports list' to see them")
    return _snapshot(row)


def listing(engine: Engine, actor: Actor, scope: str | None = None) -> pd.DataFrame:
    """The issued reports the reader is cleared for, newest first, without their bytes."""
    require_schema(engine)
    columns = [snapshot_table.c[name] for name in LIST_COLUMNS[:-1]]
    query = (
        select(*columns, snapshot_table.c.content)
        .where(snapshot_visible(actor.clearance))
        .order_by(snapshot_table.c.issued_at.desc(), snapshot_table.c.id.desc())
    )
    if scope is not None:
        query = query.where(snapshot_table.c.scope == scope)
    with reading(engine) as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame([[*row[:-1], len(row[-1])] for row in rows], columns=LIST_COLUMNS)
    frame["issued_at"] = [_stamp(moment) for moment in frame["issued_at"]]
    return frame.astype({"id": "int64", "size": "int64"})


def last(engine: Engine, actor: Actor, scope: str, level: Confidentiality) -> Snapshot | None:
    """The latest report issued on `scope` at `level`, or None."""
    require_schema(engine)
    query = (
        select(snapshot_table)
        .where(
            snapshot_table.c.scope == scope,
            snapshot_table.c.level == Confidentiality(level).value,
            snapshot_visible(actor.clearance),
        )
        .order_by(snapshot_table.c.issued_at.desc(), snapshot_table.c.id.desc())
        .limit(1)
    )
    with reading(engine) as connection:
        row = connection.execute(query).first()
    return None if row is None else _snapshot(row)


# ---------------------------------------------------------------- what changed


def _area_indexes(reported: Reported) -> dict[str, float | None]:
    """The implementation index per top-level area over the baseline items reported, as §3 counts it."""
    sums: dict[str, list[int]] = {}
    for item in reported.items:
        if not item["status"]:
            continue
        score = STATUS_SCORE[Status(item["status"])]
        total = sums.setdefault(item["area"], [0, 0])
        if score is not None:
            total[0] += score
            total[1] += 1
    return {area: comparison.implementation_index(*total) for area, total in sums.items()}


def changes(old: Reported, new: Reported, *, area_order: list[str] | None = None) -> dict[str, list[dict]]:
    """The §10 lists between two reported states: status changes, added, withdrawn, follow-ups, areas."""
    before = {(item["finding_id"], item["followup"]): item for item in old.items}
    after = {(item["finding_id"], item["followup"]): item for item in new.items}
    status_changes = [
        {
            "finding_id": key[0],
            "followup": key[1],
            "old_status": item["status"],
            "new_status": after[key]["status"],
            "old_group": item["group"],
            "new_group": after[key]["group"],
        }
        for key, item in sorted(before.items(), key=lambda pair: (pair[0][1], pair[0][0]))
        if key in after and item["status"] != after[key]["status"]
    ]
    old_ids = {item["finding_id"] for item in old.items}
    new_ids = {item["finding_id"] for item in new.items}
    added, seen = [], set()
    for item in sorted(new.items, key=lambda item: item["finding_id"]):
        if item["finding_id"] not in old_ids and item["finding_id"] not in seen:
            seen.add(item["finding_id"])
            added.append({name: item[name] for name in ("finding_id", "visit_id", "kind", "area")})
    withdrawn = [{"finding_id": finding_id} for finding_id in sorted(old_ids - new_ids)]
    followups_added = [{"visit_id": visit_id} for visit_id in new.followups if visit_id not in old.followups]
    index_from, index_to = _area_indexes(old), _area_indexes(new)
    order = {code: position for position, code in enumerate(area_order or [])}
    areas = sorted(set(index_from) | set(index_to), key=lambda code: (order.get(code, len(order)), code))
    return {
        "status_changes": status_changes,
        "added": added,
        "withdrawn": withdrawn,
        "followups_added": followups_added,
        "areas": [{"area": area, "index_from": index_from.get(area), "index_to": index_to.get(area)} for area in areas],
    }


def overall_index(reported: Reported) -> float | None:
    """The implementation index over every scored baseline item reported."""
    scores = [STATUS_SCORE[Status(item["status"])] for item in reported.items if item["status"]]
    scored = [score for score in scores if score is not None]
    return comparison.implementation_index(sum(scored), len(scored))


def diff(engine: Engine, actor: Actor, from_id: int | str, to_id: int | str | None = None) -> dict:
    """Snapshot `from_id` against snapshot `to_id`, or against now, at the first one's level and scope."""
    first = get(engine, actor, from_id)
    target: int | str
    if to_id is None:
        second, target = current(engine, actor, first.scope, first.level), NOW
    else:
        other = get(engine, actor, to_id)
        if other.scope != first.scope:
            raise TrackerError(
                f"issued reports {first.id} and {other.id} cover different scopes ({first.scope} and {other.scope})",
                "compare two reports on the same scope, or one report with now",
            )
        if other.level != first.level:
            raise TrackerError(
                f"issued reports {first.id} and {other.id} are at different levels "
                f"({first.level.value} and {other.level.value})",
                "compare two reports at the same level, or one report with now",
            )
        second, target = other.reported, other.id
    order = list(comparison.thematic_area_names(engine))
    return {
        "from": first.id,
        "to": target,
        "scope": first.scope,
        "level": first.level.value,
        **changes(first.reported, second, area_order=order),
    }


# ---------------------------------------------------------------- plain text


def render_diff_table(result: dict) -> str:
    """The changes for a terminal: one block per list, empty lists said in words."""
    target = "now" if result["to"] == NOW else f"issued report {result['to']}"
    lines = [
        f"Changes from issued report {result['from']} to {target}: {scope_words(result['scope'])}, "
        f"level {result['level']}",
        "",
    ]

    def block(title: str, header: list[str], rows: list[list]) -> None:
        lines.append(f"{title}: {len(rows)}" if rows else f"{title}: none")
        if rows:
            frame = pd.DataFrame(rows, columns=header).astype(str)
            widths = [max(len(column), frame[column].str.len().max()) for column in header]
            lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
            lines.extend("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in frame.values)
        lines.append("")

    block(
        "Status changes",
        ["finding", "follow-up", "old status", "new status", "groups"],
        [
            [c["finding_id"], c["followup"], c["old_status"], c["new_status"], f"{c['old_group']} -> {c['new_group']}"]
            for c in result["status_changes"]
        ],
    )
    block("Added", ["finding", "visit", "kind", "area"], [list(a.values()) for a in result["added"]])
    block("Withdrawn", ["finding"], [[w["finding_id"]] for w in result["withdrawn"]])
    block("Follow-up visits added", ["visit"], [[f["visit_id"]] for f in result["followups_added"]])
    block(
        "Implementation index per area",
        ["area", "then", "now"],
        [[a["area"], _index(a["index_from"]), _index(a["index_to"])] for a in result["areas"]],
    )
    return "\n".join(lines).rstrip() + "\n"


def _index(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# ---------------------------------------------------------------- backups

BACKUP_NAME = "report_snapshots.json"


def backup_rows(connection: Connection) -> bytes:
    """Every issued report, sealed as stored, for a portable backup (the file's bytes in base64)."""
    rows = connection.execute(select(snapshot_table).order_by(snapshot_table.c.id)).mappings().all()
    return json.dumps(
        [
            dict(row)
            | {"issued_at": _stamp(row["issued_at"]), "content": base64.b64encode(bytes(row["content"])).decode()}
            for row in rows
        ],
        ensure_ascii=False,
        indent=1,
    ).encode("utf-8")


def backup_read(data: bytes) -> list[dict]:
    """The issued reports of a backup, each checked against its seal before anything is restored."""
    try:
        rows = [
            row
            | {
                "issued_at": dt.datetime.fromisoformat(row["issued_at"].replace("Z", "+00:00")),
                "content": base64.b64decode(row["content"]),
            }
            for row in json.loads(data)
        ]
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        raise TrackerError(f"{BACKUP_NAME} in the backup is damaged ({error})", "restore from another backup") from None
    for row in rows:
        if _seal(row) != row.get("seal"):
            raise TrackerError(
                f"issued report {row.get('id')} in the backup no longer matches its seal",
                "nothing was restored; restore from another backup",
            )
    return rows


def restore_rows(connection: Connection, rows: list[dict]) -> int:
    """Put back issued reports read by `backup_read`, with their ids and seals."""
    if rows:
        connection.execute(insert(snapshot_table), rows)
        if connection.dialect.name == "postgresql":
            # Ids were given, so the sequence must be moved past them for the next issued report.
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('report_snapshot', 'id'), (SELECT max(id) FROM report_snapshot))"
                )
            )
    return len(rows)
