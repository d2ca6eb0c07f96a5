"""The items under follow-up of a State and their status at each follow-up (docs/committee-figures.md).

A State's history is read in three queries (its visible visits, trackable findings and
assessments); everything else is worked out in Python over those rows: the register of a
follow-up (one item per `continues` chain, keyed by the chain's earliest finding), each item's
status carried forward from its latest assessment, and the visit's scope.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.models import (
    STATUS_GROUP,
    STATUS_SCORE,
    TRACKABLE_KINDS,
    Assessment,
    Confidentiality,
    Finding,
    Status,
    ThematicArea,
    Visit,
    VisitKind,
    scope_codes,
)
from tracker.services.people.access import assessment_visible_joined, finding_visible, visit_visible

TRACKABLE = [kind.value for kind in TRACKABLE_KINDS]
# By the stored text: looking a status up needs no enumeration member.
SCORE_OF = {status.value: score for status, score in STATUS_SCORE.items()}
_GROUP = {status.value: group.value for status, group in STATUS_GROUP.items()}
_NOT_ASSESSED = Status.not_assessed.value
_CHUNK = 500


def out_of_scope_message(finding_id: str, area: str, top_area: str, visit_id: str) -> str:
    """Why an assessment of an item outside the assessing visit's scope is refused, in one sentence."""
    where = top_area if area == top_area else f"{area} (under {top_area})"
    return (
        f"finding {finding_id} is in area {where}, outside the scope of visit {visit_id}; "
        f"add {top_area} to the visit's scope, or assess it at a visit that covered {top_area}"
    )


def in_scope(scope: str | None, top_area: str) -> bool:
    """Whether a stored scope (blank: every area) covers a top-level area."""
    codes = scope_codes(scope)
    return not codes or top_area in codes


@dataclass(frozen=True)
class HistoryVisit:
    visit_id: str
    state: str
    kind: str
    start_date: dt.date
    baseline_visit_id: str | None
    # The top-level areas covered; None for every area.
    scope: frozenset[str] | None

    @property
    def is_followup(self) -> bool:
        return self.kind == VisitKind.follow_up.value or self.baseline_visit_id is not None

    def covers(self, area: str) -> bool:
        return self.scope is None or area in self.scope


# Named tuples rather than dataclasses: a cross-State read makes one per finding and assessment.
class TrackedFinding(NamedTuple):
    """A visible shortfall or recommendation of the State."""

    finding_id: str
    visit_id: str
    area: str
    kind: str
    continues: str | None
    # What tables show of it; left empty by a read that only counts.
    sub_area: str = ""
    priority: bool = False
    severity: str = ""
    title: str = ""
    confidentiality: str = ""
    area_name: str = ""
    sub_area_name: str = ""
    source_ref: str = ""


class Judgement(NamedTuple):
    """A visible assessment: a finding's status as judged at a visit."""

    finding_id: str
    visit_id: str
    status: str
    evidence: str


@dataclass
class History:
    """Every visible visit, trackable finding and assessment of one State."""

    state: str
    visits: dict[str, HistoryVisit] = field(default_factory=dict)
    findings: list[TrackedFinding] = field(default_factory=list)
    assessments: dict[str, list[Judgement]] = field(default_factory=lambda: defaultdict(list))

    def ordered_visits(self) -> list[HistoryVisit]:
        return sorted(self.visits.values(), key=lambda v: (v.start_date, v.visit_id))

    def previous_followup(self, followup_id: str) -> HistoryVisit | None:
        """The State's follow-up visit that started last before this one, if any."""
        this = self.visits[followup_id]
        earlier = [v for v in self.ordered_visits() if v.is_followup and v.start_date < this.start_date]
        return earlier[-1] if earlier else None


class Item(NamedTuple):
    """An item under follow-up at a follow-up visit, with its status there."""

    finding: TrackedFinding
    # Every finding of the chain, the earliest first.
    members: tuple[str, ...]
    status: str
    # The visit whose assessment gave the status; None when not assessed.
    status_visit: str | None
    evidence: str
    in_scope: bool
    followup: str

    @property
    def key(self) -> str:
        return self.finding.finding_id

    @property
    def raised_at(self) -> str:
        return self.finding.visit_id

    @property
    def carried(self) -> bool:
        return self.status_visit is not None and self.status_visit != self.followup

    @property
    def group(self) -> str:
        return _GROUP[self.status]

    @property
    def score(self) -> int | None:
        return SCORE_OF[self.status]


