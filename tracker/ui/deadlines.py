"""The "Due and overdue" panel: the States' open deadlines after a visit, shown on the progress pages."""

import datetime as dt

import pandas as pd
import streamlit as st

from tracker.config import get_settings
from tracker.models import DEFAULT_CONFIDENTIALITY, Confidentiality, MilestoneKind
from tracker.services.after_visit import deadlines
from tracker.services.people.access import Actor, effective_level
from tracker.ui import common


@common._cached
def _open_dues(database: str, who: Actor, level: str, state: str | None, today: dt.date) -> list[deadlines.Due]:
    return deadlines.open_dues(common._engine_for(database), who, level, state=state, today=today)


def due_panel(who: Actor, level: Confidentiality | None = None, *, state: str | None = None) -> None:
    """Every open deadline at the level (of one State, when given), the most overdue first, with an .ics download."""
    level = effective_level(who, level)
    dues = _open_dues(common.url(), who, level.value, state, dt.date.today())
    settings = get_settings()
    with st.container(border=True):
        st.subheader("Due and overdue", anchor=False)
        st.caption(
            f"Factual observations are due {settings.observations_days} days after the draft report is sent; "
            f"the response on implementation {settings.response_months} months after the adopted report is "
            "transmitted. Each stays open until it is recorded as a milestone of the visit."
        )
        if not dues:
            st.success("No open deadlines.", icon=":material/event_available:")
            return
        overdue = sum(d.overdue for d in dues)
        if overdue:
            st.warning(f"{overdue} of {len(dues)} open deadlines overdue.", icon=":material/alarm:")
        frame = pd.DataFrame(
            {
                "visit": [d.visit_id for d in dues],
                "state": [d.state_name for d in dues],
                "due": [deadlines.DUE_WORDS[d.due].capitalize() for d in dues],
                "since": [d.since for d in dues],
                "due_date": [d.due_date for d in dues],
                "status": [d.in_words() for d in dues],
            }
        )
        common.dataframe(
            frame,
            hide_index=True,
            column_config={
                "visit": "Visit",
                "state": "State",
                "due": "What is due",
                "since": st.column_config.DateColumn("Counted from"),
                "due_date": st.column_config.DateColumn("Due date"),
                "status": "Status",
            },
            key=f"table:dues:{state or 'all'}",
        )
        st.download_button(
            "Add to calendar (.ics)",
            deadlines.dues_calendar(dues),
            file_name=f"deadlines-{state.lower() if state else 'all'}.ics",
            mime="text/calendar",
            icon=":material/calendar_add_on:",
            key=f"download:dues:{state or 'all'}",
        )


def milestones_panel(who: Actor, visit_id: str) -> None:
    """A visit's milestones after the visit, and a form to record one (or correct its date)."""
    st.subheader(f"After the visit: milestones of {common.plain(visit_id)}", anchor=False)
    recorded = deadlines.list_milestones(common.engine(), who, visit_id)
    if recorded.empty:
        st.caption("No milestone recorded yet.")
    else:
        common.dataframe(
            common.in_words(recorded.assign(milestone=recorded["milestone"].map(common.label))),
            hide_index=True,
            column_config={
                "milestone": "Milestone",
                "date": st.column_config.DateColumn("Date"),
                "note": "Note",
                "confidentiality": "Confidentiality",
            },
            key=f"table:milestones:{visit_id}",
        )
    if not who.can_write:
        return
    form = f"milestone:{visit_id}"
    common.form_message(form)
    with st.form(form):
        values: dict = {"visit_id": visit_id}
        kind, day, level = st.columns(3)
        with kind:
            values["milestone"] = common.choice(
                "Milestone", common.enum_words(MilestoneKind), None, f"{form}:milestone", blank=True
            )
            common.field_error(form, "milestone")
        with day:
            values["date"] = st.date_input("Date", dt.date.today(), key=f"{form}:date")
            common.field_error(form, "date")
        with level:
            values["confidentiality"] = common.choice(
                "Confidentiality", common.levels(who), DEFAULT_CONFIDENTIALITY.value, f"{form}:confidentiality"
            )
        values["note"] = st.text_input("Note", key=f"{form}:note")
        common.other_errors(form, ("milestone", "date", "confidentiality", "note"))
        submitted = st.form_submit_button("Record milestone", type="primary")
    if submitted:
        common.save_form(
            form,
            lambda: deadlines.save_milestone(common.engine(), who, values),
            f"Milestone {common.label(values['milestone'] or '').lower()} of {visit_id} recorded.",
            changed={"milestone"},
        )
