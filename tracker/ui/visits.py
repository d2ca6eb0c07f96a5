"""Visits and meetings: list, add and edit them."""

import datetime as dt
from typing import Any

import streamlit as st

from tracker.models import (
    DEFAULT_CONFIDENTIALITY,
    DEFAULT_MODALITY,
    DEFAULT_SECTOR,
    EARLIEST_DATE,
    LATEST_DATE,
    Consent,
    MeetingKind,
    Modality,
    Sector,
    VisitKind,
    scope_codes,
)
from tracker.services.bundle.files import SPECS
from tracker.services.records import editing as records
from tracker.ui import common, deadlines, review, written_updates

st.title("Visits and meetings")
who, database = common.actor(), common.url()
options = common.reference_options(database)
visits = common.visits(database, who)
visit_names = common.visit_names(visits)
# A scope lists top-level areas: sub-area codes are PARENT.NAME.
top_areas = {code: name for code, name in options["areas"].items() if "." not in code}
# Date pickers default to a ten-year window; these offer the range an import accepts.
EARLIEST, LATEST = EARLIEST_DATE, LATEST_DATE


def in_range(day: dt.date | None) -> dt.date | None:
    """A stored day the picker can show; one outside the range (stored before it applied) shows blank."""
    return day if day is not None and EARLIEST <= day <= LATEST else None


def visit_form(visit_id: str) -> None:
    new = not visit_id
    record = {} if new else records.get_visit(common.engine(), who, visit_id)
    form = f"visit:{visit_id or 'new'}"
    # What the inputs are drawn with, before any is: the save is reviewed against it.
    before = None if new else review.drawn(form, record)
    fields = SPECS["visits.csv"].columns
    states = {code: f"{name} ({code})" for code, name in options["states"].items()}
    common.form_message(form)
    with st.form(form):
        values: dict[str, Any] = {}
        first, second, third = st.columns(3)
        with first:
            values["visit_id"] = st.text_input(
                "Visit id",
                record.get("visit_id", ""),
                key=f"{form}:visit_id",
                disabled=not new,
                help="A stable key such as KOR-2023.",
            )
            common.field_error(form, "visit_id")
        with second:
            values["state"] = common.choice("State", states, record.get("state"), f"{form}:state", blank=new)
            common.field_error(form, "state")
        with third:
            if new or "baseline_visit_id" in record:
                values["baseline_visit_id"] = common.choice(
                    "Baseline visit (for a follow-up)",
                    {"": "—", **visit_names},
                    record.get("baseline_visit_id") or "",
                    f"{form}:baseline_visit_id",
                    help="The earlier visit of the same state that this one follows up.",
                )
                common.field_error(form, "baseline_visit_id")
            else:
                st.caption("Its baseline visit is above your clearance; saving keeps it.")
        first, second, third, fourth = st.columns(4)
        with first:
            values["kind"] = common.choice(
                "Kind", common.enum_words(VisitKind), record.get("kind"), f"{form}:kind", blank=new
            )
            common.field_error(form, "kind")
        with second:
            values["modality"] = common.choice(
                "Modality",
                common.enum_words(Modality),
                record.get("modality", DEFAULT_MODALITY.value),
                f"{form}:modality",
            )
        with third:
            values["start_date"] = st.date_input(
                "Start date", in_range(record.get("start_date")), EARLIEST, LATEST, key=f"{form}:start_date"
            )
            common.field_error(form, "start_date")
        with fourth:
            values["end_date"] = st.date_input(
                "End date", in_range(record.get("end_date")), EARLIEST, LATEST, key=f"{form}:end_date"
            )
            common.field_error(form, "end_date")
        values["lead"] = st.text_input("Lead (head of delegation)", record.get("lead", ""), key=f"{form}:lead")
        values["scope"] = st.multiselect(
            "Scope: the thematic areas the visit covered",
            list(top_areas),
            [code for code in scope_codes(record.get("scope")) if code in top_areas],
            key=f"{form}:scope",
            format_func=lambda c: f"{c} · {top_areas[c]}",
            placeholder="Every area",
            help="Leave empty for a visit that covered every area. A focused visit counts only the items of its areas.",
        )
        common.field_error(form, "scope")
        partners, resolutions = st.columns(2)
        with partners:
            values["partners"] = st.multiselect(
                "Partner organisations",
                list(options["partners"]),
                record.get("partners", []),
                key=f"{form}:partners",
                format_func=lambda c: f"{c} · {options['partners'][c]}",
            )
            common.field_error(form, "partners")
        with resolutions:
            values["resolutions"] = st.multiselect(
                "Resolutions",
                list(options["resolutions"]),
                record.get("resolutions", []),
                key=f"{form}:resolutions",
                format_func=common.named(options["resolutions"]),
            )
            common.field_error(form, "resolutions")
        values["summary"] = st.text_area("Summary", record.get("summary", ""), key=f"{form}:summary")
        values["confidentiality"] = common.choice(
            "Confidentiality",
            common.levels(who),
            record.get("confidentiality", DEFAULT_CONFIDENTIALITY.value),
            f"{form}:confidentiality",
        )
        common.field_error(form, "confidentiality")
        consent, consent_date = st.columns(2)
        with consent:
            values["consent"] = common.choice(
                "Consent to share with the UN Global Counter-Terrorism Coordination Platform",
                common.enum_words(Consent),
                record.get("consent", "none"),
                f"{form}:consent",
                help="What the State lets CTED share: nothing, its TA needs only, part of the report, or all of it.",
            )
            common.field_error(form, "consent")
        with consent_date:
            values["consent_date"] = st.date_input(
                "Consent given on", record.get("consent_date"), EARLIEST, LATEST, key=f"{form}:consent_date"
            )
            common.field_error(form, "consent_date")
        common.other_errors(form, fields)
        submitted = st.form_submit_button("Review and add" if new else "Review changes", type="primary")
    review.form_save(
        form,
        who,
        submitted,
        values,
        lambda data, dry_run, drawn: records.save_visit(
            common.engine(), who, data, new=new, dry_run=dry_run, before=drawn
        ),
        f"Visit {values['visit_id']} {'added' if new else 'saved'}.",
        before=before,
    )
    if not new:
        review.withdraw_panel("visit", visit_id, who)
        review.delete_panel("visit", visit_id, who, after=lambda: st.session_state.pop("visits:edit", None))


