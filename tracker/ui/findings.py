"""Findings: browse with filters, add and edit a finding, and assess baseline items at a follow-up."""

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from tracker.errors import ValidationFailed
from tracker.models import FindingKind, Severity, Status
from tracker.services import records
from tracker.services.bundle_format import SPECS
from tracker.ui import common

st.title("Findings")
who, database = common.actor(), common.url()
options = common.reference_options(database)
visits = common.visits(database, who)
visit_names = common.visit_names(visits)
areas = {code: f"{code} · {name}" for code, name in options["areas"].items()}
kinds = common.enum_words(FindingKind)
statuses = common.enum_words(Status)

TABS = ("Findings", "Add or edit", "Assess at a follow-up")


def pick_for_editing() -> None:
    selection = st.session_state["findings:table"].selection.rows
    if selection:
        st.session_state["findings:edit"] = st.session_state["findings:listed"][selection[0]]
        st.session_state["findings:tab"] = TABS[1]


def filters() -> dict:
    """The filters above the tabs, kept while the analyst moves between them."""
    state_filter, visit_filter, area_filter = st.columns(3)
    with state_filter:
        states = dict(zip(visits["state"], visits["state_name"]))
        state = common.choice("State", states, None, "findings:state", blank=True, placeholder="All states")
    with visit_filter:
        of_state = visits[visits["state"] == state] if state else visits
        visit_id = common.choice(
            "Visit", common.visit_names(of_state), None, "findings:visit", blank=True, placeholder="All visits"
        )
    with area_filter:
        area = common.choice(
            "Thematic area (with its sub-areas)", areas, None, "findings:area", blank=True, placeholder="All areas"
        )
    kind_filter, status_filter, text_filter = st.columns(3)
    with kind_filter:
        kind = common.choice("Kind", kinds, None, "findings:kind", blank=True, placeholder="All kinds")
    with status_filter:
        status = common.choice(
            "Status at the latest assessment",
            statuses,
            None,
            "findings:status",
            blank=True,
            placeholder="Any status",
            help="Only shortfalls and recommendations have a status.",
        )
    with text_filter:
        text = st.text_input("Text in the id, title or detail", key="findings:text")
    return {"state": state, "visit_id": visit_id, "area": area, "kind": kind, "status": status, "text": text or None}


def browse(frame, total: int) -> None:
    if total > len(frame):
        st.caption(f"Showing the first {len(frame)} of {total} matching findings; narrow the filters to see the rest.")
    else:
        st.caption(f"{total} matching finding(s). Select a row to edit it.")
    common.dataframe(
        common.in_words(frame),
        hide_index=True,
        key="findings:table",
        on_select=pick_for_editing,
        selection_mode="single-row",
        column_config={
            "finding_id": "Id",
            "visit_id": "Visit",
            "state": "State",
            "area": "Area",
            "kind": "Kind",
            "priority": st.column_config.CheckboxColumn("Priority"),
            "severity": "Severity",
            "title": st.column_config.TextColumn("Title", width="large"),
            "status": "Status",
            "assessed_at": "Assessed at",
            "continues": "Continues",
            "confidentiality": "Confidentiality",
        },
    )


