"""The period report's section on the States' written updates (docs/data-formats.md): every update received
in the period with what it says of each item, each status marked self-reported and counted nowhere."""

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from tracker.db import reading
from tracker.models import Confidentiality, Finding, MemberState
from tracker.services.people.access import Actor, effective_level
from tracker.services.presentation.wording import day, label, level_words
from tracker.services.progress.self_reported import SELF_REPORTED, latest_claims, updates_received
from tracker.services.reports.model import Section, Table

HEADING = "Written updates from States"


def state_label(name: str, member_state: bool) -> str:
    """A State's name as every list shows it: an entity outside the 193 says so."""
    return name if member_state else f"{name} (not a UN Member State)"


def written_updates_section(
    engine: Engine, actor: Actor, level: Confidentiality | str | None, start: dt.date, end: dt.date
) -> Section:
    level = effective_level(actor, level)
    with reading(engine) as connection:
        received = updates_received(connection, level, start=start, end=end)
        ids = sorted({claim.finding_id for update in received for claim in update.items})
        titles = dict(
            connection.execute(
                select(col(Finding.finding_id), col(Finding.title)).where(col(Finding.finding_id).in_(ids))
            ).all()
        )
        states = {
            iso3: state_label(name, member)
            for iso3, name, member in connection.execute(
                select(col(MemberState.iso3), col(MemberState.name), col(MemberState.member_state)).where(
                    col(MemberState.iso3).in_({update.state for update in received})
                )
            )
        }
    if not received:
        return Section(HEADING, paragraphs=[f"None received in the period at the {level_words(level.value)} level."])
    subsections = []
    for update in received:
        lines = [f"Received {day(update.received_on)}" + (f", {update.reference}" if update.reference else "") + "."]
        if update.summary:
            lines.append(update.summary)
        rows: list[list[Any]] = [
            [
                claim.finding_id,
                titles.get(claim.finding_id, ""),
                f"{label(claim.status)} ({SELF_REPORTED})",
                claim.evidence or None,
            ]
            for claim in update.items
        ]
        subsections.append(
            Section(
                f"{states.get(update.state, update.state)}: update {update.update_id}",
                paragraphs=lines,
                tables=[Table(["Item", "Finding", "Status as reported", "What the State says"], rows)] if rows else [],
            )
        )
    return Section(
        HEADING,
        paragraphs=[
            "What States reported in writing between visits. These statuses are the States' own: they are "
            "marked self-reported, count in no figure of this report, and are verified or corrected at the next visit."
        ],
        subsections=subsections,
    )


def latest_claims_in_words(engine: Engine, level: Confidentiality, finding_ids: list[str]) -> dict[str, str]:
    """Each item's latest self-reported status, e.g. `Fully implemented (self-reported, 2016-06-30, KOR-U-2016)`."""
    with reading(engine) as connection:
        latest = latest_claims(connection, level, finding_ids)
    return {finding_id: claim.in_words() for finding_id, claim in latest.items()}
