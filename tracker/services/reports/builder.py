"""Reports to the Committee (DESIGN §7), built on the comparison service so their numbers are §3's.

Every count in a report comes from `compare`, `areas_frame`, `item_table`, `followup_visits` or
`cross_state_index` at the report's level; the visits, good practices, TA needs and meetings it
lists come from the same visible-row queries the dashboard uses.
"""

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from tracker.errors import TrackerError
from tracker.models import Confidentiality, FindingKind
from tracker.services import comparison, records
from tracker.services.access import Actor, effective_level
from tracker.services.charts import index_heatmap
from tracker.services.reports import after_visit, charts
from tracker.services.reports.model import Document, Progress, Section, Table
from tracker.services.wording import date_span

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

# Kinds of follow-up finding that raise an issue, as opposed to recording progress or strengths.
_ISSUE_KINDS = [FindingKind.shortfall.value, FindingKind.recommendation.value, FindingKind.concern.value]
_SEVERITY_RANK = {"major": 0, "moderate": 1, "minor": 2}
_TOP_SHORTFALLS = 5
_PERIOD = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")


def words(value: str) -> str:
    """An enumeration value as prose: follow_up → follow-up, partially_implemented → partially implemented."""
    return "follow-up" if value == "follow_up" else value.replace("_", " ")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """`YYYY-MM-DD..YYYY-MM-DD`, both days included."""
    match = _PERIOD.match(text or "")
    try:
        start, end = (dt.date.fromisoformat(day) for day in match.groups())
    except (AttributeError, ValueError):
        raise TrackerError(f"'{text}' is not a period", "write it as FROM..TO, e.g. 2023-01-01..2023-12-31") from None
    if end < start:
        raise TrackerError(f"the period {text} ends before it starts", "put the earlier date first")
    return start, end


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class _FollowUp:
    """Everything one follow-up's sections show, read at one level."""

    state_name: str
    result: dict
    areas: pd.DataFrame
    items: pd.DataFrame
    visits: pd.DataFrame
    strengths_and_needs: pd.DataFrame
    meetings: pd.DataFrame
    level: Confidentiality

    @property
    def baseline(self) -> pd.Series:
        return self.visits.set_index("visit_id").loc[self.result["baseline_visit"]]

    @property
    def followup(self) -> pd.Series:
        return self.visits.set_index("visit_id").loc[self.result["followup_visit"]]


def _collect(engine: Engine, actor: Actor, iso3: str, followup: str | None, level: Confidentiality) -> _FollowUp:
    result = comparison.compare(engine, actor, iso3, followup, level)
    visit_ids = [result["baseline_visit"], result["followup_visit"]]
    known = comparison.followup_visits(engine, actor, result["state"], level)
    return _FollowUp(
        state_name=known.loc[known["visit_id"] == result["followup_visit"], "state_name"].iloc[0],
        result=result,
        areas=comparison.areas_frame(result),
        items=comparison.item_table(engine, actor, result["followup_visit"], level),
        visits=_visits(engine, actor, visit_ids, level),
        strengths_and_needs=pd.concat(
            records.list_findings(engine, actor, visit_id=visit_id, kind=kind, level=level)[0]
            for visit_id in visit_ids
            for kind in (FindingKind.good_practice.value, FindingKind.ta_need.value)
        ),
        meetings=pd.concat(
            records.list_meetings(engine, actor, visit_id=visit_id, level=level) for visit_id in visit_ids
        ),
        level=level,
    )


def _visits(engine: Engine, actor: Actor, visit_ids: list[str], level: Confidentiality) -> pd.DataFrame:
    """The two visits, baseline first, with partners and resolutions (number and year) as text."""
    resolutions = records.reference_options(engine)["resolutions"]
    visits = [records.get_visit(engine, actor, visit_id, level) for visit_id in visit_ids]
    return pd.DataFrame(
        [
            visit
            | {
                "partners": "; ".join(visit["partners"]),
                "resolutions": "; ".join(resolutions.get(n, str(n)) for n in visit["resolutions"]),
            }
            for visit in visits
        ]
    )


# ---------------------------------------------------------------- a state's follow-up


