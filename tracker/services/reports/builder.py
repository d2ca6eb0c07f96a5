"""Reports to the Committee (DESIGN §7), built on the comparison service so their numbers are §3's.

Every count in a report comes from `compare`, `areas_frame`, `item_table`, `new_issues`,
`priority_items`, `followup_visits` or `cross_state_index` at the report's level; the visits, good
practices, TA needs and meetings it lists come from the same visible-row queries the dashboard uses.
Every value is written in words (areas by their stored names, statuses, kinds and levels through
`wording`), and every date in one style.
"""

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace
from typing import Literal, cast

import pandas as pd
from sqlalchemy import Engine

from tracker.errors import TrackerError
from tracker.models import Confidentiality, FindingKind
from tracker.services import charts as dashboard_charts
from tracker.services import comparison, frames, records, snapshots, trends
from tracker.services.access import Actor, effective_level
from tracker.services.comparison import NewIssue, PriorityItem
from tracker.services.demo import ILLUSTRATIVE_MARK
from tracker.services.frames import rows_of
from tracker.services.reports import after_visit, charts, since_last
from tracker.services.reports.model import NONE_RECORDED, Chart, Document, Progress, Section, Table
from tracker.services.wording import date_span, day, in_prose, label, level_words

# The per-area tables: title, then each column's header and the §3 count it shows.
AREA_TABLES = [
    (
        "Baseline shortfalls by status at the follow-up visit",
        [
            ("Shortfalls", "baseline_gaps"),
            ("Closed", "gaps_closed"),
            ("Progressing", "gaps_progressing"),
            ("Open", "gaps_open"),
            ("Excluded", "gaps_excluded"),
        ],
    ),
    (
        "Baseline recommendations by status at the follow-up visit",
        [
            ("Recommendations", "baseline_recommendations"),
            ("Closed", "recs_closed"),
            ("Progressing", "recs_progressing"),
            ("Open", "recs_open"),
            ("Excluded", "recs_excluded"),
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
GROUPS = ("closed", "progressing", "open", "excluded")
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _author(actor: Actor) -> str:
    """The signed-in user writes the report; the command line and the laptop write as CTED."""
    if actor.username == "local" or actor.username.startswith("cli:"):
        return "CTED"
    return actor.username


@dataclass
class _FollowUp:
    """Everything one follow-up's sections show, read at one level."""

    state_name: str
    result: dict
    areas: pd.DataFrame
    # Its item table (`comparison.item_rows`).
    items: list[dict]
    new_issues: list[NewIssue]
    priorities: list[PriorityItem]
    area_names: dict[str, str]
    # The two visits, baseline first; good practices and TA needs, and meetings, as rows of plain values.
    visits: list[dict]
    strengths_and_needs: list[dict]
    meetings: list[dict]
    level: Confidentiality
    trend: pd.DataFrame
    pipeline: Section

    @cached_property
    def baseline(self) -> SimpleNamespace:
        return self._visit(self.result["baseline_visit"])

    @cached_property
    def followup(self) -> SimpleNamespace:
        return self._visit(self.result["followup_visit"])

    def _visit(self, visit_id: str) -> SimpleNamespace:
        """A visit's fields by name, and its id as `name`."""
        visit = next(visit for visit in self.visits if visit["visit_id"] == visit_id)
        return SimpleNamespace(**visit, name=visit_id)

    @cached_property
    def remaining(self) -> list[dict]:
        """The top remaining shortfalls, which the summary, its sentences and the digest all name."""
        return _top_remaining_shortfalls(self.items)

    @property
    def illustrative(self) -> bool:
        return any(ILLUSTRATIVE_MARK in (visit["summary"] or "") for visit in self.visits)

    def area_name(self, code: str) -> str:
        return self.area_names.get(code, code)


_LISTED_KINDS = (FindingKind.good_practice.value, FindingKind.ta_need.value)


@dataclass
class _Listed:
    """Good practices, TA needs and meetings of many visits, each read once for a whole period."""

    findings: dict[tuple[str, str], list[dict]]
    meetings: dict[str, list[dict]]
    resolutions: dict

    @classmethod
    def read(cls, engine: Engine, actor: Actor, level: Confidentiality) -> "_Listed":
        findings = pd.concat(records.list_findings(engine, actor, kind=kind, level=level)[0] for kind in _LISTED_KINDS)
        meetings = records.list_meetings(engine, actor, level=level)
        listed_findings: dict[tuple[str, str], list[dict]] = {}
        for row in frames.records(findings):
            listed_findings.setdefault((str(row["visit_id"]), str(row["kind"])), []).append(row)
        listed_meetings: dict[str, list[dict]] = {}
        for row in frames.records(meetings):
            listed_meetings.setdefault(str(row["visit_id"]), []).append(row)
        return cls(listed_findings, listed_meetings, records.reference_options(engine)["resolutions"])

    def strengths_and_needs(self, visit_ids: list[str]) -> list[dict]:
        return [row for v in visit_ids for k in _LISTED_KINDS for row in self.findings.get((v, k), [])]

    def meetings_of(self, visit_ids: list[str]) -> list[dict]:
        return [row for v in visit_ids for row in self.meetings.get(v, [])]


def _collect(engine: Engine, actor: Actor, iso3: str, followup: str | None, level: Confidentiality) -> _FollowUp:
    """One follow-up of a state (by default its latest), read as a period reads many."""
    pair = comparison.resolve(engine, actor, iso3, followup, level)
    known = comparison.followup_visits(engine, actor, pair.state, level)
    return _collect_all(engine, actor, known[known["visit_id"] == pair.followup], level)[0]


def _collect_all(
    engine: Engine,
    actor: Actor,
    followups: pd.DataFrame,
    level: Confidentiality,
    names: dict[str, str] | None = None,
    index: pd.DataFrame | None = None,
    listed: _Listed | None = None,
) -> list[_FollowUp]:
    """Each follow-up of `followups` (rows of `followup_visits`), every kind of row read once for all."""
    followup_ids = list(followups["visit_id"])
    state_names = dict(zip(followups["visit_id"], followups["state_name"], strict=True))
    results = comparison.compare_many(engine, actor, followup_ids, level)
    every_items = comparison.item_rows(engine, actor, followup_ids, level)
    names = comparison.thematic_area_names(engine) if names is None else names
    pairs = {f: [results[f]["baseline_visit"], f] for f in followup_ids}
    visits = records.get_visits(engine, actor, [v for pair in pairs.values() for v in pair], level)
    resolutions = records.reference_options(engine)["resolutions"] if listed is None else listed.resolutions
    every_trend = trends.indexes_per_visit(engine, actor, [results[f]["state"] for f in followup_ids], level, index)
    pipelines = after_visit.ta_pipeline_sections(engine, actor, level, list(pairs.values()))
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
            _FollowUp(
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
                trend=every_trend[result["state"]],
                pipeline=pipeline,
            )
        )
    return collected


def _visits(visits: list[dict], resolutions: dict) -> list[dict]:
    """The two visits, baseline first, with partners and resolutions (number and year) as text."""
    return [
        visit
        | {
            "partners": "; ".join(visit["partners"]),
            "resolutions": "; ".join(resolutions.get(n, str(n)) for n in visit["resolutions"]),
        }
        for visit in visits
    ]


def _keywords(level: Confidentiality, *states: str) -> list[str]:
    return ["Counter-Terrorism Committee", "CTED", "follow-up visit", *states, level_words(level.value)]


# ---------------------------------------------------------------- a state's follow-up


def build_state_report(engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level=None) -> Document:
    """The report on one follow-up visit of a state (by default its latest) against its baseline."""
    level = effective_level(actor, level)
    data = _collect(engine, actor, iso3, followup, level)
    followup_visit = data.followup
    scope, reported = _reported(data.result["state"], [data])
    return Document(
        title=f"{data.state_name}: progress since the {data.baseline.start_date.year} visit",
        subtitle="Report to the Counter-Terrorism Committee",
        scope=(
            f"{data.state_name}: follow-up visit {data.result['followup_visit']}, "
            f"{date_span(followup_visit.start_date, followup_visit.end_date)}"
        ),
        level=level,
        generated_at=_now(),
        author=_author(actor),
        keywords=_keywords(level, data.state_name),
        illustrative=data.illustrative,
        sections=[
            _since_last_report(engine, actor, scope, level, reported, [data]),
            *_with_pipeline(_state_sections(data), data),
        ],
        scope_key=scope,
        reported=reported,
    )


def _reported(scope: str, collected: list[_FollowUp]) -> tuple[str, snapshots.Reported]:
    """The report's scope key and what it counts, as an issued copy keeps them."""
    reported = snapshots.Reported()
    for data in collected:
        reported.add(data.result, data.items)
    if not scope.startswith("period:"):
        scope = snapshots.state_scope(scope, collected[0].result["followup_visit"])
    return scope, reported


def _since_last_report(engine, actor, scope: str, level, reported, collected: list[_FollowUp]) -> Section:
    """What changed since the last report issued on the same scope at the same level."""
    last = snapshots.last(engine, actor, scope, level)
    items = pd.DataFrame(
        [(item["finding_id"], item["title"]) for data in collected for item in data.items],
        columns=["finding_id", "title"],
    )
    return since_last.section(last, reported, items, comparison.thematic_area_names(engine))


def _with_pipeline(sections: list[Section], data: _FollowUp) -> list[Section]:
    """The TA pipeline of both visits, just before the annex."""
    return [*sections[:-1], data.pipeline, sections[-1]]


def _state_sections(data: _FollowUp, summary: bool = True) -> list[Section]:
    """The sections of one follow-up, in reading order; a caller may put its own sections first."""
    return [
        _scope(data),
        *([_executive_summary(data)] if summary else []),
        *([_trend(data)] if not data.trend.empty else []),
        _progress_per_area(data),
        _new_issues(data),
        _strengths_or_needs(
            data, FindingKind.good_practice, "Good practices recorded", "good_practices", "good practices"
        ),
        _strengths_or_needs(
            data, FindingKind.ta_need, "Technical assistance needs", "ta_needs", "technical assistance needs"
        ),
        _meetings(data),
        _annex(data),
    ]


def _trend(data: _FollowUp) -> Section:
    """A State with three or more visits: its index at each follow-up visit, overall and per area."""
    table = trends.trend_table(data.trend)
    overall = data.trend[data.trend["area"] == "ALL"]
    named = ", ".join(
        f"{row.label}: {'—' if pd.isna(row.implementation_index) else f'{row.implementation_index:.1f}'}"
        for row in rows_of(overall.sort_values(["start_date", "followup_visit"]))
    )
    return Section(
        "Index over the State's visits",
        paragraphs=[
            f"The implementation index at each follow-up visit of {data.state_name}, each against its own baseline "
            f"visit: {named}."
        ],
        tables=[
            Table(
                list(table.columns),
                [[None if pd.isna(v) else v for v in row] for row in table.itertuples(index=False)],
                title="Implementation index at each follow-up visit",
            )
        ],
        charts=[Chart(lambda: dashboard_charts.index_per_visit(data.trend), f"Implementation index overall: {named}.")],
    )


def _scope(data: _FollowUp) -> Section:
    baseline, followup = data.baseline, data.followup
    return Section(
        "Scope",
        paragraphs=[
            f"Member State: {data.state_name}. This report compares the follow-up visit {followup.name} "
            f"({date_span(followup.start_date, followup.end_date)}) with the baseline visit {baseline.name} "
            f"({date_span(baseline.start_date, baseline.end_date)}). It counts and lists only material "
            f"at or below the {level_words(data.level.value)} confidentiality level.",
            "The follow-up visit judged each shortfall and recommendation of the baseline visit. Issues "
            "it raised that the baseline did not cover are reported separately as new issues: they are "
            "not regressions.",
            *(f"{visit['visit_id']}: {visit['summary']}" for visit in data.visits if visit["summary"]),
        ],
        tables=[
            Table(
                ["Visit", "Kind", "Dates", "Modality", "Head of delegation", "Partners", "Resolutions covered"],
                [
                    [
                        v["visit_id"],
                        label(v["kind"]),
                        date_span(v["start_date"], v["end_date"]),
                        label(v["modality"]),
                        v["lead"],
                        v["partners"],
                        v["resolutions"],
                    ]
                    for v in data.visits
                ],
                title="Visits compared",
            )
        ],
    )


def _listing(names: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _summary_paragraphs(data: _FollowUp) -> list[str]:
    """The executive summary in sentences built from the numbers; a period's digest reads the same."""
    totals = data.result["totals"]
    items = totals["baseline_gaps"] + totals["baseline_recommendations"]
    baseline_year = data.baseline.start_date.year
    groups = {group: totals[f"gaps_{group}"] + totals[f"recs_{group}"] for group in GROUPS}
    if totals["implementation_index"] is None:
        index = "No baseline item has a scored status at this level, so there is no implementation index."
    else:
        index = (
            f"At the follow-up visit the implementation index stands at {totals['implementation_index']:.1f} "
            f"out of 100, over {totals['scored_items']} scored baseline items (100 would mean every one fully "
            f"implemented)."
        )
    paragraphs = [
        index,
        f"Of the {items} shortfalls and recommendations recorded in {baseline_year}, {groups['closed']} are "
        f"closed, {groups['progressing']} progressing and {groups['open']} open; {groups['excluded']} are not "
        f"scored (no longer relevant, not assessed or insufficient information).",
        _priority_sentence(data),
        *_areas_sentence(data),
        _remaining_sentence(data),
        _new_issues_sentence(data),
    ]
    return [paragraph for paragraph in paragraphs if paragraph]


def _executive_summary(data: _FollowUp, heading: str = "Executive summary") -> Section:
    totals = data.result["totals"]
    items = totals["baseline_gaps"] + totals["baseline_recommendations"]
    groups = {group: totals[f"gaps_{group}"] + totals[f"recs_{group}"] for group in GROUPS}
    tables = [
        Table(
            ["Status group", "Shortfalls", "Recommendations", "Total"],
            [[label(g), totals[f"gaps_{g}"], totals[f"recs_{g}"], groups[g]] for g in GROUPS]
            + [["All baseline items", totals["baseline_gaps"], totals["baseline_recommendations"], items]],
            title="Baseline items by status at the follow-up visit",
        )
    ]
    recommendations = [item for item in data.priorities if item.kind == FindingKind.recommendation]
    if recommendations:
        tables.append(
            Table(
                ["Thematic area", "Priority recommendation", "Status at the follow-up"],
                [[item.area_name, item.title, label(item.status)] for item in recommendations],
                title="Priority recommendations of the baseline visit",
            )
        )
    remaining = data.remaining
    if remaining:
        tables.append(
            Table(
                ["Thematic area", "Shortfall", "Severity", "Status at the follow-up"],
                [[r["area_name"], r["title"], label(r["severity"]) or "—", label(r["status"])] for r in remaining],
                title="Top remaining shortfalls",
            )
        )
    return Section(heading, paragraphs=_summary_paragraphs(data), tables=tables)


def _priority_sentence(data: _FollowUp) -> str:
    """Names every priority recommendation of the baseline with its status."""
    priority = [item for item in data.priorities if item.kind == FindingKind.recommendation]
    if not priority:
        return "No priority recommendation of the baseline visit is visible at this level."
    closed = sum(item.status_group == "closed" for item in priority)
    outstanding = sum(item.status_group in ("progressing", "open") for item in priority)
    excluded = len(priority) - closed - outstanding
    named = "; ".join(f"{item.title} ({in_prose(item.status)})" for item in priority)
    counted = f"{closed} of {len(priority)} closed and {outstanding} outstanding"
    counted += f", {excluded} not scored" if excluded else ""
    return f"Priority recommendations of the baseline visit, {counted}: {named}."


def _areas_sentence(data: _FollowUp) -> list[str]:
    """The areas that progressed most and least, by their implementation index."""
    scored = [
        (area["implementation_index"], data.area_name(area["area"]))
        for area in data.result["areas"]
        if area["implementation_index"] is not None
    ]
    if len(scored) < 2:
        return []
    best, worst = max(index for index, _ in scored), min(index for index, _ in scored)
    if best == worst:
        return [f"Every thematic area with a scored item has the same implementation index, {best:.1f}."]
    most = _listing([name for index, name in scored if index == best])
    least = _listing([name for index, name in scored if index == worst])
    return [
        f"Most progress: {most} (implementation index {best:.1f}). Least progress: {least} "
        f"(implementation index {worst:.1f})."
    ]


def _remaining_sentence(data: _FollowUp) -> str:
    remaining = data.remaining
    if not remaining:
        return "No baseline shortfall remains open or progressing at this level."
    named = "; ".join(f"{r['title']} ({r['area_name']}, {in_prose(r['status'])})" for r in remaining)
    return f"The main remaining shortfalls: {named}."


def _new_issues_sentence(data: _FollowUp) -> str:
    issues = data.new_issues
    if not issues:
        return "The follow-up visit raised no new issue that the baseline visit did not cover."
    by_kind = [
        f"{sum(issue.kind == kind for issue in issues)} {noun}"
        for kind, noun in (
            (FindingKind.shortfall, "shortfalls"),
            (FindingKind.recommendation, "recommendations"),
            (FindingKind.concern, "concerns"),
        )
        if any(issue.kind == kind for issue in issues)
    ]
    return (
        f"The follow-up visit raised {len(issues)} new issues that the baseline visit did not cover "
        f"({_listing(by_kind)}); they are new requirements or new findings, not regressions."
    )


def _top_remaining_shortfalls(items: list[dict]) -> list[dict]:
    """Baseline shortfalls not closed: priority first, then the most severe, then the least advanced."""
    remaining = [
        item
        for item in items
        if item["role"] == "baseline"
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


def _area_rows(data: _FollowUp, columns: list[tuple[str, str]]) -> list[list]:
    """One row per area of the comparison, then its totals, with the comparison's own numbers."""
    names = data.areas["area_name"]
    rows = [[name, *(area[field] for _, field in columns)] for name, area in zip(names, data.result["areas"])]
    return [*rows, ["All areas", *(data.result["totals"][field] for _, field in columns)]]


def _progress_per_area(data: _FollowUp) -> Section:
    if data.areas.empty:
        return Section("Progress per thematic area", paragraphs=[NONE_RECORDED])
    return Section(
        "Progress per thematic area",
        paragraphs=[
            "Each baseline shortfall and recommendation is counted by its status at the follow-up visit; "
            "a finding in a sub-area counts under its parent area. The implementation index is 100 × the "
            "mean score (out of 4) of the scored baseline items; excluded items (no longer relevant, not "
            "assessed, insufficient information) are not scored. New shortfalls continue no earlier finding.",
        ],
        tables=[
            Table(["Thematic area", *(header for header, _ in columns)], _area_rows(data, columns), title=title)
            for title, columns in AREA_TABLES
        ],
        charts=[charts.area_progress(data.areas)],
    )


def _new_issues(data: _FollowUp) -> Section:
    issues = data.new_issues
    if not issues:
        return Section("New issues since the baseline", paragraphs=[NONE_RECORDED])
    paragraphs = [
        f"Issues raised at the follow-up visit that the baseline visit did not cover: {len(issues)}, of which "
        f"shortfalls: {data.result['totals']['new_gaps']}. Technical assistance needs are listed in their own "
        f"section."
    ]
    continuing = sum(item["role"] == "continuing" for item in data.items)
    if continuing:
        paragraphs.append(
            f"Findings of the follow-up visit that restate baseline findings: {continuing} (see the annex)."
        )
    return Section(
        "New issues since the baseline",
        paragraphs=paragraphs,
        tables=[
            Table(
                ["Id", "Thematic area", "Kind", "Severity", "Issue"],
                [
                    [
                        issue.finding_id,
                        issue.sub_area_name,
                        label(issue.kind),
                        label(issue.severity) or "—",
                        issue.title,
                    ]
                    for issue in issues
                ],
            )
        ],
    )


def _strengths_or_needs(data: _FollowUp, kind: FindingKind, heading: str, field: str, noun: str) -> Section:
    totals = data.result["totals"]
    found = [row for row in data.strengths_and_needs if row["kind"] == kind]
    if not found:
        return Section(heading, paragraphs=[NONE_RECORDED])
    paragraph = (
        f"{noun.capitalize()} recorded: {totals[f'{field}_baseline']} at the baseline visit, "
        f"{totals[f'{field}_followup']} at the follow-up visit."
    )
    return Section(
        heading,
        paragraphs=[paragraph],
        tables=[
            Table(
                ["Visit", "Id", "Thematic area", "Title"],
                [[r["visit_id"], r["finding_id"], data.area_name(r["area"]), r["title"]] for r in found],
            )
        ],
    )


def _meetings(data: _FollowUp) -> Section:
    meetings = data.meetings
    if not meetings:
        return Section("Meetings held", paragraphs=[NONE_RECORDED])
    counts = Counter(meeting["visit_id"] for meeting in meetings)
    paragraph = (
        f"Meetings visible at this level: {counts.get(data.result['followup_visit'], 0)} at the follow-up "
        f"visit, {counts.get(data.result['baseline_visit'], 0)} at the baseline visit."
    )
    return Section(
        "Meetings held",
        paragraphs=[paragraph],
        tables=[
            Table(
                ["Date", "Visit", "Kind", "Counterpart", "Sector", "Notes"],
                [
                    [
                        day(m["date"]) if m["date"] else None,
                        m["visit_id"],
                        label(m["kind"]),
                        m["counterpart"],
                        label(m["sector"]),
                        m["notes"],
                    ]
                    for m in meetings
                ],
            )
        ],
    )


def _annex(data: _FollowUp) -> Section:
    baseline = [item for item in data.items if item["role"] == "baseline"]
    followup = [item for item in data.items if item["role"] != "baseline"]
    tables = [
        Table(
            ["Id", "Thematic area", "Priority", "Title", "Status at follow-up", "Evidence", "Level"],
            [
                [
                    r["finding_id"],
                    r["sub_area_name"],
                    "Yes" if r["priority"] else "",
                    r["title"],
                    label(r["status"]),
                    r["evidence"],
                    level_words(r["confidentiality"]),
                ]
                for r in baseline
                if r["kind"] == kind
            ],
            title=f"{title} of the baseline visit {data.result['baseline_visit']}",
        )
        for kind, title in ((FindingKind.shortfall, "Shortfalls"), (FindingKind.recommendation, "Recommendations"))
    ]
    tables.append(
        Table(
            ["Id", "Thematic area", "Kind", "Role", "Continues", "Title", "Level"],
            [
                [
                    r["finding_id"],
                    r["sub_area_name"],
                    label(r["kind"]),
                    label(r["role"]),
                    r["continues"],
                    r["title"],
                    level_words(r["confidentiality"]),
                ]
                for r in followup
            ],
            title=f"Findings of the follow-up visit {data.result['followup_visit']}",
        )
    )
    tables = [table for table in tables if table.rows]
    return Section(
        "Annex: all items",
        paragraphs=[
            f"Every item visible at the {level_words(data.level.value)} level, each with its own confidentiality level."
            if tables
            else NONE_RECORDED
        ],
        tables=tables,
    )


# ---------------------------------------------------------------- a period


def build_period_report(
    engine: Engine,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    level=None,
    progress: Progress | None = None,
    sort: PeriodSort = "state",
) -> Document:
    """Every visible follow-up visit that started between `start` and `end` (both included).

    The summary across States comes first, then a one-page digest per State, then each State's
    detail; States are in name order, or the summary by index (highest first) with `sort="index"`.
    """
    sort = period_sort(sort)
    level = effective_level(actor, level)
    visits = followup_periods(engine, actor, start, end, level)
    names = comparison.thematic_area_names(engine)
    listed = _Listed.read(engine, actor, level)
    # Read once: each State's trend and the summary's heatmap come from it.
    every_index = comparison.cross_state_index(engine, actor, level)
    collected = _collect_all(engine, actor, visits, level, names, every_index, listed)
    if progress:
        for done, state_name in enumerate(visits["state_name"], start=1):
            progress(done, len(visits), state_name)
    order = {visit_id: position for position, visit_id in enumerate(visits["visit_id"])}
    index = every_index
    index = index[index["followup_visit"].isin(order)].sort_values(
        "followup_visit", key=lambda ids: ids.map(order), kind="stable"
    )
    scope, reported = _reported(snapshots.period_scope(start, end), collected)
    return Document(
        title=period_title(start, end),
        subtitle="Progress report to the Counter-Terrorism Committee",
        scope=date_span(start, end),
        level=level,
        generated_at=_now(),
        author=_author(actor),
        keywords=_keywords(level, *(data.state_name for data in collected)),
        illustrative=any(data.illustrative for data in collected),
        scope_key=scope,
        reported=reported,
        sections=[
            _since_last_report(engine, actor, scope, level, reported, collected),
            _cross_state_summary(collected, index, level, names, sort, every_index),
            after_visit.pipeline_by_provider_section(engine, actor, level, list(visits["visit_id"])),
            after_visit.overdue_responses_section(engine, actor, level, list(visits["visit_id"])),
            *(_digest(data) for data in collected),
            *(
                Section(
                    f"{data.state_name}: follow-up visit {data.result['followup_visit']}",
                    subsections=_with_pipeline(_state_sections(data, summary=False), data),
                    new_page=True,
                )
                for data in collected
            ),
        ],
    )


def followup_periods(engine: Engine, actor: Actor, start: dt.date, end: dt.date, level=None) -> pd.DataFrame:
    """The visible follow-up visits that started in the period, in State name order."""
    visits = comparison.followup_visits(engine, actor, level=level)
    visits = visits[(visits["start_date"] >= start) & (visits["start_date"] <= end)]
    return visits.sort_values(["state_name", "start_date", "visit_id"]).reset_index(drop=True)


def _digest(data: _FollowUp) -> Section:
    """One page per State ahead of the detail: the executive summary of its follow-up."""
    followup = data.followup
    section = _executive_summary(data, heading=f"{data.state_name}: digest")
    # One page: the remaining shortfalls are named in a sentence; their table is in the detail.
    section.tables = [table for table in section.tables if table.title != "Top remaining shortfalls"]
    section.paragraphs.insert(
        0,
        f"Follow-up visit {followup.name} ({date_span(followup.start_date, followup.end_date)}) compared "
        f"with the baseline visit {data.baseline.name} ({date_span(data.baseline.start_date, data.baseline.end_date)}).",
    )
    section.new_page = True
    return section


def _cross_state_summary(
    collected: list[_FollowUp],
    index: pd.DataFrame,
    level: Confidentiality,
    names: dict[str, str],
    sort: PeriodSort,
    every_index: pd.DataFrame | None = None,
) -> Section:
    if not collected:
        return Section(
            "Summary across States",
            paragraphs=[
                f"No follow-up visit visible at the {level_words(level.value)} level started in this period.",
            ],
        )
    rows = []
    for data in collected:
        totals, followup = data.result["totals"], data.followup
        rows.append(
            [
                data.state_name,
                followup.name,
                date_span(followup.start_date, followup.end_date),
                data.result["baseline_visit"],
                totals["implementation_index"],
                totals["scored_items"],
                *(totals[f"gaps_{g}"] + totals[f"recs_{g}"] for g in GROUPS),
                len(data.new_issues),
            ]
        )
    if sort == "index":
        rows.sort(key=lambda row: (row[4] is None, -(row[4] or 0), row[0]))
    ordered = "by implementation index, highest first" if sort == "index" else "by State name"
    summary = Section(
        "Summary across States",
        paragraphs=[
            f"Follow-up visits that started in this period: {len(collected)}, listed {ordered}. Closed, "
            f"progressing, open and excluded count the baseline shortfalls and recommendations by their status "
            f"at the follow-up visit; new issues are those first raised at the follow-up visit, not regressions. "
            f"Only material at or below the {level_words(level.value)} confidentiality level is counted.",
        ],
        tables=[
            Table(
                [
                    "State",
                    "Follow-up visit",
                    "Dates",
                    "Baseline visit",
                    "Index",
                    "Scored items",
                    "Closed",
                    "Progressing",
                    "Open",
                    "Excluded",
                    "New issues",
                ],
                rows,
            )
        ],
        charts=[charts.index_heatmap(index, names)],
    )
    if every_index is not None:
        summary.tables.append(_successive_index(collected, every_index))
    return summary


def _successive_index(collected: list[_FollowUp], every_index: pd.DataFrame) -> Table:
    """Each State's overall index at every follow-up visit it has had, oldest first, and the change."""
    overall = every_index[every_index["area"] == "ALL"].sort_values(["start_date", "followup_visit"])
    rows: list[list[str | int | float | None]] = []
    for state, state_name in dict.fromkeys((data.result["state"], data.state_name) for data in collected):
        visits = overall[overall["state"] == state]
        steps = [
            f"{visit} ({start.year}): {'—' if pd.isna(value) else f'{value:.1f}'}"
            for visit, start, value in zip(
                visits["followup_visit"], visits["start_date"], visits["implementation_index"]
            )
        ]
        scored = visits["implementation_index"].dropna()
        change = round(float(scored.iloc[-1] - scored.iloc[-2]), 1) if len(scored) >= 2 else None
        rows.append([str(state_name), len(visits), " → ".join(steps), change])
    return Table(
        ["State", "Follow-up visits", "Index at each follow-up visit, oldest first", "Change since the one before"],
        rows,
        title="Implementation index over successive follow-up visits",
    )