@dataclass(frozen=True)
class Register:
    """The items under follow-up at a follow-up visit F of a State with baseline B."""

    history: History
    followup: HistoryVisit
    baseline: HistoryVisit
    # Every item, in scope or not, in the order they were raised.
    items: list[Item]

    @property
    def scope(self) -> list[str] | None:
        return None if self.followup.scope is None else sorted(self.followup.scope)

    def in_scope(self) -> list[Item]:
        return [item for item in self.items if item.in_scope]

    def baseline_items(self) -> list[Item]:
        return [item for item in self.items if item.in_scope and item.raised_at == self.baseline.visit_id]

    def out_of_scope(self) -> int:
        return sum(1 for item in self.items if not item.in_scope and item.raised_at == self.baseline.visit_id)

    def out_of_scope_areas(self) -> set[str]:
        """The areas of the items under follow-up that the follow-up's scope leaves out."""
        return {item.finding.area for item in self.items if not item.in_scope}


# ---------------------------------------------------------------- reading a State's history


def _scope(stored: str | None) -> frozenset[str] | None:
    codes = scope_codes(stored)
    return frozenset(codes) if codes else None


def read_histories(
    connection: Connection, states: Iterable[str], level: Confidentiality, *, details: bool = True
) -> dict[str, History]:
    """The visible history of each State, by ISO3 code, in three queries per batch of States.

    Without `details`, findings are read with only what the register and its counts need.
    """
    histories: dict[str, History] = {}
    wanted = sorted(set(states))
    parent = aliased(ThematicArea)
    top_area = func.coalesce(col(ThematicArea.parent), col(ThematicArea.code))
    shown = (
        col(Finding.area),
        col(Finding.priority),
        func.coalesce(col(Finding.severity), ""),
        col(Finding.title),
        col(Finding.confidentiality),
        col(parent.name),
        col(ThematicArea.name),
        col(Finding.source_ref),
    )
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for state in chunk:
            histories[state] = History(state)
        for row in connection.execute(
            select(
                col(Visit.visit_id),
                col(Visit.state),
                col(Visit.kind),
                col(Visit.start_date),
                col(Visit.baseline_visit_id),
                col(Visit.scope),
            ).where(col(Visit.state).in_(chunk), visit_visible(level))
        ):
            histories[row.state].visits[row.visit_id] = HistoryVisit(
                row.visit_id, row.state, row.kind, row.start_date, row.baseline_visit_id, _scope(row.scope)
            )
        query = (
            select(
                col(Visit.state),
                col(Finding.finding_id),
                col(Finding.visit_id),
                top_area,
                col(Finding.kind),
                # Kept only when it names a finding read here (a visible shortfall or recommendation of
                # the State): a link to any other finding never joins a chain.
                col(Finding.continues),
                *(shown if details else ()),
            )
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
            .where(col(Visit.state).in_(chunk), col(Finding.kind).in_(TRACKABLE), finding_visible(level))
            .order_by(col(Visit.start_date), col(Finding.finding_id))
        )
        if details:
            query = query.join(parent, col(parent.code) == top_area)
        rows = connection.execute(query).all()
        if details:
            for state, *values in rows:
                values[6] = bool(values[6])
                histories[state].findings.append(TrackedFinding(*values))
            for history in (histories[state] for state in chunk):
                # A link to a finding not read here joins no chain; tables show it as no link.
                read = {finding.finding_id for finding in history.findings}
                history.findings = [
                    finding if finding.continues is None or finding.continues in read else _unlinked(finding)
                    for finding in history.findings
                ]
        else:
            # Read a million times for a cross-State index: no list per row. A link to a finding not
            # read here is left as it is, as `chains` follows only links to findings it has met.
            for found in rows:
                histories[found[0]].findings.append(TrackedFinding(found[1], found[2], found[3], found[4], found[5]))
        assessed_visit = aliased(Visit)
        assessments = connection.execute(
            select(
                col(Visit.state),
                col(Assessment.finding_id),
                col(Assessment.visit_id),
                col(Assessment.status),
                (func.coalesce(col(Assessment.evidence), "") if details else literal("")),
            )
            .join(Finding, col(Finding.finding_id) == col(Assessment.finding_id))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .join(assessed_visit, col(assessed_visit.visit_id) == col(Assessment.visit_id))
            .where(
                col(Visit.state).in_(chunk),
                col(Finding.kind).in_(TRACKABLE),
                and_(finding_visible(level), assessment_visible_joined(level, Assessment, assessed_visit)),
            )
        ).all()
        for assessed in assessments:
            histories[assessed[0]].assessments[assessed[1]].append(
                Judgement(assessed[1], assessed[2], assessed[3], assessed[4])
            )
    return histories


