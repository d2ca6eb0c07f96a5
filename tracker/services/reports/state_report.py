"""The report on one follow-up visit of a State, and the sections of a State that a period report
repeats for each of its States."""

from collections import Counter
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from tracker.models import Confidentiality, FindingKind
from tracker.services.people.access import Actor, effective_level
from tracker.services.presentation import charts as dashboard_charts
from tracker.services.presentation.frames import rows_of
from tracker.services.presentation.wording import (
    date_span,
    day,
    in_prose,
    label,
    level_words,
    listed_words,
    status_words,
)
from tracker.services.progress import trends
from tracker.services.progress.comparison import ITEM_ROLES
from tracker.services.records import editing as records
from tracker.services.reports import charts
from tracker.services.reports.collected import (
    AREA_TABLES,
    GROUPS,
    FollowUp,
    author,
    collect,
    keywords,
    now,
    scope_and_reported,
    since_last_report,
)
from tracker.services.reports.model import NONE_RECORDED, Chart, Document, Section, Table
from tracker.services.reports.register_text import (
    headline_block,
    headline_paragraph,
    intermediate_tables,
    next_visit_table,
    scope_paragraph,
    status_cell,
    status_table,
    trend_paragraph,
)


def build_state_report(
    engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level: str | Confidentiality | None = None
) -> Document:
    """The report on one follow-up visit of a state (by default its latest) against its baseline."""
    level = effective_level(actor, level)
    data = collect(engine, actor, iso3, followup, level)
    followup_visit = data.followup
    scope, reported = scope_and_reported(data.result.state, [data])
    return Document(
        title=f"{data.state_name}: progress since the {data.baseline.start_date.year} visit",
        subtitle="Report to the Counter-Terrorism Committee",
        scope=(
            f"{data.state_name}: follow-up visit {data.result.followup_visit}, "
            f"{date_span(followup_visit.start_date, followup_visit.end_date)}"
        ),
        level=level,
        generated_at=now(),
        author=author(actor),
        keywords=keywords(level, data.state_name),
        illustrative=data.illustrative,
        sections=[
            since_last_report(engine, actor, scope, level, reported, [data]),
            *with_pipeline(state_sections(data), data),
        ],
        scope_key=scope,
        reported=reported,
    )


def with_pipeline(sections: list[Section], data: FollowUp) -> list[Section]:
    """The TA pipeline of both visits, just before the annex."""
    return [*sections[:-1], data.pipeline, sections[-1]]


