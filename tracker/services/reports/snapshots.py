"""Issued reports (docs/committee-figures.md): a kept, sealed snapshot of each report, and what changed since one.

A snapshot holds what the report counted (the comparison of every follow-up in scope), every item
it reported with its status, and the issued file's bytes. It is written once and never updated;
its `seal` is an HMAC-SHA256 of every other column under a server secret kept outside the database
(seal.py), so a row changed behind the tracker's back is refused rather than trusted. A reader sees a snapshot only when cleared for its level.
"""

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Select, insert, select, text
from sqlmodel import col

import tracker.services.reports.seal as seal
from tracker.db import reading, require_schema, writing
from tracker.errors import NotFound, TrackerError
from tracker.models import STATUS_SCORE, Assessment, Confidentiality, Finding, ReportSnapshot, Status, Visit, table_of
from tracker.services.people import audit
from tracker.services.people.access import (
    Actor,
    effective_level,
    finding_visible,
    no_such,
    require_writer,
    snapshot_visible,
)
from tracker.services.presentation.frames import records
from tracker.services.progress import comparison
from tracker.services.progress.compared import Comparison

snapshot_table = table_of(ReportSnapshot)

LIST_COLUMNS = ["id", "title", "scope", "level", "format", "issued_by", "issued_at", "sha256", "size", "seal"]
NOW = "now"


@dataclass
class Reported:
    """What a report counts and lists: the comparison per follow-up and each item with its status."""

    results: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, result: Comparison, items: pd.DataFrame | list[dict[str, Any]]) -> None:
        """A follow-up's comparison and its item table (`item_table`, or the rows of `item_rows`).

        The items are those under follow-up in the follow-up's scope, each with its status there,
        carried or not, and the follow-up's own findings (with no status).
        """
        self.results.append(result.to_json())
        followup = result.followup_visit
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
    # Which kind of seal it has, in words: keyed, or keyed after being issued unkeyed (seal.kind).
    seal_kind: str = "keyed"

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


_stamp = seal.stamp


def _as_json(value: Any) -> str:
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
        raise TrackerError(
            "an issued report needs a title",
            'give one, e.g. --issue "Republic of Korea, 2024"',
            page_hint="give one under Title of the issued report",
        )
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
    key = seal.ensure_key(engine)
    row["seal"] = seal.keyed(row, key)
    with writing(engine) as connection:
        seal.reseal_unkeyed(connection, key)
        snapshot_id: int = connection.execute(insert(snapshot_table).returning(snapshot_table.c.id), [row]).scalar_one()
        changes = {name: [None, row[name]] for name in ("title", "scope", "level", "format", "issued_by", "sha256")} | {
            "issued_at": [None, _stamp(row["issued_at"])],
            "size": [None, len(content)],
        }
        audit.record(connection, actor, "create", "report_snapshot", str(snapshot_id), changes)
    return snapshot_id


def _stored_as_text(values: Mapping[str, Any]) -> bool:
    """The file's bytes were written back as text (a database changed by hand): the report is damaged."""
    return isinstance(values["content"], str)


def _seal_refusal(engine: Engine, values: dict[str, Any], key: bytes | None) -> TrackerError | None:
    """Why the stored report cannot be trusted, as one sentence; None when its seal holds."""
    number = values["id"]
    if _stored_as_text(values):
        return TrackerError(
            f"issued report {number} is damaged: its file is stored as text instead of the bytes issued",
            "restore a backup taken before the damage, or issue the report again",
        )
    match seal.problem(values, key):
        case None:
            return None
        case "no key":
            return TrackerError(
                f"issued report {number} has a keyed seal and this server has no seal key to check it",
                f"set TRACKER_SEAL_KEY, or put the key file back at {seal.key_file(engine)}",
            )
        case "unkeyed":
            return TrackerError(
                f"issued report {number} no longer matches its seal: it carries an unkeyed seal, which anyone "
                "who can write to the database can make, on a server that keys its seals",
                "restore it from a backup and ask an administrator to check the audit trail",
            )
    return TrackerError(
        f"issued report {number} no longer matches its seal: it was changed after it was issued, "
        "or this server's seal key is not the one it was sealed with",
        "restore it from a backup and ask an administrator to check the audit trail",
    )


def _snapshot(engine: Engine, row: Any) -> Snapshot:
    values = dict(row._mapping)
    refusal = _seal_refusal(engine, values, seal.server_key(engine))
    if refusal is not None:
        raise refusal
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
        seal_kind=seal.kind(values["seal"]),
    )


