"""The first section of every report: what changed since the last report issued on the same scope and level."""

import pandas as pd

from tracker.services import snapshots
from tracker.services.reports.model import Section, Table
from tracker.services.snapshots import Reported, Snapshot
from tracker.services.wording import day, label, level_words

HEADING = "Since the last report"
NO_EARLIER_REPORT = "No report on this scope has been issued before."


def _difference(then: float | None, now: float | None) -> float | None:
    return None if then is None or now is None else round(now - then, 1)


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
) -> Section:
    """The changes from `last` to what this report counts; `items` are this report's item tables, concatenated."""
    if last is None:
        return Section(HEADING, paragraphs=[NO_EARLIER_REPORT])
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
    tables = [
        Table(
            ["Thematic area", "At the last report", "Now", "Change"],
            [
                [
                    area_names.get(a["area"], a["area"]),
                    a["index_from"],
                    a["index_to"],
                    _difference(a["index_from"], a["index_to"]),
                ]
                for a in found["areas"]
            ]
            + [["All areas", then_index, now_index, _difference(then_index, now_index)]],
            title="Implementation index at the last report and now",
        )
    ]
    if found["status_changes"]:
        tables.append(
            Table(
                ["Id", "Follow-up visit", "Item", "Status at the last report", "Status now"],
                [
                    [
                        c["finding_id"],
                        c["followup"],
                        titles.get(c["finding_id"], ""),
                        label(c["old_status"]),
                        label(c["new_status"]),
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
        paragraphs.append(
            "Items in the last report that this report no longer counts (withdrawn, or no longer visible at "
            f"this level): {', '.join(w['finding_id'] for w in found['withdrawn'])}."
        )
    if found["followups_added"]:
        paragraphs.append(f"Follow-up visits added: {', '.join(f['visit_id'] for f in found['followups_added'])}.")
    return Section(HEADING, paragraphs=paragraphs, tables=tables)
