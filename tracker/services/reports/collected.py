"""What a report reads of each follow-up visit, once for a whole period: the comparison, the items,
the visits and what they list, at the report's level; and what every report says of itself."""

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace
from typing import Any, Literal, cast

import pandas as pd
from sqlalchemy import Engine

from tracker.errors import TrackerError
from tracker.models import Confidentiality, FindingKind
from tracker.services.bundle.demo import ILLUSTRATIVE_MARK
from tracker.services.people.access import Actor
from tracker.services.presentation import frames
from tracker.services.presentation.palette import GROUP_NAMES, STATUS_GROUPS
from tracker.services.presentation.wording import date_span, level_words
from tracker.services.progress import comparison, trends
from tracker.services.progress.compared import Comparison
from tracker.services.progress.comparison import ITEM_ROLES, NewIssue, PriorityItem
from tracker.services.records import editing as records
from tracker.services.reports import after_visit, since_dates, since_last, snapshots, written_updates
from tracker.services.reports.model import Section

# The per-area tables: title, then each column's header and the comparison's count it shows.
AREA_TABLES = [
    (
        "Baseline shortfalls by status at the follow-up visit",
        [
            ("Shortfalls", "baseline_gaps"),
            *((group.words, f"gaps_{group.name}") for group in STATUS_GROUPS),
        ],
    ),
    (
        "Baseline recommendations by status at the follow-up visit",
        [
            ("Recommendations", "baseline_recommendations"),
            *((group.words, f"recs_{group.name}") for group in STATUS_GROUPS),
        ],
    ),
    (
        "Implementation index and shortfalls found at the follow-up visit",
        [
            ("Index", "implementation_index"),
            ("Scored items", "scored_items"),
            ("Follow-up shortfalls", "followup_gaps"),
            ("New shortfalls", "new_gaps"),
        ],
    ),
    (
        "Good practices and technical assistance needs",
        [
            ("Good practices, baseline", "good_practices_baseline"),
            ("Good practices, follow-up", "good_practices_followup"),
            ("TA needs, baseline", "ta_needs_baseline"),
            ("TA needs, follow-up", "ta_needs_followup"),
        ],
    ),
]
GROUPS = GROUP_NAMES
# How the summary across States may be ordered: by State name (the default) or by index, highest first.
PeriodSort = Literal["state", "index"]
PERIOD_SORTS: tuple[str, ...] = ("state", "index")

_SEVERITY_RANK = {"major": 0, "moderate": 1, "minor": 2}
_TOP_SHORTFALLS = 5
_PERIOD = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """`YYYY-MM-DD..YYYY-MM-DD`, both days included."""
    match = _PERIOD.match(text or "")
    try:
        if match is None:
            raise ValueError(text)
        start, end = (dt.date.fromisoformat(day) for day in match.groups())
    except ValueError:
        raise TrackerError(f"'{text}' is not a period", "write it as FROM..TO, e.g. 2023-01-01..2023-12-31") from None
    if end < start:
        raise TrackerError(f"the period {text} ends before it starts", "put the earlier date first")
    return start, end


def period_sort(text: str | None) -> PeriodSort:
    """The summary's order named on the command line or the page: `state` (the default) or `index`."""
    chosen = (text or "state").strip().lower()
    if chosen not in PERIOD_SORTS:
        raise TrackerError(f"'{text}' is not a sort order of the summary", "use state or index")
    return cast(PeriodSort, chosen)


def period_title(start: dt.date, end: dt.date) -> str:
    """`Follow-up visits, 1 January – 31 December 2023`."""
    return f"Follow-up visits, {date_span(start, end)}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def author(actor: Actor) -> str:
    """The signed-in user writes the report; the command line and the laptop write as CTED."""
    if actor.username == "local" or actor.username.startswith("cli:"):
        return "CTED"
    return actor.username


