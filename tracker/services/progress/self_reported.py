"""What States say of their items in written updates (docs/data-formats.md): shown beside the verified
status, marked self-reported with its date, and never counted in any figure."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlmodel import col

from tracker.models import Confidentiality, Update, UpdateItem
from tracker.services.people.access import update_item_visible, update_visible
from tracker.services.presentation.wording import label

SELF_REPORTED = "self-reported"


@dataclass(frozen=True)
class Claim:
    """One item's status as a State's update reports it."""

    finding_id: str
    update_id: str
    received_on: dt.date
    status: str
    evidence: str

    def in_words(self) -> str:
        """e.g. `Fully implemented (self-reported, 2016-06-30, KOR-U-2016)`."""
        return f"{label(self.status)} ({SELF_REPORTED}, {self.received_on.isoformat()}, {self.update_id})"


def _claims_query(level: Confidentiality) -> Select[*tuple[Any, ...]]:
    return (
        select(
            col(UpdateItem.finding_id),
            col(UpdateItem.update_id),
            col(Update.received_on),
            col(UpdateItem.status),
            col(UpdateItem.evidence),
        )
        .join(Update, col(Update.update_id) == col(UpdateItem.update_id))
        .where(update_item_visible(level))
        .order_by(col(UpdateItem.finding_id), col(Update.received_on), col(UpdateItem.update_id))
    )


def claims(connection: Connection, level: Confidentiality, finding_ids: Iterable[str]) -> dict[str, list[Claim]]:
    """Every visible self-reported status of these findings, oldest first."""
    wanted = sorted(set(finding_ids))
    found: dict[str, list[Claim]] = {}
    for start in range(0, len(wanted), 5000):
        query = _claims_query(level).where(col(UpdateItem.finding_id).in_(wanted[start : start + 5000]))
        for row in connection.execute(query):
            found.setdefault(row[0], []).append(Claim(*row))
    return found


def latest_claims(connection: Connection, level: Confidentiality, finding_ids: Iterable[str]) -> dict[str, Claim]:
    """The latest visible self-reported status of each of these findings that has one."""
    return {finding_id: listed[-1] for finding_id, listed in claims(connection, level, finding_ids).items()}


def latest_claims_of_state(connection: Connection, level: Confidentiality, state: str) -> dict[str, Claim]:
    """The latest visible self-reported status of each item of a State that its updates speak of."""
    latest: dict[str, Claim] = {}
    for row in connection.execute(_claims_query(level).where(col(Update.state) == state)):
        latest[row[0]] = Claim(*row)
    return latest


@dataclass(frozen=True)
class ReceivedUpdate:
    update_id: str
    state: str
    received_on: dt.date
    reference: str
    summary: str
    items: tuple[Claim, ...]


def updates_received(
    connection: Connection,
    level: Confidentiality,
    *,
    state: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[ReceivedUpdate]:
    """The visible updates of a State, or of every State, received in [start, end], oldest first, with their items."""
    query = select(
        col(Update.update_id), col(Update.state), col(Update.received_on), col(Update.reference), col(Update.summary)
    ).where(update_visible(level))
    if state is not None:
        query = query.where(col(Update.state) == state)
    if start is not None:
        query = query.where(col(Update.received_on) >= start)
    if end is not None:
        query = query.where(col(Update.received_on) <= end)
    updates = connection.execute(query.order_by(col(Update.received_on), col(Update.update_id))).all()
    items: dict[str, list[Claim]] = {}
    ids = [row[0] for row in updates]
    for first in range(0, len(ids), 5000):
        for row in connection.execute(
            _claims_query(level).where(col(UpdateItem.update_id).in_(ids[first : first + 5000]))
        ):
            items.setdefault(row[1], []).append(Claim(*row))
    return [ReceivedUpdate(*row, items=tuple(items.get(row[0], ()))) for row in updates]