def _unlinked(finding: TrackedFinding) -> TrackedFinding:
    return finding._replace(continues=None)


# ---------------------------------------------------------------- the register and the status at a visit


def _chains(history: History, visit_ids: set[str]) -> dict[str, list[TrackedFinding]]:
    """The findings raised at the given visits, grouped into `continues` chains by earliest finding."""
    root: dict[str, str] = {}
    chains: dict[str, list[TrackedFinding]] = {}
    # Findings come oldest visit first, so a chain's earlier finding is met before its restatement.
    for finding in history.findings:
        if finding.visit_id not in visit_ids:
            continue
        key = root.get(finding.continues) if finding.continues else None
        if key is None:
            key = finding.finding_id
            chains[key] = []
        root[finding.finding_id] = key
        chains[key].append(finding)
    return chains


def chains(history: History) -> dict[str, list[TrackedFinding]]:
    """Every `continues` chain of the State's trackable findings, by earliest finding."""
    return _chains(history, set(history.visits))


def status_at(history: History, members: Iterable[str], visit: HistoryVisit) -> Judgement | None:
    """The latest assessment of any finding of a chain made at a visit up to and including `visit`.

    Of two made at the same visit, that of the chain's later finding (its restatement) counts.
    """
    best: tuple[Any, ...] | None = None
    found = None
    assessments, visits, limit, here = history.assessments, history.visits, visit.start_date, visit.visit_id
    for position, finding_id in enumerate(members):
        for judgement in assessments.get(finding_id, ()):
            at = visits.get(judgement.visit_id)
            if at is None or at.start_date > limit:
                continue
            rank = (at.start_date, at.visit_id == here, at.visit_id, position)
            if best is None or rank > best:
                best, found = rank, judgement
    return found


def judgement_at(history: History, members: Iterable[str], visit_id: str) -> Judgement | None:
    """The assessment of a chain made at one visit, that of its latest finding if several."""
    found = None
    for finding_id in members:
        for judgement in history.assessments.get(finding_id, ()):
            if judgement.visit_id == visit_id:
                found = judgement
    return found


def register_visits(history: History, followup: HistoryVisit, baseline: HistoryVisit) -> set[str]:
    """The baseline and every visit of the State that started after it and before the follow-up."""
    return {baseline.visit_id} | {
        v.visit_id for v in history.visits.values() if baseline.start_date < v.start_date < followup.start_date
    }


def register(history: History, followup_id: str) -> Register:
    """The items under follow-up at a follow-up visit (whose baseline is visible), with their status there."""
    followup = history.visits[followup_id]
    baseline = history.visits[followup.baseline_visit_id or ""]
    items = []
    covers = followup.covers
    for chain in _chains(history, register_visits(history, followup, baseline)).values():
        first = chain[0]
        members = tuple(finding.finding_id for finding in chain) if len(chain) > 1 else (first.finding_id,)
        judgement = status_at(history, members, followup)
        if judgement is None:
            items.append(Item(first, members, _NOT_ASSESSED, None, "", covers(first.area), followup_id))
        else:
            items.append(
                Item(
                    first,
                    members,
                    judgement.status,
                    judgement.visit_id,
                    judgement.evidence,
                    covers(first.area),
                    followup_id,
                )
            )
    return Register(history, followup, baseline, items)


@dataclass(frozen=True)
class LikeForLike:
    """The index at the previous follow-up and at this one over the same items."""

    followup: str
    items: int
    score_then: int
    score_now: int


def since_previous(history: History, now: Register) -> LikeForLike | None:
    """The items of the previous follow-up's register, in both scopes and scored at both visits."""
    previous = history.previous_followup(now.followup.visit_id)
    if previous is None or previous.baseline_visit_id not in history.visits:
        return None
    then = register(history, previous.visit_id)
    # A chain of the earlier register is followed into the later one's, which may restate it further.
    later_chain = {member: item.members for item in now.items for member in item.members}
    items = then_sum = now_sum = 0
    for item in then.items:
        if not item.in_scope or not now.followup.covers(item.finding.area) or item.score is None:
            continue
        members = list(item.members)
        for member in item.members:
            members += later_chain.get(member, ())
        judgement = status_at(history, list(dict.fromkeys(members)), now.followup)
        score = SCORE_OF[judgement.status] if judgement else None
        if score is None:
            continue
        items += 1
        then_sum += item.score
        now_sum += score
    return LikeForLike(previous.visit_id, items, then_sum, now_sum)
