"""The parts of a dossier read from the State's items under follow-up (docs/dossier.md): open items,
claims to verify, delivered assistance not yet verified, the track record of the State's claims, and
the new recommendations of its latest follow-up.

The items are those of a register as if a follow-up started today: every visible `continues` chain
of the State's shortfalls and recommendations, each with its latest verified status. A verification
is an assessment with a status (`not_assessed` verifies nothing), dated by its `assessed_on`, else by
the start of the visit that made it. A written update's status is never a verification.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, not_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.models import (
    STATUS_GROUP,
    STATUS_SCORE,
    Assessment,
    Confidentiality,
    Finding,
    FindingKind,
    Status,
    StatusGroup,
    ThematicArea,
    Visit,
)
from tracker.services.dossier.model import (
    CONFIRMED,
    HIGHER,
    LOWER,
    ClaimToVerify,
    DeliveredAssistance,
    NewRecommendation,
    OpenItem,
    TrackRecord,
    VerifiedClaim,
    years_between,
)
from tracker.services.people.access import continued_shown, finding_visible
from tracker.services.presentation.frames import rows_of
from tracker.services.progress import register, self_reported
from tracker.services.progress.register import History, HistoryVisit, TrackedFinding

_SCORE = {status.value: score for status, score in STATUS_SCORE.items()}
_CLOSED = {status.value for status, group in STATUS_GROUP.items() if group == StatusGroup.closed}
# Statuses after which an item is no longer followed: closed, or judged no longer relevant.
_SETTLED = _CLOSED | {Status.no_longer_relevant.value}
_NOT_ASSESSED = Status.not_assessed.value
_DELIVERED = "delivered"


@dataclass(frozen=True)
class Verification:
    on: dt.date
    visit_id: str
    status: str


@dataclass(frozen=True)
class Chain:
    """One item under follow-up: its findings (the earliest first) and its verifications, oldest first."""

    first: TrackedFinding
    members: tuple[str, ...]
    priority: bool
    verifications: list[Verification]

    @property
    def latest(self) -> Verification | None:
        return self.verifications[-1] if self.verifications else None

    def first_after(self, day: dt.date) -> Verification | None:
        return next((v for v in self.verifications if v.on > day), None)


def _assessed_on(connection: Connection, history: History) -> dict[tuple[str, str], dt.date]:
    """The dates the State's visible assessments give, by (finding, visit)."""
    wanted = {(j.finding_id, j.visit_id) for listed in history.assessments.values() for j in listed}
    ids = sorted({finding_id for finding_id, _ in wanted})
    found: dict[tuple[str, str], dt.date] = {}
    for start in range(0, len(ids), 1000):
        for finding_id, visit_id, day in connection.execute(
            select(col(Assessment.finding_id), col(Assessment.visit_id), col(Assessment.assessed_on)).where(
                col(Assessment.finding_id).in_(ids[start : start + 1000]), col(Assessment.assessed_on).is_not(None)
            )
        ):
            if (finding_id, visit_id) in wanted and day is not None:
                found[finding_id, visit_id] = day
    return found


def read_chains(connection: Connection, history: History) -> list[Chain]:
    """Every item under follow-up of the State, in the order the items were raised."""
    dates = _assessed_on(connection, history)
    chains = []
    for chain in register.chains(history).values():
        members = tuple(finding.finding_id for finding in chain)
        found = []
        for position, finding_id in enumerate(members):
            for judgement in history.assessments.get(finding_id, ()):
                visit = history.visits.get(judgement.visit_id)
                if visit is None or judgement.status == _NOT_ASSESSED:
                    continue
                day = dates.get((finding_id, judgement.visit_id), visit.start_date)
                found.append(((day, visit.start_date, visit.visit_id, position), judgement))
        found.sort(key=lambda pair: pair[0])
        verifications = [Verification(rank[0], judgement.visit_id, judgement.status) for rank, judgement in found]
        chains.append(Chain(chain[0], members, any(f.priority for f in chain), verifications))
    return chains


def open_items(history: History, chains: list[Chain], today: dt.date, order: dict[str, int]) -> list[OpenItem]:
    """Items whose latest verified status is not closed (nor no longer relevant), priority items first.

    The status is that of the register as if a follow-up started today, so it follows `status_at`.
    """
    now = HistoryVisit("", history.state, "follow_up", today, None, None)
    found = []
    for chain in chains:
        judgement = register.status_at(history, chain.members, now)
        status = judgement.status if judgement else _NOT_ASSESSED
        if status in _SETTLED:
            continue
        first = chain.first
        raised_on = history.visits[first.visit_id].start_date
        if judgement is None or judgement.status == _NOT_ASSESSED:
            since = raised_on
        else:
            since = next(
                (v.on for v in reversed(chain.verifications) if v.visit_id == judgement.visit_id),
                history.visits[judgement.visit_id].start_date,
            )
        found.append(
            OpenItem(
                first.finding_id,
                first.area,
                first.area_name,
                first.sub_area,
                first.kind,
                chain.priority,
                first.title,
                status,
                judgement.visit_id if judgement else None,
                since,
                years_between(since, today),
                first.visit_id,
            )
        )
    return sorted(found, key=lambda item: (not item.priority, order.get(item.area, 0), item.finding_id))


