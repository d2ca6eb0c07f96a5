"""After the visit: the milestones of a visit's report and the State's deadlines they set (docs/administrator-guide.md).

The State has TRACKER_OBSERVATIONS_DAYS after the draft report is sent for its factual
observations, and TRACKER_RESPONSE_MONTHS after the adopted report is transmitted for its
response on implementation. A deadline is open until the milestone that meets it is recorded.
Only milestones visible at the reader's level count, so a level sees the deadlines that its own
export would show.
"""

import datetime as dt
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, Select, case, func, select
from sqlmodel import col

from tracker.config import get_settings
from tracker.db import reading, require_schema
from tracker.models import Confidentiality, MemberState, Milestone, MilestoneKind, Visit, listed_state_name
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer import FileCounts
from tracker.services.people.access import Actor, effective_level, milestone_visible, visit_visible
from tracker.services.records.saving import _save


class DueKind(StrEnum):
    observations = "observations"
    response = "response"


# What starts each clock, what stops it, and how the deadline reads in words.
_CLOCKS = {
    DueKind.observations: (MilestoneKind.draft_sent, MilestoneKind.observations_received),
    DueKind.response: (MilestoneKind.transmitted, MilestoneKind.response_received),
}
DUE_WORDS = {
    DueKind.observations: "factual observations on the draft report",
    DueKind.response: "response on the implementation of the recommendations",
}


@dataclass(frozen=True)
class Due:
    """One open deadline of a State: `days_overdue` is negative while it is still ahead."""

    visit_id: str
    state: str
    state_name: str
    due: DueKind
    since: dt.date
    due_date: dt.date
    days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    def as_json(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "state": self.state,
            "due": self.due.value,
            "due_date": self.due_date.isoformat(),
            "days_overdue": self.days_overdue,
        }

    def in_words(self) -> str:
        """`10 days overdue`, `due today`, `due in 1 day`."""
        days = abs(self.days_overdue)
        plural = "day" if days == 1 else "days"
        if self.days_overdue > 0:
            return f"{days} {plural} overdue"
        return "due today" if days == 0 else f"due in {days} {plural}"


def due_date(kind: DueKind, since: dt.date) -> dt.date:
    """When a deadline falls, counted from the milestone that starts its clock."""
    settings = get_settings()
    if kind == DueKind.observations:
        return since + dt.timedelta(days=settings.observations_days)
    return since + relativedelta(months=settings.response_months)


def open_dues(
    engine: Engine,
    actor: Actor,
    level: str | Confidentiality | None = None,
    *,
    today: dt.date | None = None,
    overdue_only: bool = False,
    within_days: int | None = None,
    state: str | None = None,
) -> list[Due]:
    """Every open deadline visible at the level, the most overdue first.

    `overdue_only` keeps those already past; `within_days` keeps those falling within that many
    days from today, overdue ones included.
    """
    require_schema(engine)
    level = effective_level(actor, level)
    today = today or dt.date.today()
    recorded = {
        milestone: func.max(case((col(Milestone.milestone) == milestone.value, col(Milestone.date)))).label(
            milestone.value
        )
        for milestone in MilestoneKind
    }
    query: Select[*tuple[Any, ...]] = (
        select(col(Visit.visit_id), col(Visit.state), listed_state_name().label("state_name"), *recorded.values())
        .join(Milestone, col(Milestone.visit_id) == col(Visit.visit_id))
        .join(MemberState, col(MemberState.iso3) == col(Visit.state))
        .where(visit_visible(level), milestone_visible(level))
        .group_by(col(Visit.visit_id), col(Visit.state), col(MemberState.name), col(MemberState.member_state))
    )
    if state:
        query = query.where(col(Visit.state) == state.strip().upper())
    dues = []
    with reading(engine) as connection:
        rows = connection.execute(query).mappings().all()
    for row in rows:
        for kind, (start, stop) in _CLOCKS.items():
            if row[start.value] is None or row[stop.value] is not None:
                continue
            falls = due_date(kind, row[start.value])
            due = Due(
                row["visit_id"], row["state"], row["state_name"], kind, row[start.value], falls, (today - falls).days
            )
            if overdue_only and not due.overdue:
                continue
            if within_days is not None and due.days_overdue < -within_days:
                continue
            dues.append(due)
    return sorted(dues, key=lambda d: (-d.days_overdue, d.visit_id, d.due.value))


def dues_frame(dues: list[Due]) -> pd.DataFrame:
    """The deadlines as a table for people: one row each, with the deadline in words."""
    columns = ["visit_id", "state", "state_name", "due", "since", "due_date", "days_overdue", "status"]
    return pd.DataFrame([asdict(d) | {"due": d.due.value, "status": d.in_words()} for d in dues], columns=columns)


def dues_calendar(dues: list[Due], *, stamp: dt.datetime | None = None) -> bytes:
    """The deadlines as an iCalendar file: one all-day event each, with a reminder, to add to a calendar.

    A deadline already past is put on the day the calendar is made ("overdue since ..."): an event in
    the past would never remind anyone.
    """
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Follow-up Visit Progress Tracker//deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Follow-up visit deadlines")
    stamp = stamp or dt.datetime.now(dt.UTC)
    today = stamp.date()
    for due in dues:
        day = today if due.overdue else due.due_date
        what = f"{due.visit_id}: {due.state_name}'s {DUE_WORDS[due.due]}"
        event = Event()
        event.add("uid", f"{due.visit_id}-{due.due.value}@followup-tracker")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        if due.overdue:
            event.add("summary", f"{what} overdue since {due.due_date.isoformat()}")
        else:
            event.add("summary", f"{what} due")
        event.add(
            "description",
            f"Due on {due.due_date.isoformat()}, counted from {due.since.isoformat()}; "
            f"{due.in_words()} as of {today.isoformat()}, the day this calendar was made.",
        )
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event["summary"])
        # At 09:00 on the day itself; an upcoming deadline also reminds a week ahead.
        alarm.add("trigger", dt.timedelta(hours=9))
        event.add_component(alarm)
        if not due.overdue and day - today > dt.timedelta(days=7):
            ahead = Alarm()
            ahead.add("action", "DISPLAY")
            ahead.add("description", event["summary"])
            ahead.add("trigger", dt.timedelta(days=-7, hours=9))
            event.add_component(ahead)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def save_milestone(engine: Engine, actor: Actor, data: dict[str, Any]) -> FileCounts:
    """Record (or correct) one milestone of a visit; the fields are the columns of milestones.csv."""
    return _save(engine, actor, SPECS["milestones.csv"].name, [data], new=None)


def list_milestones(
    engine: Engine, actor: Actor, visit_id: str, level: str | Confidentiality | None = None
) -> pd.DataFrame:
    """A visit's milestones visible at the level, in the order they happen."""
    require_schema(engine)
    level = effective_level(actor, level)
    order = case({m.value: i for i, m in enumerate(MilestoneKind)}, value=col(Milestone.milestone))
    query = (
        select(col(Milestone.milestone), col(Milestone.date), col(Milestone.note), col(Milestone.confidentiality))
        .join(Visit, col(Visit.visit_id) == col(Milestone.visit_id))
        .where(col(Milestone.visit_id) == visit_id, visit_visible(level), milestone_visible(level))
        .order_by(order)
    )
    with reading(engine) as connection:
        result = connection.execute(query)
        return pd.DataFrame(result.all(), columns=list(result.keys()))