# The largest id either database keeps (PostgreSQL's integer); a larger number names no report.
_LARGEST_ID = 2**31 - 1


def _snapshot_id(value: int | str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise NotFound(f"'{value}' is not an issued report id", "run 'tracker reports list' to see them") from None
    if not 1 <= number <= _LARGEST_ID:
        raise NotFound(no_such("issued report", str(value).strip()), "run 'tracker reports list' to see them")
    return number


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
    return _snapshot(engine, row)


def _seal_words(engine: Engine, values: dict[str, Any], key: bytes | None) -> str:
    """The report's seal for a list: its kind when it holds, else what is wrong with it."""
    if _stored_as_text(values):
        return "damaged"
    refusal = _seal_refusal(engine, values, key)
    if refusal is None:
        return seal.kind(values["seal"])
    return "no key to check" if seal.problem(values, key) == "no key" else "broken"


def listing(engine: Engine, actor: Actor, scope: str | None = None) -> pd.DataFrame:
    """The issued reports the reader is cleared for, newest first, without their bytes; each seal is
    checked, and one that does not hold is listed as broken."""
    require_schema(engine)
    query = (
        select(snapshot_table)
        .where(snapshot_visible(actor.clearance))
        .order_by(snapshot_table.c.issued_at.desc(), snapshot_table.c.id.desc())
    )
    if scope is not None:
        query = query.where(snapshot_table.c.scope == scope)
    key = seal.server_key(engine)
    with reading(engine) as connection:
        rows = connection.execute(query).mappings().all()
    frame = pd.DataFrame(
        [
            [*(row[name] for name in LIST_COLUMNS[:-2]), len(row["content"]), _seal_words(engine, dict(row), key)]
            for row in rows
        ],
        columns=LIST_COLUMNS,
    )
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
    return None if row is None else _snapshot(engine, row)


# ---------------------------------------------------------------- what changed


def _area_indexes(reported: Reported) -> dict[str, float | None]:
    """The implementation index per top-level area over the baseline items reported, as the comparison counts it."""
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


def changes(old: Reported, new: Reported, *, area_order: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The lists of what changed between two reported states: status changes, added, withdrawn, follow-ups, areas."""
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


def index_change(then: float | None, now: float | None) -> float | None:
    """How far an index moved, to one decimal; None when it was not counted at one end."""
    return None if then is None or now is None else round(now - then, 1)


def moved_areas(areas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The areas of `changes` whose index moved (or began or stopped being counted), each with its change."""
    return [
        area | {"change": index_change(area["index_from"], area["index_to"])}
        for area in areas
        if area["index_from"] != area["index_to"]
    ]


NO_LONGER_VISIBLE = "no longer counted at this level"


def described(engine: Engine, actor: Actor, found: dict[str, Any], level: Confidentiality) -> dict[str, Any]:
    """`found` (from `changes` or `diff`) with what a reader needs beside the ids: each withdrawn item's
    title and the reason it was withdrawn, and each status change's evidence and the date of the
    assessment that gave the new status, as the reader may see them at `level`."""
    level = effective_level(actor, level)
    withdrawn_ids = [item["finding_id"] for item in found["withdrawn"]]
    query: Select[*tuple[Any, ...]] = (
        select(col(Finding.finding_id), col(Finding.title), col(Finding.withdrawn), col(Visit.withdrawn).label("visit"))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .where(col(Finding.finding_id).in_(withdrawn_ids), finding_visible(level, include_withdrawn=True))
    )
    with reading(engine) as connection:
        # Each item the reader may still see: its title, and why it went (its own reason, or its visit's).
        gone: dict[str, tuple[str, str]] = {
            finding_id: (title, own or visit or NO_LONGER_VISIBLE)
            for finding_id, title, own, visit in connection.execute(query)
        }
    withdrawn = [
        item | dict(zip(("title", "reason"), gone.get(item["finding_id"], ("", NO_LONGER_VISIBLE)), strict=True))
        for item in found["withdrawn"]
    ]
    followups = sorted({change["followup"] for change in found["status_changes"]})
    rows = comparison.item_rows(engine, actor, followups, level) if followups else {}
    assessed = {
        (followup, row["finding_id"]): row for followup, table in rows.items() for row in table if row["status"]
    }
    pairs = {(row["finding_id"], row["status_visit"]) for row in assessed.values()}
    dates: dict[tuple[str, str], dt.date | None] = {}
    if pairs:
        with reading(engine) as connection:
            for stored in connection.execute(
                select(col(Assessment.finding_id), col(Assessment.visit_id), col(Assessment.assessed_on)).where(
                    col(Assessment.finding_id).in_({finding for finding, _ in pairs})
                )
            ):
                if (stored.finding_id, stored.visit_id) in pairs:
                    dates[(stored.finding_id, stored.visit_id)] = stored.assessed_on
    status_changes = []
    for change in found["status_changes"]:
        row = assessed.get((change["followup"], change["finding_id"]))
        status_changes.append(
            change
            | {
                "evidence": row["evidence"] if row else "",
                "status_visit": row["status_visit"] if row else "",
                "assessed_on": dates.get((row["finding_id"], row["status_visit"])) if row else None,
            }
        )
    return found | {"withdrawn": withdrawn, "status_changes": status_changes}


def overall_index(reported: Reported) -> float | None:
    """The implementation index over every scored baseline item reported."""
    scores = [STATUS_SCORE[Status(item["status"])] for item in reported.items if item["status"]]
    scored = [score for score in scores if score is not None]
    return comparison.implementation_index(sum(scored), len(scored))


def diff(engine: Engine, actor: Actor, from_id: int | str, to_id: int | str | None = None) -> dict[str, Any]:
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


def render_diff_table(result: dict[str, Any]) -> str:
    """The changes for a terminal: one block per list, empty lists said in words."""
    target = "now" if result["to"] == NOW else f"issued report {result['to']}"
    lines = [
        f"Changes from issued report {result['from']} to {target}: {scope_words(result['scope'])}, "
        f"level {result['level']}",
        "",
    ]

    def block(title: str, header: list[str], rows: list[list[Any]]) -> None:
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


def _backup_row(row: Any) -> dict[str, Any]:
    if _stored_as_text(row):
        # Kept as stored: the text is what there is, and reading it back says the report is damaged.
        return dict(row) | {"issued_at": _stamp(row["issued_at"]), "content": None, "content_text": row["content"]}
    return dict(row) | {
        "issued_at": _stamp(row["issued_at"]),
        "content": base64.b64encode(bytes(row["content"])).decode(),
    }


def backup_rows(connection: Connection) -> tuple[bytes, list[int]]:
    """Every issued report, sealed as stored, for a portable backup (the file's bytes in base64), and
    the ids of the damaged ones, whose file is stored as text: those are kept as they are."""
    rows = connection.execute(select(snapshot_table).order_by(snapshot_table.c.id)).mappings().all()
    data = json.dumps([_backup_row(row) for row in rows], ensure_ascii=False, indent=1).encode("utf-8")
    return data, [row["id"] for row in rows if _stored_as_text(dict(row))]


def backup_read(data: bytes, key: bytes) -> list[dict[str, Any]]:
    """The issued reports of a backup, each checked against its seal under this server's key before
    anything is restored (one issued before keyed seals against its unkeyed one)."""
    try:
        rows = [
            {name: value for name, value in row.items() if name != "content_text"}
            | {
                "issued_at": dt.datetime.fromisoformat(row["issued_at"].replace("Z", "+00:00")),
                # A report kept damaged comes back as the bytes of its text: it reads back only if
                # they are the bytes issued, and is otherwise refused as changed after it was issued.
                "content": row["content_text"].encode("utf-8")
                if "content_text" in row
                else base64.b64decode(row["content"]),
            }
            for row in json.loads(data)
        ]
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        raise TrackerError(f"{BACKUP_NAME} in the backup is damaged ({error})", "restore from another backup") from None
    damaged = {row.get("id") for row in json.loads(data) if "content_text" in row}
    for row in rows:
        if row.get("id") not in damaged and seal.problem(row, key) not in (None, "unkeyed"):
            raise TrackerError(
                f"issued report {row.get('id')} in the backup does not match its seal under this server's seal key, "
                "so nothing was restored",
                "if the backup was taken on another server, give this one that server's seal key "
                "(TRACKER_SEAL_KEY or its key file), else restore from another backup",
            )
    return rows


def restore_rows(connection: Connection, rows: list[dict[str, Any]], key: bytes) -> int:
    """Put back issued reports read by `backup_read`, with their ids and seals; those issued before
    keyed seals are sealed again under the key, as `tracker init` does."""
    if rows:
        connection.execute(insert(snapshot_table), rows)
        seal.reseal_unkeyed(connection, key)
        if connection.dialect.name == "postgresql":
            # Ids were given, so the sequence must be moved past them for the next issued report.
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('report_snapshot', 'id'), (SELECT max(id) FROM report_snapshot))"
                )
            )
    return len(rows)