def meeting_form(meeting_id: str, visit_id: str | None) -> None:
    new = not meeting_id
    record: dict[str, Any] = {"visit_id": visit_id} if new else records.get_meeting(common.engine(), who, meeting_id)
    form = f"meeting:{meeting_id or 'new'}"
    before = None if new else review.drawn(form, record)
    fields = SPECS["meetings.csv"].columns
    areas = {"": "—", **{code: f"{code} · {name}" for code, name in options["areas"].items()}}
    common.form_message(form)
    with st.form(form):
        values: dict[str, Any] = {}
        first, second, third = st.columns(3)
        with first:
            values["meeting_id"] = st.text_input(
                "Meeting id",
                record.get("meeting_id", ""),
                key=f"{form}:meeting_id",
                disabled=not new,
                help="A stable key such as KOR-2023-M05.",
            )
            common.field_error(form, "meeting_id")
        with second:
            values["visit_id"] = common.choice(
                "Visit", visit_names, record.get("visit_id"), f"{form}:visit_id", blank=new and not visit_id
            )
            common.field_error(form, "visit_id")
        with third:
            values["date"] = st.date_input("Date", in_range(record.get("date")), EARLIEST, LATEST, key=f"{form}:date")
            common.field_error(form, "date")
        first, second = st.columns(2)
        with first:
            values["kind"] = common.choice(
                "Kind", common.enum_words(MeetingKind), record.get("kind"), f"{form}:kind", blank=new
            )
            common.field_error(form, "kind")
        with second:
            values["area"] = common.choice("Thematic area", areas, record.get("area") or "", f"{form}:area")
            common.field_error(form, "area")
        values["counterpart"] = st.text_input("Counterpart", record.get("counterpart", ""), key=f"{form}:counterpart")
        sectors, partners = st.columns(2)
        with sectors:
            sector_words = common.enum_words(Sector)
            values["sector"] = st.multiselect(
                "Sectors",
                list(sector_words),
                record.get("sector", [DEFAULT_SECTOR.value]),
                key=f"{form}:sector",
                format_func=common.named(sector_words),
                help="Every sector the counterparts came from: a roundtable often brings several together. "
                "Left empty, the meeting is with the government.",
            )
            common.field_error(form, "sector")
        with partners:
            values["partners"] = st.multiselect(
                "Partner organisations that took part",
                list(options["partners"]),
                record.get("partners", []),
                key=f"{form}:partners",
                format_func=lambda c: f"{c} · {options['partners'][c]}",
            )
            common.field_error(form, "partners")
        values["notes"] = st.text_area("Notes", record.get("notes", ""), key=f"{form}:notes")
        values["confidentiality"] = common.choice(
            "Confidentiality",
            common.levels(who),
            record.get("confidentiality", DEFAULT_CONFIDENTIALITY.value),
            f"{form}:confidentiality",
        )
        common.field_error(form, "confidentiality")
        common.other_errors(form, fields)
        submitted = st.form_submit_button("Review and add" if new else "Review changes", type="primary")
    review.form_save(
        form,
        who,
        submitted,
        values,
        lambda data, dry_run, drawn: records.save_meeting(
            common.engine(), who, data, new=new, dry_run=dry_run, before=drawn
        ),
        f"Meeting {values['meeting_id']} {'added' if new else 'saved'}.",
        before=before,
    )
    if not new:
        review.withdraw_panel("meeting", meeting_id, who)
        review.delete_panel("meeting", meeting_id, who, after=lambda: st.session_state.pop("meetings:edit", None))