def state_sections(data: FollowUp, summary: bool = True) -> list[Section]:
    """The sections of one follow-up, in reading order; a caller may put its own sections first.

    Without the summary (a State's detail in the period report) the areas are the tables alone: they
    hold every number the State's own report also draws as a chart, and a chart per State was most of
    a period report's time (a browser drawing each of 193) for no number the reader lacks.
    """
    return [
        _scope(data),
        *([executive_summary(data)] if summary else []),
        *([_trend(data)] if not data.trend.empty else []),
        _progress_per_area(data, chart=summary),
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


def _trend(data: FollowUp) -> Section:
    """A State with three or more visits: its index at each follow-up visit, overall and per area."""
    table = trends.trend_table(data.trend)
    overall = data.trend[data.trend["area"] == "ALL"]
    named = ", ".join(
        f"{row.label}: {'—' if pd.isna(row.implementation_index) else f'{row.implementation_index:.1f}'}"
        for row in rows_of(overall.sort_values(["start_date", "followup_visit"]))
    )
    like_for_like = trend_paragraph(data.result)
    return Section(
        "Index over the State's visits",
        paragraphs=[
            f"The implementation index at each follow-up visit of {data.state_name}, each over its own items "
            f"under follow-up: {named}.",
            *([like_for_like] if like_for_like else []),
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


def _scope(data: FollowUp) -> Section:
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


def _summary_paragraphs(data: FollowUp) -> list[str]:
    """The executive summary in sentences built from the numbers; a period's digest reads the same.

    Where items were first raised after the baseline, the headline is over every item under follow-up,
    with the baseline's figure beside it (docs/committee-figures.md).
    """
    result = data.result
    totals = headline_block(result).totals
    items = totals.baseline_gaps + totals.baseline_recommendations
    baseline_year = data.baseline.start_date.year
    groups = {group: totals.number(f"gaps_{group}") + totals.number(f"recs_{group}") for group in GROUPS}
    recorded = (
        f"Of the {items} shortfalls and recommendations under follow-up"
        if result.wider
        else f"Of the {items} shortfalls and recommendations recorded in {baseline_year}"
    )
    if result.wider:
        index = headline_paragraph(result) or ""
    elif totals.implementation_index is None:
        index = "No baseline item has a scored status at this level, so there is no implementation index."
    else:
        index = (
            f"At the follow-up visit the implementation index stands at {totals.implementation_index:.1f} "
            f"out of 100, over {totals.scored_items} scored baseline items (100 would mean every one fully "
            f"implemented)."
        )
    paragraphs = [
        index,
        scope_paragraph(result, data.area_names),
        trend_paragraph(result),
        f"{recorded}, {groups['closed']} are "
        f"closed, {groups['progressing']} progressing and {groups['open']} open; {groups['excluded']} are not "
        f"scored (no longer relevant, not assessed or insufficient information).",
        _priority_sentence(data),
        *_areas_sentence(data),
        _remaining_sentence(data),
        _new_issues_sentence(data),
    ]
    return [paragraph for paragraph in paragraphs if paragraph]


def executive_summary(data: FollowUp, heading: str = "Executive summary") -> Section:
    tables = [status_table(data.result)]
    recommendations = [item for item in data.priorities if item.kind == FindingKind.recommendation]
    if recommendations:
        tables.append(
            Table(
                ["Thematic area", "Priority recommendation", "Status at the follow-up"],
                [
                    [item.area_name, item.title, status_words(item.status, item.status_visit, item.carried)]
                    for item in recommendations
                ],
                title="Priority recommendations under follow-up"
                if data.result.wider
                else "Priority recommendations of the baseline visit",
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


def _priority_sentence(data: FollowUp) -> str:
    """Names every priority recommendation of the baseline with its status."""
    priority = [item for item in data.priorities if item.kind == FindingKind.recommendation]
    whose = "under follow-up" if data.result.wider else "of the baseline visit"
    if not priority:
        return f"No priority recommendation {whose} is visible at this level."
    closed = sum(item.status_group == "closed" for item in priority)
    outstanding = sum(item.status_group in ("progressing", "open") for item in priority)
    excluded = len(priority) - closed - outstanding
    named = "; ".join(
        f"{item.title} ({in_prose(item.status)}{f', carried from {item.status_visit}' if item.carried else ''})"
        for item in priority
    )
    counted = f"{closed} of {len(priority)} closed and {outstanding} outstanding"
    counted += f", {excluded} not scored" if excluded else ""
    return f"Priority recommendations {whose}, {counted}: {named}."


def _areas_sentence(data: FollowUp) -> list[str]:
    """The areas that progressed most and least, by their implementation index."""
    scored = [
        (area.implementation_index, data.area_name(area.area))
        for area in data.result.areas
        if area.implementation_index is not None
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


def _remaining_sentence(data: FollowUp) -> str:
    remaining = data.remaining
    if not remaining:
        return "No baseline shortfall remains open or progressing at this level."
    named = "; ".join(f"{r['title']} ({r['area_name']}, {in_prose(r['status'])})" for r in remaining)
    return f"The main remaining shortfalls: {named}."


def _new_issues_sentence(data: FollowUp) -> str:
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


def _area_rows(data: FollowUp, columns: list[tuple[str, str]]) -> list[list[Any]]:
    """One row per area of the comparison, then its totals, with the comparison's own numbers."""
    names = data.areas["area_name"]
    rows = [[name, *(area.count(field) for _, field in columns)] for name, area in zip(names, data.result.areas)]
    return [*rows, ["All areas", *(data.result.totals.count(field) for _, field in columns)]]


def _progress_per_area(data: FollowUp, chart: bool = True) -> Section:
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
        charts=[charts.area_progress(data.areas)] if chart else [],
    )


def _new_issues(data: FollowUp) -> Section:
    issues = data.new_issues
    if not issues:
        return Section("New issues since the baseline", paragraphs=[NONE_RECORDED])
    paragraphs = [
        f"Issues raised at the follow-up visit that the baseline visit did not cover: {len(issues)}, of which "
        f"shortfalls: {data.result.totals.new_gaps}. Technical assistance needs are listed in their own "
        f"section."
    ]
    continuing = sum(item["role"] == "continuing" for item in data.items)
    if continuing:
        paragraphs.append(
            f"Findings of the follow-up visit that restate baseline findings: {continuing} (see the annex)."
        )
    next_visit = next_visit_table(data.result, data.items)
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
            ),
            *([next_visit] if next_visit else []),
        ],
    )


def _strengths_or_needs(data: FollowUp, kind: FindingKind, heading: str, field: str, noun: str) -> Section:
    totals = data.result.totals
    found = [row for row in data.strengths_and_needs if row["kind"] == kind]
    if not found:
        return Section(heading, paragraphs=[NONE_RECORDED])
    paragraph = (
        f"{noun.capitalize()} recorded: {totals.count(f'{field}_baseline')} at the baseline visit, "
        f"{totals.count(f'{field}_followup')} at the follow-up visit."
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


def _meetings(data: FollowUp) -> Section:
    meetings = data.meetings
    if not meetings:
        return Section("Meetings held", paragraphs=[NONE_RECORDED])
    counts = Counter(meeting["visit_id"] for meeting in meetings)
    paragraphs = [
        f"Meetings visible at this level: {counts.get(data.result.followup_visit, 0)} at the follow-up "
        f"visit, {counts.get(data.result.baseline_visit, 0)} at the baseline visit."
    ]
    by_sector = records.sector_counts(m["sector"] for m in meetings if m["visit_id"] == data.result.followup_visit)
    if by_sector:
        paragraphs.append(
            "At the follow-up visit, by sector (a meeting of several sectors counts once under each): "
            + ", ".join(f"{label(sector)} {count}" for sector, count in by_sector.items())
            + "."
        )
    return Section(
        "Meetings held",
        paragraphs=paragraphs,
        tables=[
            Table(
                ["Date", "Visit", "Kind", "Counterpart", "Sectors", "Partners", "Notes"],
                [
                    [
                        day(m["date"]) if m["date"] else None,
                        m["visit_id"],
                        label(m["kind"]),
                        m["counterpart"],
                        listed_words(m["sector"]),
                        m["partners"],
                        m["notes"],
                    ]
                    for m in meetings
                ],
            )
        ],
    )


def _annex(data: FollowUp) -> Section:
    baseline = [item for item in data.items if item["role"] == "baseline"]
    followup = [item for item in data.items if item["role"] not in ITEM_ROLES]
    # The State's own word on an item stands beside the verified status, only where it gave one.
    claimed = ["Latest State update (self-reported)"] if data.claims else []
    tables = [
        Table(
            [
                "Id",
                "Thematic area",
                "Priority",
                "Title",
                "Status at follow-up",
                "Assessed on",
                "Evidence",
                *claimed,
                "Level",
            ],
            [
                [
                    r["finding_id"],
                    r["sub_area_name"],
                    "Yes" if r["priority"] else "",
                    r["title"],
                    status_cell(r),
                    day(data.dates[r["finding_id"]]) if r["finding_id"] in data.dates else "",
                    r["evidence"],
                    *([data.claims.get(r["finding_id"])] if claimed else []),
                    level_words(r["confidentiality"]),
                ]
                for r in baseline
                if r["kind"] == kind
            ],
            title=f"{title} of the baseline visit {data.result.baseline_visit}",
        )
        for kind, title in ((FindingKind.shortfall, "Shortfalls"), (FindingKind.recommendation, "Recommendations"))
    ]
    tables += intermediate_tables(data.result, data.items)
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
            title=f"Findings of the follow-up visit {data.result.followup_visit}",
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