@dataclass
class FollowUp:
    """Everything one follow-up's sections show, read at one level."""

    state_name: str
    result: Comparison
    areas: pd.DataFrame
    # Its item table (`comparison.item_rows`).
    items: list[dict[str, Any]]
    new_issues: list[NewIssue]
    priorities: list[PriorityItem]
    area_names: dict[str, str]
    # The two visits, baseline first; good practices and TA needs, and meetings, as rows of plain values.
    visits: list[dict[str, Any]]
    strengths_and_needs: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    level: Confidentiality
    trend: pd.DataFrame
    pipeline: Section
    # Each item's latest self-reported status in words, shown beside the verified one, never counted.
    claims: dict[str, str] = field(default_factory=dict)
    # The date each item's status refers to, where the assessment gave one.
    dates: dict[str, dt.date] = field(default_factory=dict)

    @cached_property
    def baseline(self) -> SimpleNamespace:
        return self._visit(self.result.baseline_visit)

    @cached_property
    def followup(self) -> SimpleNamespace:
        return self._visit(self.result.followup_visit)

    def _visit(self, visit_id: str) -> SimpleNamespace:
        """A visit's fields by name, and its id as `name`."""
        visit = next(visit for visit in self.visits if visit["visit_id"] == visit_id)
        return SimpleNamespace(**visit, name=visit_id)

    @cached_property
    def remaining(self) -> list[dict[str, Any]]:
        """The top remaining shortfalls, which the summary, its sentences and the digest all name."""
        return top_remaining_shortfalls(self.items)

    @property
    def illustrative(self) -> bool:
        return any(ILLUSTRATIVE_MARK in (visit["summary"] or "") for visit in self.visits)

    def area_name(self, code: str) -> str:
        return self.area_names.get(code, code)


_LISTED_KINDS = (FindingKind.good_practice.value, FindingKind.ta_need.value)


@dataclass
class Listed:
    """Good practices, TA needs and meetings of many visits, each read once for a whole period."""

    findings: dict[tuple[str, str], list[dict[str, Any]]]
    meetings: dict[str, list[dict[str, Any]]]
    resolutions: dict[str, Any]

    @classmethod
    def read(cls, engine: Engine, actor: Actor, level: Confidentiality) -> "Listed":
        findings = pd.concat(records.list_findings(engine, actor, kind=kind, level=level)[0] for kind in _LISTED_KINDS)
        meetings = records.list_meetings(engine, actor, level=level)
        listed_findings: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in frames.records(findings):
            listed_findings.setdefault((str(row["visit_id"]), str(row["kind"])), []).append(row)
        listed_meetings: dict[str, list[dict[str, Any]]] = {}
        for row in frames.records(meetings):
            listed_meetings.setdefault(str(row["visit_id"]), []).append(row)
        return cls(listed_findings, listed_meetings, records.reference_options(engine)["resolutions"])

    def strengths_and_needs(self, visit_ids: list[str]) -> list[dict[str, Any]]:
        return [row for v in visit_ids for k in _LISTED_KINDS for row in self.findings.get((v, k), [])]

    def meetings_of(self, visit_ids: list[str]) -> list[dict[str, Any]]:
        return [row for v in visit_ids for row in self.meetings.get(v, [])]


def collect(engine: Engine, actor: Actor, iso3: str, followup: str | None, level: Confidentiality) -> FollowUp:
    """One follow-up of a state (by default its latest), read as a period reads many."""
    pair = comparison.resolve(engine, actor, iso3, followup, level)
    known = comparison.followup_visits(engine, actor, pair.state, level)
    return collect_all(engine, actor, known[known["visit_id"] == pair.followup], level)[0]