def _outcome(claimed: str, verified: str) -> str | None:
    if claimed == verified:
        return CONFIRMED
    before, after = _SCORE.get(claimed), _SCORE.get(verified)
    if before is None or after is None:
        return None
    return CONFIRMED if before == after else LOWER if after < before else HIGHER


def claims_and_record(
    connection: Connection, level: Confidentiality, chains: list[Chain]
) -> tuple[list[ClaimToVerify], TrackRecord]:
    """Self-reported statuses newer than the item's latest verification, and how the State's claims
    that a later visit verified held up (the first verification after each claim decides)."""
    said = self_reported.claims(connection, level, (m for chain in chains for m in chain.members))
    to_verify, verified = [], []
    for chain in chains:
        claims = sorted(
            (claim for member in chain.members for claim in said.get(member, ())),
            key=lambda claim: (claim.received_on, claim.update_id),
        )
        if not claims:
            continue
        first, latest = chain.first, chain.latest
        newest = claims[-1]
        if latest is None or newest.received_on > latest.on:
            to_verify.append(
                ClaimToVerify(
                    first.finding_id,
                    first.area,
                    first.area_name,
                    first.title,
                    newest.status,
                    newest.update_id,
                    newest.received_on,
                    latest.status if latest else _NOT_ASSESSED,
                    latest.on if latest else None,
                )
            )
        for claim in claims:
            verification = chain.first_after(claim.received_on)
            outcome = _outcome(claim.status, verification.status) if verification else None
            if verification is None or outcome is None:
                continue
            verified.append(
                VerifiedClaim(
                    first.finding_id,
                    first.area,
                    first.area_name,
                    first.title,
                    claim.status,
                    claim.update_id,
                    claim.received_on,
                    verification.status,
                    verification.visit_id,
                    outcome,
                )
            )
    return to_verify, TrackRecord(verified)


def delivered_not_verified(history: History, chains: list[Chain], pipeline: pd.DataFrame) -> list[DeliveredAssistance]:
    """Delivered TA whose addressed item no visit has assessed since the delivery (the TA record's date,
    else the start of the visit that found the need)."""
    by_member = {member: chain for chain in chains for member in chain.members}
    found = []
    for row in rows_of(pipeline, index=False):
        chain = by_member.get(row.addresses) if row.status == _DELIVERED and isinstance(row.addresses, str) else None
        if chain is None:
            continue
        delivered_on = row.updated_on if isinstance(row.updated_on, dt.date) else None
        need_visit = history.visits.get(row.visit_id)
        since = delivered_on or (need_visit.start_date if need_visit else None)
        if since is not None and chain.first_after(since) is not None:
            continue
        latest = chain.latest
        found.append(
            DeliveredAssistance(
                row.finding_id,
                chain.first.area,
                chain.first.area_name,
                row.title,
                chain.first.finding_id,
                chain.first.title,
                delivered_on,
                row.providers,
                latest.status if latest else _NOT_ASSESSED,
                latest.on if latest else None,
            )
        )
    return found


def latest_followup(history: History) -> HistoryVisit | None:
    followups = [visit for visit in history.ordered_visits() if visit.is_followup]
    return followups[-1] if followups else None


def new_recommendations(connection: Connection, level: Confidentiality, followup_id: str) -> list[NewRecommendation]:
    """The recommendations raised at the follow-up that continue no finding the reader may see."""
    parent = aliased(ThematicArea)
    top = func.coalesce(col(ThematicArea.parent), col(ThematicArea.code))
    rows = connection.execute(
        select(
            col(Finding.finding_id),
            col(parent.code),
            col(parent.name),
            col(Finding.area),
            col(Finding.priority),
            col(Finding.title),
            col(Finding.visit_id),
        )
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
        .join(parent, col(parent.code) == top)
        .where(
            col(Finding.visit_id) == followup_id,
            col(Finding.kind) == FindingKind.recommendation.value,
            finding_visible(level),
            not_(continued_shown(level)),
        )
        .order_by(col(parent.sort_order), col(Finding.finding_id))
    ).all()
    return [NewRecommendation(*row[:4], bool(row[4]), *row[5:]) for row in rows]


def area_order(areas: Iterable[tuple[str, str]]) -> dict[str, int]:
    return {code: position for position, (code, _) in enumerate(areas)}
