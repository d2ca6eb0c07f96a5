"""The first section of every report: what changed since the last report issued on the same scope and level."""

from collections.abc import Sequence
from typing import Any

import pandas as pd

from tracker.services.presentation.wording import day, label, level_words, signed
from tracker.services.progress.self_reported import SELF_REPORTED, ReceivedUpdate
from tracker.services.reports import snapshots
from tracker.services.reports.model import Section, Table
from tracker.services.reports.since_dates import Reassessed
from tracker.services.reports.snapshots import Reported, Snapshot

HEADING = "Since the last report"
NO_EARLIER_REPORT = "No report on this scope has been issued before."


def _count(number: int, noun: str) -> str:
    """`no item`, `1 item`, `3 items`."""
    if number == 0:
        return f"no {noun}"
    return f"1 {noun}" if number == 1 else f"{number} {noun}s"


def _issuer(username: str) -> str:
    """The command line and the laptop issue as CTED, as they write reports."""
    return "CTED" if username == "local" or username.startswith("cli:") else username


def section(
    last: Snapshot | None,
    now: Reported,
    items: pd.DataFrame,
    area_names: dict[str, str],
    found: dict[str, Any] | None = None,
    updates: Sequence[ReceivedUpdate] = (),
    reassessed: Sequence[Reassessed] = (),
) -> Section:
    """The changes from `last` to what this report counts; `items` are this report's item tables, concatenated.

    `found` is `snapshots.changes` between them, as `snapshots.described` tells it (titles and reasons
    of withdrawn items, evidence and dates of status moves); without it, the ids alone are told.
    `updates` are the written updates recorded since `last`, `reassessed` the items' assessments dated
    after it (`since_dates`): each told with its date.
    """
    if last is None:
        return Section(HEADING, paragraphs=[NO_EARLIER_REPORT])
    if found is None:
        found = snapshots.changes(last.reported, now, area_order=list(area_names))
    titles = dict(zip(items["finding_id"], items["title"])) if len(items) else {}
    issued = (
        f"The last report on this scope at the {level_words(last.level.value)} level, “{last.title}” "
        f"(issued report {last.id}), was issued on {day(last.issued_at.date())} by {_issuer(last.issued_by)}."
    )
    then_index, now_index = snapshots.overall_index(last.reported), snapshots.overall_index(now)
    counted = (
        f"Since then, {_count(len(found['status_changes']), 'baseline item')} changed status; "
        f"{_count(len(found['added']), 'item')} added and {_count(len(found['withdrawn']), 'item')} withdrawn; "
        f"{_count(len(found['followups_added']), 'follow-up visit')} added."
    )
    paragraphs = [issued, counted]
    if not any(found[name] for name in ("status_changes", "added", "withdrawn", "followups_added")):
        paragraphs[1] = "Nothing reported has changed since then at this level."
    moved = snapshots.moved_areas(found["areas"])
    tables = []
    if moved:
        tables.append(
            Table(
                ["Thematic area", "At the last report", "Now", "Change"],
                [
                    [area_names.get(a["area"], a["area"]), a["index_from"], a["index_to"], signed(a["change"])]
                    for a in moved
                ]
                + [["All areas", then_index, now_index, signed(snapshots.index_change(then_index, now_index))]],
                title="Implementation index of the thematic areas that moved",
            )
        )
    else:
        paragraphs.append(
            "No thematic area's implementation index moved"
            + ("." if now_index is None else f" (all areas: {now_index:.1f}).")
        )
    if found["status_changes"]:
        tables.append(
            Table(
                ["Id", "Follow-up visit", "Item", "Status at the last report", "Status now", "Evidence", "Assessed on"],
                [
                    [
                        c["finding_id"],
                        c["followup"],
                        titles.get(c["finding_id"], ""),
                        label(c["old_status"]),
                        label(c["new_status"]),
                        c.get("evidence", ""),
                        day(c["assessed_on"]) if c.get("assessed_on") else "—",
                    ]
                    for c in found["status_changes"]
                ],
                title="Items whose status changed",
            )
        )
    if found["added"]:
        tables.append(
            Table(
                ["Id", "Visit", "Kind", "Thematic area", "Item"],
                [
                    [
                        a["finding_id"],
                        a["visit_id"],
                        label(a["kind"]),
                        area_names.get(a["area"], a["area"]),
                        titles.get(a["finding_id"], ""),
                    ]
                    for a in found["added"]
                ],
                title="Items added",
            )
        )
    if found["withdrawn"]:
        tables.append(
            Table(
                ["Id", "Item", "Why it is no longer counted"],
                [[w["finding_id"], w.get("title", ""), w.get("reason", "")] for w in found["withdrawn"]],
                title="Items in the last report that this report no longer counts",
            )
        )
    if found["followups_added"]:
        paragraphs.append(f"Follow-up visits added: {', '.join(f['visit_id'] for f in found['followups_added'])}.")
    moved_ids = {c["finding_id"] for c in found["status_changes"]}
    reassessed = [r for r in reassessed if r.finding_id not in moved_ids]
    if reassessed:
        tables.append(
            Table(
                ["Id", "Assessed at", "Item", "Status", "Evidence", "Assessed on"],
                [
                    [
                        r.finding_id,
                        r.visit_id,
                        titles.get(r.finding_id, ""),
                        label(r.status),
                        r.evidence,
                        day(r.assessed_on) if r.assessed_on else "—",
                    ]
                    for r in reassessed
                ],
                title="Items re-assessed since then, their status unchanged",
            )
        )
    if updates:
        paragraphs.append(
            f"{_count(len(updates), 'written update')} of a State recorded since then, each with the date it was "
            f"received; what a State reports is {SELF_REPORTED} and counts in no figure of this report."
        )
        tables.append(
            Table(
                ["Update", "State", "Received on", "Reference", f"What it says ({SELF_REPORTED})"],
                [
                    [
                        u.update_id,
                        u.state,
                        day(u.received_on),
                        u.reference,
                        "; ".join(f"{c.finding_id}: {label(c.status)}" for c in u.items) or "—",
                    ]
                    for u in updates
                ],
                title="Written updates recorded since then",
            )
        )
    return Section(HEADING, paragraphs=paragraphs, tables=tables)