def collect_all(
    engine: Engine,
    actor: Actor,
    followups: pd.DataFrame,
    level: Confidentiality,
    names: dict[str, str] | None = None,
    index: pd.DataFrame | None = None,
    listed: Listed | None = None,
) -> list[FollowUp]:
    """Each follow-up of `followups` (rows of `followup_visits`), every kind of row read once for all."""
    followup_ids = list(followups["visit_id"])
    state_names = dict(zip(followups["visit_id"], followups["state_name"], strict=True))
    results, every_items = comparison.compare_with_items(engine, actor, followup_ids, level)
    names = comparison.thematic_area_names(engine) if names is None else names
    pairs = {f: [results[f].baseline_visit, f] for f in followup_ids}
    visits = records.get_visits(engine, actor, [v for pair in pairs.values() for v in pair], level)
    resolutions = records.reference_options(engine)["resolutions"] if listed is None else listed.resolutions
    every_trend = trends.indexes_per_visit(engine, actor, [results[f].state for f in followup_ids], level, index)
    pipelines = after_visit.ta_pipeline_sections(engine, actor, level, list(pairs.values()))
    claims = written_updates.latest_claims_in_words(
        engine, level, [row["finding_id"] for f in followup_ids for row in every_items[f]]
    )
    dates = since_dates.status_dates(
        engine,
        level,
        [(row["finding_id"], row["status_visit"]) for f in followup_ids for row in every_items[f] if row["status"]],
    )
    collected = []
    for followup, pipeline in zip(followup_ids, pipelines, strict=True):
        result, items, visit_ids = results[followup], every_items[followup], pairs[followup]
        if listed is None:
            strengths_and_needs = [
                row
                for visit_id in visit_ids
                for kind in _LISTED_KINDS
                for row in frames.records(
                    records.list_findings(engine, actor, visit_id=visit_id, kind=kind, level=level)[0]
                )
            ]
            meetings = [
                row
                for visit_id in visit_ids
                for row in frames.records(records.list_meetings(engine, actor, visit_id=visit_id, level=level))
            ]
        else:
            strengths_and_needs, meetings = listed.strengths_and_needs(visit_ids), listed.meetings_of(visit_ids)
        collected.append(
            FollowUp(
                state_name=state_names[followup],
                result=result,
                areas=comparison.areas_frame(result, names),
                items=items,
                new_issues=comparison.new_issues(items),
                priorities=comparison.priority_items(items),
                area_names=names,
                visits=_visits([visits[v] for v in visit_ids], resolutions),
                strengths_and_needs=strengths_and_needs,
                meetings=meetings,
                level=level,
                trend=every_trend[result.state],
                pipeline=pipeline,
                claims={row["finding_id"]: claims[row["finding_id"]] for row in items if row["finding_id"] in claims},
                dates={
                    row["finding_id"]: dates[key]
                    for row in items
                    if (key := (row["finding_id"], row["status_visit"])) in dates
                },
            )
        )
    return collected


def _visits(visits: list[dict[str, Any]], resolutions: dict[str, Any]) -> list[dict[str, Any]]:
    """The two visits, baseline first, with partners and resolutions (number and year) as text."""
    return [
        visit
        | {
            "partners": "; ".join(visit["partners"]),
            "resolutions": "; ".join(resolutions.get(n, str(n)) for n in visit["resolutions"]),
        }
        for visit in visits
    ]


def keywords(level: Confidentiality, *states: str) -> list[str]:
    return ["Counter-Terrorism Committee", "CTED", "follow-up visit", *states, level_words(level.value)]


def scope_and_reported(scope: str, collected: list[FollowUp]) -> tuple[str, snapshots.Reported]:
    """The report's scope key and what it counts, as an issued copy keeps them."""
    reported = snapshots.Reported()
    for data in collected:
        reported.add(data.result, data.items)
    if not scope.startswith("period:"):
        scope = snapshots.state_scope(scope, collected[0].result.followup_visit)
    return scope, reported


def since_last_report(
    engine: Engine,
    actor: Actor,
    scope: str,
    level: Confidentiality,
    reported: snapshots.Reported,
    collected: list[FollowUp],
) -> Section:
    """What changed since the last report issued on the same scope at the same level."""
    last = snapshots.last(engine, actor, scope, level)
    items = pd.DataFrame(
        [(item["finding_id"], item["title"]) for data in collected for item in data.items],
        columns=["finding_id", "title"],
    )
    area_names = comparison.thematic_area_names(engine)
    if last is None:
        return since_last.section(last, reported, items, area_names)
    found = snapshots.changes(last.reported, reported, area_order=list(area_names))
    return since_last.section(
        last,
        reported,
        items,
        area_names,
        snapshots.described(engine, actor, found, last.level),
        updates=since_dates.updates_since(engine, actor, scope, level, last.id, last.issued_at),
        reassessed=since_dates.reassessed_since(
            engine,
            actor,
            level,
            [(item["finding_id"], item["followup"]) for item in reported.items if item["status"]],
            last.id,
            last.issued_at,
        ),
    )


def top_remaining_shortfalls(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Baseline shortfalls not closed: priority first, then the most severe, then the least advanced."""
    remaining = [
        item
        for item in items
        if item["role"] in ITEM_ROLES
        and item["kind"] == FindingKind.shortfall
        and item["status_group"] in ("open", "progressing")
    ]
    remaining.sort(
        key=lambda item: (
            not item["priority"],
            _SEVERITY_RANK.get(item["severity"], len(_SEVERITY_RANK)),
            item["score"] or 0,
            item["finding_id"],
        )
    )
    return remaining[:_TOP_SHORTFALLS]