def visits_tab() -> None:
    common.dataframe(
        common.in_words(visits.drop(columns=["state", "region"])),
        hide_index=True,
        key="visits:table",
        column_config={
            "visit_id": "Visit",
            "state_name": "State",
            "kind": "Kind",
            "modality": "Modality",
            "start_date": st.column_config.DateColumn("Start"),
            "end_date": st.column_config.DateColumn("End"),
            "baseline_visit_id": "Baseline",
            "lead": "Lead",
            "partners": "Partners",
            "resolutions": "Resolutions",
            "findings": "Findings",
            "meetings": "Meetings",
            "confidentiality": "Confidentiality",
        },
    )
    st.subheader("Add or edit a visit")
    visit_id = common.choice("Visit", {"": "A new visit", **visit_names}, "", "visits:edit")
    if visit_id:
        review.history_panel("visit", visit_id, who)
    if not common.read_only_notice(who):
        visit_form(visit_id)
    if visit_id:
        deadlines.milestones_panel(who, visit_id)


def meetings_tab() -> None:
    visit_id = common.choice("Visit", visit_names, None, "meetings:visit", blank=True, placeholder="All visits")
    meetings = common.meetings(database, who, visit_id=visit_id)
    common.dataframe(
        common.in_words(meetings.drop(columns=["state"])),
        hide_index=True,
        key="meetings:table",
        column_config={
            "meeting_id": "Meeting",
            "visit_id": "Visit",
            "date": st.column_config.DateColumn("Date"),
            "kind": "Kind",
            "counterpart": "Counterpart",
            "sector": "Sectors",
            "partners": "Partners",
            "area": "Area",
            "notes": st.column_config.TextColumn("Notes", width="large"),
            "confidentiality": "Confidentiality",
        },
    )
    st.subheader("Add or edit a meeting")
    meeting_id = common.choice(
        "Meeting", {"": "A new meeting", **{m: m for m in meetings["meeting_id"]}}, "", "meetings:edit"
    )
    if meeting_id:
        review.history_panel("meeting", meeting_id, who)
    if not common.read_only_notice(who):
        meeting_form(meeting_id, visit_id)


visits_panel, meetings_panel, updates_panel = st.tabs(
    ["Visits", "Meetings", "Written updates"], key="visits:tab", on_change="rerun"
)
if visits_panel.open:
    with visits_panel:
        visits_tab()
if meetings_panel.open:
    with meetings_panel:
        meetings_tab()
if updates_panel.open:
    with updates_panel:
        written_updates.updates_tab(who, options["states"])
review.withdrawn_list(who)
