"""Report sections on what followed a visit: the TA pipeline and the States' overdue responses."""

import datetime as dt
from itertools import chain
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from tracker.config import get_settings
from tracker.models import Confidentiality
from tracker.services.after_visit import deadlines, ta_pipeline
from tracker.services.people.access import Actor
from tracker.services.presentation.frames import records
from tracker.services.presentation.wording import day, label, level_words
from tracker.services.reports.model import Section, Table


def ta_pipeline_section(engine: Engine, actor: Actor, level: Confidentiality, visit_ids: list[str]) -> Section:
    """A State report's TA needs of both visits with their place in the pipeline and their providers."""
    return ta_pipeline_sections(engine, actor, level, [visit_ids])[0]


def ta_pipeline_sections(
    engine: Engine, actor: Actor, level: Confidentiality, visit_groups: list[list[str]]
) -> list[Section]:
    """`ta_pipeline_section` of each group of visits, from one read of the pipeline for all of them."""
    where = ta_pipeline.PipelineFilter(visits=tuple(dict.fromkeys(v for group in visit_groups for v in group)))
    every_need = records(ta_pipeline.pipeline(engine, actor, level, where))
    counts = ta_pipeline.by_visit_and_status(engine, actor, level, where)
    by_visit: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for position, need in enumerate(every_need):
        by_visit.setdefault(need["visit_id"], []).append((position, need))
    sections = []
    for group in visit_groups:
        # The group's visits' needs in the pipeline's own order.
        needs = [need for _, need in sorted(chain.from_iterable(by_visit.get(v, []) for v in dict.fromkeys(group)))]
        sections.append(_pipeline_section(level, needs, ta_pipeline.status_table(counts, group)))
    return sections


def _pipeline_section(level: Confidentiality, needs: list[dict[str, Any]], counts: pd.DataFrame) -> Section:
    if not needs:
        return Section(
            "Technical assistance pipeline",
            paragraphs=[f"None recorded at the {level_words(level.value)} level."],
        )
    standing = ", ".join(f"{label(status).lower()} {n}" for status, n in zip(counts["status"], counts["needs"]) if n)
    return Section(
        "Technical assistance pipeline",
        paragraphs=[
            f"Technical assistance needs of these visits by where they stand: {standing}. A need with no "
            "pipeline record yet counts as identified."
        ],
        tables=[
            Table(
                ["Visit", "Finding", "TA need", "Status", "Providers", "Addresses", "Last change"],
                [
                    [
                        r["visit_id"],
                        r["finding_id"],
                        r["title"],
                        label(r["status"]),
                        r["providers"] or None,
                        r["addresses"] or None,
                        day(r["updated_on"]) if r["updated_on"] else None,
                    ]
                    for r in needs
                ],
            )
        ],
    )


def pipeline_by_provider_section(engine: Engine, actor: Actor, level: Confidentiality, visit_ids: list[str]) -> Section:
    """A period report's TA needs per provider and status, over the follow-up visits it covers."""
    table = ta_pipeline.by_provider(engine, actor, level, ta_pipeline.PipelineFilter(visits=tuple(visit_ids)))
    heading = "Technical assistance by provider"
    if table.empty:
        return Section(heading, paragraphs=[f"None recorded at the {level_words(level.value)} level."])
    statuses = ta_pipeline.STATUS_ORDER
    return Section(
        heading,
        paragraphs=[
            "Technical assistance needs of the follow-up visits in this period, per provider and status; "
            "a need with two providers counts for each."
        ],
        tables=[
            Table(
                ["Provider", *(label(s) for s in statuses), "Total"],
                [[r["provider_name"], *(int(r[s]) for s in statuses), int(r["total"])] for _, r in table.iterrows()],
            )
        ],
    )


def overdue_responses_section(
    engine: Engine, actor: Actor, level: Confidentiality, visit_ids: list[str], today: dt.date | None = None
) -> Section:
    """A period report's follow-up visits whose State has not yet responded on implementation in time."""
    today = today or dt.date.today()
    wanted = set(visit_ids)
    overdue = [
        d
        for d in deadlines.open_dues(engine, actor, level, today=today, overdue_only=True)
        if d.due == deadlines.DueKind.response and d.visit_id in wanted
    ]
    heading = "Overdue responses"
    if not overdue:
        return Section(heading, paragraphs=[f"No response of these visits' States is overdue on {day(today)}."])
    return Section(
        heading,
        paragraphs=[
            f"States whose response on the implementation of the recommendations is overdue on "
            f"{day(today)} (due {get_settings().response_months} months after the adopted "
            "report was transmitted)."
        ],
        tables=[
            Table(
                ["State", "Visit", "Transmitted", "Due", "Days overdue"],
                [[d.state_name, d.visit_id, day(d.since), day(d.due_date), d.days_overdue] for d in overdue],
            )
        ],
    )