def build_state_report(engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level=None) -> Document:
    """The report on one follow-up visit of a state (by default its latest) against its baseline."""
    level = effective_level(actor, level)
    data = _collect(engine, actor, iso3, followup, level)
    followup_visit = data.followup
    return Document(
        title=f"{data.state_name}: progress since the {data.baseline.start_date.year} visit",
        subtitle=(
            f"Report to the Counter-Terrorism Committee on the follow-up visit "
            f"{data.result['followup_visit']} ({date_span(followup_visit.start_date, followup_visit.end_date)})"
        ),
        level=level,
        generated_at=_now(),
        sections=_with_pipeline(_state_sections(data), engine, actor, level, data),
    )


def _with_pipeline(sections: list[Section], engine, actor, level, data: _FollowUp) -> list[Section]:
    """The TA pipeline of both visits, just before the annex."""
    visit_ids = [data.result["baseline_visit"], data.result["followup_visit"]]
    return [*sections[:-1], after_visit.ta_pipeline_section(engine, actor, level, visit_ids), sections[-1]]


def _state_sections(data: _FollowUp) -> list[Section]:
    return [
        _scope(data),
        _executive_summary(data),
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


def _scope(data: _FollowUp) -> Section:
    baseline, followup = data.baseline, data.followup
    return Section(
        "Scope",
        paragraphs=[
            f"Member State: {data.state_name}. This report compares the follow-up visit {followup.name} "
            f"({date_span(followup.start_date, followup.end_date)}) with the baseline visit {baseline.name} "
            f"({date_span(baseline.start_date, baseline.end_date)}). It counts and lists only material "
            f"at or below the {data.level.value} confidentiality level.",
            "The follow-up visit judged each shortfall and recommendation of the baseline visit. Issues "
            "it raised that the baseline did not cover are reported separately as new issues: they are "
            "not regressions.",
            *(f"{visit.visit_id}: {visit.summary}" for visit in data.visits.itertuples() if visit.summary),
        ],
        tables=[
            Table(
                ["Visit", "Kind", "Dates", "Modality", "Head of delegation", "Partners", "Resolutions covered"],
                [
                    [
                        v.visit_id,
                        words(v.kind),
                        date_span(v.start_date, v.end_date),
                        words(v.modality),
                        v.lead,
                        v.partners,
                        v.resolutions,
                    ]
                    for v in data.visits.itertuples()
                ],
                title="Visits compared",
            )
        ],
    )


def _executive_summary(data: _FollowUp) -> Section:
    totals = data.result["totals"]
    items = totals["baseline_gaps"] + totals["baseline_recommendations"]
    baseline_year = data.baseline.start_date.year
    if totals["implementation_index"] is None:
        index = "No baseline item has a scored status at this level, so there is no implementation index."
    else:
        index = (
            f"Implementation index at the follow-up visit: {totals['implementation_index']:.1f} out of 100 "
            f"(scored baseline items: {totals['scored_items']}). The baseline visit has no index: it "
            f"recorded the shortfalls and recommendations that the follow-up visit judged."
        )
    groups = {group: totals[f"gaps_{group}"] + totals[f"recs_{group}"] for group in GROUPS}
    paragraphs = [
        index,
        f"Shortfalls and recommendations recorded in {baseline_year}: {items}; closed {groups['closed']}, "
        f"progressing {groups['progressing']}, open {groups['open']}, excluded {groups['excluded']} "
        f"(not scored: no longer relevant, not assessed or insufficient information).",
        _priority_sentence(data.items),
        f"Shortfalls found at the follow-up visit: {totals['followup_gaps']}; new issues that the baseline "
        f"visit did not cover: {totals['new_gaps']}.",
    ]
    tables = [
        Table(
            ["Status group", "Shortfalls", "Recommendations", "Total"],
            [[words(g).capitalize(), totals[f"gaps_{g}"], totals[f"recs_{g}"], groups[g]] for g in GROUPS]
            + [["All baseline items", totals["baseline_gaps"], totals["baseline_recommendations"], items]],
            title="Baseline items by status at the follow-up visit",
        )
    ]
    remaining = _top_remaining_shortfalls(data.items)
    if len(remaining):
        tables.append(
            Table(
                ["Finding", "Area", "Severity", "Status", "Shortfall"],
                [
                    [r.finding_id, r.sub_area, r.severity or "—", words(r.status), r.title]
                    for r in remaining.itertuples()
                ],
                title="Top remaining shortfalls",
            )
        )
    return Section("Executive summary", paragraphs=paragraphs, tables=tables)


def _priority_sentence(items: pd.DataFrame) -> str:
    priority = items[(items["role"] == "baseline") & items["priority"] & (items["kind"] == FindingKind.recommendation)]
    if priority.empty:
        return "No priority recommendation of the baseline visit is visible at this level."
    closed = int((priority["status_group"] == "closed").sum())
    outstanding = int(priority["status_group"].isin(["progressing", "open"]).sum())
    excluded = len(priority) - closed - outstanding
    sentence = (
        f"Priority recommendations: {closed} of {len(priority)} closed, {outstanding} outstanding (progressing or open)"
    )
    return sentence + (f", {excluded} not scored." if excluded else ".")


def _top_remaining_shortfalls(items: pd.DataFrame) -> pd.DataFrame:
    """Baseline shortfalls not closed: priority first, then the most severe, then the least advanced."""
    remaining = items[
        (items["role"] == "baseline")
        & (items["kind"] == FindingKind.shortfall)
        & items["status_group"].isin(["open", "progressing"])
    ]
    order = remaining.assign(
        severity_rank=remaining["severity"].map(_SEVERITY_RANK).fillna(len(_SEVERITY_RANK)),
        score_rank=remaining["score"].fillna(0),
    ).sort_values(["priority", "severity_rank", "score_rank", "finding_id"], ascending=[False, True, True, True])
    return order.head(_TOP_SHORTFALLS)


def _area_rows(data: _FollowUp, columns: list[tuple[str, str]]) -> list[list]:
    """One row per area of the comparison, then its totals, with the comparison's own numbers."""
    names = data.areas["area_name"]
    rows = [[name, *(area[field] for _, field in columns)] for name, area in zip(names, data.result["areas"])]
    return [*rows, ["All areas", *(data.result["totals"][field] for _, field in columns)]]


def _progress_per_area(data: _FollowUp) -> Section:
    if data.areas.empty:
        return Section(
            "Progress per thematic area", paragraphs=["No finding of either visit is visible at this level."]
        )
    return Section(
        "Progress per thematic area",
        paragraphs=[
            "Each baseline shortfall and recommendation is counted by its status at the follow-up visit; "
            "a finding in a sub-area counts under its parent area. The implementation index is 100 × the "
            "mean score (out of 4) of the scored baseline items; excluded items (no longer relevant, not "
            "assessed, insufficient information) are not scored. New shortfalls continue no earlier finding.",
        ],
        tables=[
            Table(["Area", *(header for header, _ in columns)], _area_rows(data, columns), title=title)
            for title, columns in AREA_TABLES
        ],
        charts=[charts.area_progress(data.areas)],
    )


def _new_issues(data: _FollowUp) -> Section:
    followup_items = data.items[data.items["role"] != "baseline"]
    new = followup_items[(followup_items["role"] == "new") & followup_items["kind"].isin(_ISSUE_KINDS)]
    continuing = int((followup_items["role"] == "continuing").sum())
    paragraphs = [
        f"Issues raised at the follow-up visit that the baseline visit did not cover: {len(new)} "
        f"(shortfalls: {data.result['totals']['new_gaps']})."
    ]
    if continuing:
        paragraphs.append(
            f"Findings of the follow-up visit that restate baseline findings: {continuing} (see the annex)."
        )
    tables = (
        [
            Table(
                ["Finding", "Area", "Kind", "Severity", "Issue"],
                [[r.finding_id, r.sub_area, words(r.kind), r.severity or "—", r.title] for r in new.itertuples()],
            )
        ]
        if len(new)
        else []
    )
    return Section("New issues since the baseline", paragraphs=paragraphs, tables=tables)


def _strengths_or_needs(data: _FollowUp, kind: FindingKind, heading: str, field: str, noun: str) -> Section:
    totals = data.result["totals"]
    found = data.strengths_and_needs[data.strengths_and_needs["kind"] == kind]
    paragraph = (
        f"{noun.capitalize()} recorded: {totals[f'{field}_baseline']} at the baseline visit, "
        f"{totals[f'{field}_followup']} at the follow-up visit."
    )
    tables = (
        [
            Table(
                ["Visit", "Finding", "Area", "Title"],
                [[r.visit_id, r.finding_id, r.area, r.title] for r in found.itertuples()],
            )
        ]
        if len(found)
        else []
    )
    return Section(heading, paragraphs=[paragraph], tables=tables)


def _meetings(data: _FollowUp) -> Section:
    meetings = data.meetings
    counts = meetings["visit_id"].value_counts()
    paragraph = (
        f"Meetings visible at this level: {counts.get(data.result['followup_visit'], 0)} at the follow-up "
        f"visit, {counts.get(data.result['baseline_visit'], 0)} at the baseline visit."
    )
    tables = (
        [
            Table(
                ["Date", "Visit", "Kind", "Counterpart", "Sector", "Notes"],
                [
                    [
                        m.date.isoformat() if m.date else None,
                        m.visit_id,
                        words(m.kind),
                        m.counterpart,
                        words(m.sector),
                        m.notes,
                    ]
                    for m in meetings.itertuples()
                ],
            )
        ]
        if len(meetings)
        else []
    )
    return Section("Meetings held", paragraphs=[paragraph], tables=tables)


def _annex(data: _FollowUp) -> Section:
    items = data.items
    baseline = items[items["role"] == "baseline"]
    followup = items[items["role"] != "baseline"]
    tables = [
        Table(
            ["Finding", "Area", "Priority", "Title", "Status at follow-up", "Evidence", "Level"],
            [
                [
                    r.finding_id,
                    r.sub_area,
                    "yes" if r.priority else "",
                    r.title,
                    words(r.status),
                    r.evidence,
                    r.confidentiality,
                ]
                for r in baseline[baseline["kind"] == kind].itertuples()
            ],
            title=f"{title} of the baseline visit {data.result['baseline_visit']}",
        )
        for kind, title in ((FindingKind.shortfall, "Shortfalls"), (FindingKind.recommendation, "Recommendations"))
    ]
    tables.append(
        Table(
            ["Finding", "Area", "Kind", "Role", "Continues", "Title", "Level"],
            [
                [r.finding_id, r.sub_area, words(r.kind), r.role, r.continues, r.title, r.confidentiality]
                for r in followup.itertuples()
            ],
            title=f"Findings of the follow-up visit {data.result['followup_visit']}",
        )
    )
    return Section(
        "Annex: all items",
        paragraphs=[f"Every item visible at the {data.level.value} level, each with its own confidentiality level."],
        tables=[table for table in tables if table.rows],
    )


# ---------------------------------------------------------------- a period


def build_period_report(
    engine: Engine, actor: Actor, start: dt.date, end: dt.date, level=None, progress: Progress | None = None
) -> Document:
    """Every visible follow-up visit that started between `start` and `end` (both included)."""
    level = effective_level(actor, level)
    visits = comparison.followup_visits(engine, actor, level=level)
    visits = visits[(visits["start_date"] >= start) & (visits["start_date"] <= end)].sort_values(
        ["start_date", "state_name", "visit_id"]
    )
    collected = []
    for done, visit in enumerate(visits.itertuples(), start=1):
        collected.append(_collect(engine, actor, visit.state, visit.visit_id, level))
        if progress:
            progress(done, len(visits), visit.state_name)
    # The heatmap's rows come in the order of the report's sections.
    order = {visit_id: position for position, visit_id in enumerate(visits["visit_id"])}
    index = comparison.cross_state_index(engine, actor, level)
    index = index[index["followup_visit"].isin(order)].sort_values(
        "followup_visit", key=lambda ids: ids.map(order), kind="stable"
    )
    return Document(
        title=f"Follow-up visits from {date_span(start, end)}",
        subtitle="Progress report to the Counter-Terrorism Committee",
        level=level,
        generated_at=_now(),
        sections=[_cross_state_summary(collected, index, level)]
        + [
            after_visit.pipeline_by_provider_section(engine, actor, level, list(visits["visit_id"])),
            after_visit.overdue_responses_section(engine, actor, level, list(visits["visit_id"])),
        ]
        + [
            Section(
                f"{data.state_name}: follow-up visit {data.result['followup_visit']}",
                subsections=_with_pipeline(_state_sections(data), engine, actor, level, data),
            )
            for data in collected
        ],
    )


def _cross_state_summary(collected: list[_FollowUp], index: pd.DataFrame, level: Confidentiality) -> Section:
    if not collected:
        return Section(
            "Summary across States",
            paragraphs=[f"No follow-up visit visible at the {level.value} level started in this period."],
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
                totals["new_gaps"],
            ]
        )
    return Section(
        "Summary across States",
        paragraphs=[
            f"Follow-up visits that started in this period: {len(collected)}. Closed, progressing, open and "
            f"excluded count the baseline shortfalls and recommendations by their status at the follow-up "
            f"visit; new gaps are shortfalls first raised at the follow-up visit. Only material at or below "
            f"the {level.value} confidentiality level is counted.",
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
                    "New gaps",
                ],
                rows,
            )
        ],
        charts=[index_heatmap(index, comparison.area_names())],
    )
