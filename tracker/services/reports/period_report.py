"""The report on a period: the summary across States, a digest per State, then each State's detail."""

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from tracker.models import Confidentiality
from tracker.services.people.access import Actor, effective_level
from tracker.services.presentation.palette import STATUS_GROUPS
from tracker.services.presentation.wording import date_span, level_words
from tracker.services.progress import comparison
from tracker.services.reports import after_visit, charts, snapshots, written_updates
from tracker.services.reports.collected import (
    GROUPS,
    FollowUp,
    Listed,
    PeriodSort,
    author,
    collect_all,
    keywords,
    now,
    period_sort,
    period_title,
    scope_and_reported,
    since_last_report,
)
from tracker.services.reports.model import Document, Progress, Section, Table
from tracker.services.reports.register_text import (
    headline_block,
)
from tracker.services.reports.state_report import executive_summary, state_sections, with_pipeline


def build_period_report(
    engine: Engine,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    level: str | Confidentiality | None = None,
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
    listed = Listed.read(engine, actor, level)
    # Read once: each State's trend and the summary's heatmap come from it.
    every_index = comparison.cross_state_index(engine, actor, level)
    collected = collect_all(engine, actor, visits, level, names, every_index, listed)
    if progress:
        for done, state_name in enumerate(visits["state_name"], start=1):
            progress(done, len(visits), state_name)
    order = {visit_id: position for position, visit_id in enumerate(visits["visit_id"])}
    index = every_index
    index = index[index["followup_visit"].isin(order)].sort_values(
        "followup_visit", key=lambda ids: ids.map(order), kind="stable"
    )
    scope, reported = scope_and_reported(snapshots.period_scope(start, end), collected)
    return Document(
        title=period_title(start, end),
        subtitle="Progress report to the Counter-Terrorism Committee",
        scope=date_span(start, end),
        level=level,
        generated_at=now(),
        author=author(actor),
        keywords=keywords(level, *(data.state_name for data in collected)),
        illustrative=any(data.illustrative for data in collected),
        scope_key=scope,
        reported=reported,
        sections=[
            since_last_report(engine, actor, scope, level, reported, collected),
            _cross_state_summary(collected, index, level, names, sort, every_index),
            after_visit.pipeline_by_provider_section(engine, actor, level, list(visits["visit_id"])),
            after_visit.overdue_responses_section(engine, actor, level, list(visits["visit_id"])),
            written_updates.written_updates_section(engine, actor, level, start, end),
            *(_digest(data) for data in collected),
            *(
                Section(
                    f"{data.state_name}: follow-up visit {data.result.followup_visit}",
                    subsections=with_pipeline(state_sections(data, summary=False), data),
                    new_page=True,
                )
                for data in collected
            ),
        ],
    )


def followup_periods(
    engine: Engine, actor: Actor, start: dt.date, end: dt.date, level: str | Confidentiality | None = None
) -> pd.DataFrame:
    """The visible follow-up visits that started in the period, in State name order."""
    visits = comparison.followup_visits(engine, actor, level=level)
    visits = visits[(visits["start_date"] >= start) & (visits["start_date"] <= end)]
    return visits.sort_values(["state_name", "start_date", "visit_id"]).reset_index(drop=True)


def _digest(data: FollowUp) -> Section:
    """One page per State ahead of the detail: the executive summary of its follow-up."""
    followup = data.followup
    section = executive_summary(data, heading=f"{data.state_name}: digest")
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
    collected: list[FollowUp],
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
        totals, followup = headline_block(data.result).totals, data.followup
        rows.append(
            [
                data.state_name,
                followup.name,
                date_span(followup.start_date, followup.end_date),
                data.result.baseline_visit,
                totals.implementation_index,
                totals.scored_items,
                *(totals.number(f"gaps_{g}") + totals.number(f"recs_{g}") for g in GROUPS),
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
                    *(group.words for group in STATUS_GROUPS),
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


def _successive_index(collected: list[FollowUp], every_index: pd.DataFrame) -> Table:
    """Each State's overall index at every follow-up visit it has had, oldest first, and the change.

    The change is like for like: over the items of the previous follow-up scored at both.
    """
    overall = every_index[every_index["area"] == "ALL"].sort_values(["start_date", "followup_visit"])
    # Each State's follow-ups, oldest first, from one pass over the index rather than a filter per State.
    steps_of: dict[str, list[str]] = {}
    for state, visit, start, value in zip(
        overall["state"], overall["followup_visit"], overall["start_date"], overall["implementation_index"]
    ):
        steps_of.setdefault(state, []).append(f"{visit} ({start.year}): {'—' if pd.isna(value) else f'{value:.1f}'}")
    rows: list[list[str | int | float | None]] = []
    latest = {data.result.state: data.result for data in collected}
    for state, state_name in dict.fromkeys((data.result.state, data.state_name) for data in collected):
        steps = steps_of.get(state, [])
        trend = latest[state].since_previous
        change = None
        if trend is not None and trend.index_then is not None and trend.index_now is not None:
            change = round(trend.index_now - trend.index_then, 1)
        rows.append([str(state_name), len(steps), " → ".join(steps), change])
    return Table(
        [
            "State",
            "Follow-up visits",
            "Index at each follow-up visit, oldest first",
            "Change since the one before, on the same items",
        ],
        rows,
        title="Implementation index over successive follow-up visits",
    )