def edit(listed: list[str]) -> None:
    chosen = st.session_state.get("findings:edit")
    candidates = {"": "A new finding", **{f: f for f in dict.fromkeys([chosen, *listed]) if f}}
    finding_id = common.choice(
        "Finding",
        candidates,
        chosen or "",
        "findings:edit",
        help="A new finding, or one of the findings the filters above select.",
    )
    if common.read_only_notice(who):
        return
    new = not finding_id
    record = {} if new else records.get_finding(common.engine(), who, finding_id)
    form = f"finding:{finding_id or 'new'}"
    fields = SPECS["findings.csv"].columns
    common.form_message(form)
    with st.form(form):
        key_column, visit_column = st.columns([1, 2])
        with key_column:
            values = {
                "finding_id": st.text_input(
                    "Finding id",
                    record.get("finding_id", ""),
                    key=f"{form}:finding_id",
                    disabled=not new,
                    help="A stable key such as KOR-2023-F07.",
                )
            }
            common.field_error(form, "finding_id")
        with visit_column:
            values["visit_id"] = common.choice(
                "Visit", visit_names, record.get("visit_id"), f"{form}:visit_id", blank=new
            )
            common.field_error(form, "visit_id")
        area_column, kind_column = st.columns([2, 1])
        with area_column:
            values["area"] = common.choice("Thematic area", areas, record.get("area"), f"{form}:area", blank=new)
            common.field_error(form, "area")
        with kind_column:
            values["kind"] = common.choice("Kind", kinds, record.get("kind"), f"{form}:kind", blank=new)
            common.field_error(form, "kind")
        values["title"] = st.text_input("Title", record.get("title", ""), key=f"{form}:title", max_chars=500)
        common.field_error(form, "title")
        values["detail"] = st.text_area("Detail", record.get("detail", ""), key=f"{form}:detail")
        common.field_error(form, "detail")
        priority_column, severity_column, source_column = st.columns(3)
        with priority_column:
            values["priority"] = st.checkbox(
                "Priority recommendation or top concern", record.get("priority", False), key=f"{form}:priority"
            )
        with severity_column:
            values["severity"] = common.choice(
                "Severity", {"": "—", **common.enum_words(Severity)}, record.get("severity") or "", f"{form}:severity"
            )
            common.field_error(form, "severity")
        with source_column:
            values["source_ref"] = st.text_input(
                "Source (report paragraph)", record.get("source_ref", ""), key=f"{form}:source_ref"
            )
        values["resolutions"] = st.multiselect(
            "Resolutions",
            list(options["resolutions"]),
            record.get("resolutions", []),
            format_func=common.named(options["resolutions"]),
            key=f"{form}:resolutions",
        )
        common.field_error(form, "resolutions")
        continues_column, level_column = st.columns(2)
        with continues_column:
            if new or "continues" in record:
                values["continues"] = st.text_input(
                    "Continues (id of an earlier finding it restates)",
                    record.get("continues") or "",
                    key=f"{form}:continues",
                    help="Leave empty for a new issue; a continued finding is not counted as a new gap.",
                )
                common.field_error(form, "continues")
            else:
                st.caption("Continues an earlier finding above your clearance; saving keeps that link.")
        with level_column:
            values["confidentiality"] = common.choice(
                "Confidentiality",
                common.levels(who),
                record.get("confidentiality", "committee"),
                f"{form}:confidentiality",
            )
            common.field_error(form, "confidentiality")
        common.other_errors(form, fields)
        submitted = st.form_submit_button("Add finding" if new else "Save changes", type="primary")
    if submitted:
        common.save_form(
            form,
            lambda: records.save_finding(common.engine(), who, values, new=new),
            f"Finding {values['finding_id']} {'added' if new else 'saved'}.",
            reset=new,
        )


def assess() -> None:
    followups = common.followup_visits(database, who)
    if followups.empty:
        st.info("There is no follow-up visit with a baseline to assess yet.", icon=":material/info:")
        return
    followup = common.choice(
        "Follow-up visit",
        common.visit_names(followups),
        None,
        "findings:followup",
    )
    st.caption(
        "The baseline visit's shortfalls and recommendations, with their status at this follow-up. "
        "Change a status or the evidence, then save: all the changes are saved together, or none."
    )
    source = common.worksheet(database, who, followup)
    # Status and evidence come before the long title, so they show without scrolling.
    order = ["finding_id", "sub_area", "kind", "priority", "status", "evidence", "title"]
    columns: dict[str, str | ColumnConfig] = {
        "finding_id": "Id",
        "sub_area": "Area",
        "kind": st.column_config.SelectboxColumn("Kind", options=list(kinds), format_func=common.named(kinds)),
        "priority": st.column_config.CheckboxColumn("Priority"),
        "title": st.column_config.TextColumn("Title", width="large"),
        "status": st.column_config.SelectboxColumn(
            "Status", options=list(statuses), format_func=common.named(statuses), required=True
        ),
        "evidence": st.column_config.TextColumn("Evidence", width="medium"),
    }
    if common.read_only_notice(who):
        common.dataframe(source, hide_index=True, column_config=columns, column_order=order, key="worksheet:read")
        return
    editor = f"worksheet:{followup}"
    edited = st.data_editor(
        source,
        key=editor,
        hide_index=True,
        num_rows="fixed",
        column_order=order,
        disabled=[c for c in source.columns if c not in ("status", "evidence")],
        column_config=columns,
    )
    if st.button("Save assessments", type="primary", key="worksheet:save"):
        changes = records.assessment_changes(source, edited)
        if not changes:
            st.info("Nothing has changed since the last save.", icon=":material/info:")
            return
        try:
            counts = records.save_assessments(common.engine(), who, followup, changes)
        except ValidationFailed as error:
            st.error(str(error), icon=":material/error:")
            common.dataframe(
                pd.DataFrame(
                    {"finding": e["key"].split("/")[0], "field": e["field"], "problem": e["message"]}
                    for e in error.errors
                ),
                hide_index=True,
                key="worksheet:errors",
            )
            return
        common.clear_caches()
        del st.session_state[editor]
        common.flash(f"Saved {counts.created + counts.updated} assessment(s) of {followup}.")
        st.rerun()


with st.container(border=True):
    chosen_filters = filters()
frame, total = common.findings(database, who, **chosen_filters)
st.session_state["findings:listed"] = list(frame["finding_id"])
listing, editing, assessing = st.tabs(TABS, key="findings:tab", on_change="rerun")
if listing.open:
    with listing:
        browse(frame, total)
if editing.open:
    with editing:
        edit(list(frame["finding_id"]))
if assessing.open:
    with assessing:
        assess()
