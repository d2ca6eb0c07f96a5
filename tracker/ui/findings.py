"""Findings: browse with filters, add and edit a finding, assess baseline items at a follow-up, and
the panel of one finding (`?finding=<finding_id>`): its full text, its status at every later visit,
an assessment form, withdrawal and its History."""

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from tracker.errors import TrackerError, ValidationFailed
from tracker.models import DEFAULT_CONFIDENTIALITY, TRACKABLE_KINDS, FindingKind, Severity, Status
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.review_guard import ChangedSince
from tracker.services.presentation.wording import date_span, label
from tracker.services.records import editing as records
from tracker.services.records import withdrawal
from tracker.ui import common, review, tables, written_updates

st.title("Findings")
who, database = common.actor(), common.url()
options = common.reference_options(database)
visits = common.visits(database, who)
visit_names = common.visit_names(visits)
areas = {code: f"{code} · {name}" for code, name in options["areas"].items()}
kinds = common.enum_words(FindingKind)
statuses = common.enum_words(Status)

TABS = ("Findings", "Add or edit", "Assess at a follow-up")


PAGE_SIZES = (50, 100, 250, 1000)
# The evidence column of an item's panel, in pixels: its rows are as tall as its longest evidence needs.
EVIDENCE_WIDTH = 320


def open_panel() -> None:
    selection = st.session_state["findings:table"].selection.rows
    if selection:
        st.query_params["finding"] = st.session_state["findings:listed"][selection[0]]


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


def page_controls(total: int) -> None:
    """Rows per page and the page, below the list; read before the list is queried."""
    size = st.session_state.get("findings:page_size", PAGE_SIZES[1])
    pages = max(1, -(-total // size))
    if st.session_state.get("findings:page", 1) > pages:
        st.session_state["findings:page"] = pages
    size_column, page_column, _ = st.columns([1, 1, 3])
    size_column.selectbox("Rows per page", PAGE_SIZES, index=1, key="findings:page_size")
    page_column.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="findings:page")


def browse(frame, total: int, offset: int) -> None:
    if total:
        st.caption(
            f"Findings {offset + 1}–{offset + len(frame)} of {total} matching. Select a row to open the finding."
        )
    else:
        st.caption("No finding matches these filters.")
    shown = common.in_words(frame).assign(priority=frame["priority"].map({True: "Priority", False: ""}))
    common.dataframe(
        shown,
        hide_index=True,
        key="findings:table",
        on_select=open_panel,
        selection_mode="single-row",
        column_order=[
            "finding_id",
            "title",
            "status",
            "area_name",
            "kind",
            "priority",
            "visit_id",
            "severity",
            "assessed_at",
            "continues",
            "confidentiality",
        ],
        column_config={
            "finding_id": st.column_config.TextColumn("Id", pinned=True),
            "title": st.column_config.TextColumn("Title", width="large"),
            "status": "Status",
            "area_name": st.column_config.TextColumn("Thematic area", width="medium"),
            "kind": "Kind",
            "priority": "Priority",
            "visit_id": "Visit",
            "severity": "Severity",
            "assessed_at": "Assessed at",
            "continues": "Continues",
            "confidentiality": "Confidentiality",
        },
        # Each title whole, in rows as tall as the longest needs (a "large" column is 400 px).
        row_height=tables.wrapped_row_height(shown["title"], 400),
    )


def propose_id(form: str) -> None:
    """A new finding's id follows the highest of the visit chosen."""
    visit_id = st.session_state.get(f"{form}:visit_id")
    if visit_id:
        st.session_state[f"{form}:finding_id"] = records.next_finding_id(common.engine(), visit_id)


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
    # What the inputs are drawn with, before any is: the save is reviewed against it.
    before = None if new else review.drawn(form, record)
    fields = SPECS["findings.csv"].columns
    common.form_message(form)
    values = {}
    if new:
        # Outside the form, so that choosing the visit proposes its next free id at once.
        values["visit_id"] = common.choice(
            "Visit", visit_names, None, f"{form}:visit_id", blank=True, on_change=propose_id, args=(form,)
        )
        common.field_error(form, "visit_id")
    with st.form(form):
        key_column, visit_column = st.columns([1, 2])
        with key_column:
            values["finding_id"] = st.text_input(
                "Finding id",
                record.get("finding_id", ""),
                key=f"{form}:finding_id",
                disabled=not new,
                help="A stable key such as KOR-2023-F07; a new one is proposed when you choose the visit.",
            )
            common.field_error(form, "finding_id")
        if not new:
            with visit_column:
                values["visit_id"] = common.choice("Visit", visit_names, record.get("visit_id"), f"{form}:visit_id")
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
                record.get("confidentiality", DEFAULT_CONFIDENTIALITY.value),
                f"{form}:confidentiality",
            )
            common.field_error(form, "confidentiality")
        common.other_errors(form, fields)
        if new:
            another = st.checkbox(
                "Add another after this one",
                True,
                key=f"{form}:another",
                help="Keeps the visit and proposes the next id.",
            )
        submitted = st.form_submit_button("Review and add" if new else "Review changes", type="primary")

    def next_one() -> None:
        if new and another and values.get("visit_id"):
            st.session_state[f"{form}:visit_id"] = values["visit_id"]
            st.session_state[f"{form}:finding_id"] = records.next_finding_id(common.engine(), values["visit_id"])
        elif new:
            st.query_params["finding"] = values["finding_id"]

    review.form_save(
        form,
        who,
        submitted,
        values,
        lambda data, dry_run, drawn: records.save_finding(
            common.engine(), who, data, new=new, dry_run=dry_run, before=drawn
        ),
        f"Finding {values['finding_id']} {'added' if new else 'saved'}.",
        before=before,
        after=next_one,
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
    # The finding's text comes first, so that each row is read before its status is set.
    order = ["finding_id", "title", "status", "evidence", "sub_area", "kind", "priority"]
    columns: dict[str, str | ColumnConfig] = {
        "finding_id": st.column_config.TextColumn("Id", pinned=True),
        "sub_area": "Area",
        "kind": st.column_config.SelectboxColumn("Kind", options=list(kinds), format_func=common.named(kinds)),
        "priority": st.column_config.CheckboxColumn("Priority"),
        "title": st.column_config.TextColumn("Finding", width="large"),
        "status": st.column_config.SelectboxColumn(
            "Status", options=list(statuses), format_func=common.named(statuses), required=True
        ),
        "evidence": st.column_config.TextColumn("Evidence", width="large"),
    }
    if common.read_only_notice(who):
        common.dataframe(source, hide_index=True, column_config=columns, column_order=order, key="worksheet:read")
        return
    editor = f"worksheet:{followup}"
    key = f"review:{editor}"
    # In a form, the edits reach the server together with Review, not one rerun per cell: a rerun
    # landing while the next cell's editor is open would close it with what was typed in it.
    with st.form(f"form:{editor}", border=False, enter_to_submit=False):
        # Drawn formula-safe for the toolbar's "Download as CSV"; the marks come off again before the diff.
        edited = st.data_editor(
            common.formula_safe(source),
            key=editor,
            hide_index=True,
            num_rows="fixed",
            column_order=order,
            # While a review is open the sheet is read-only, so what is confirmed is what was reviewed.
            disabled=True if review.pending(key) else [c for c in source.columns if c not in ("status", "evidence")],
            column_config=columns,
        )
        st.caption("For one item at a time, open it from the Findings list: its panel shows the full text.")
        submitted = st.form_submit_button("Review changes", type="primary", key="worksheet:save")
    # After a refused save: the analyst's changes, made again on the rows as they are now.
    again = st.session_state.pop(f"{editor}:again", None)
    if submitted or again:
        if again:
            changes = records.assessment_changes_again(again["changes"], again["before"], source)
        else:
            st.session_state.pop(f"{key}:moved", None)
            changes = records.assessment_changes(source, common.as_entered(edited))
        before = records.worksheet_before(source, changes)
        if not changes:
            review.show_moved(key)
            st.session_state.pop(f"{key}:moved", None)
            st.info("Nothing has changed since the last save.", icon=":material/info:")
        else:
            try:
                if review.propose(
                    key,
                    lambda: records.save_assessments(
                        common.engine(), who, followup, changes, dry_run=True, before=before
                    ),
                    {"changes": changes, "before": before},
                ):
                    st.rerun()
            except ChangedSince as error:
                review.moved_since(key, error)
                st.session_state[f"{editor}:again"] = {"changes": changes, "before": before}
                common.clear_caches()
                st.rerun()
            except ValidationFailed as error:
                common.message(error)
                common.dataframe(
                    pd.DataFrame(
                        {"finding": e["key"].split("/")[0], "field": e["field"], "problem": e["message"]}
                        for e in error.errors
                    ),
                    hide_index=True,
                    key="worksheet:errors",
                )

    def forget_edits() -> None:
        st.session_state.pop(editor, None)

    def again_on_fresh_rows(error, payload) -> None:
        # The analyst's changes are reviewed afresh on the rows read again.
        st.session_state[f"{editor}:again"] = payload
        forget_edits()

    review.confirm(
        key,
        lambda payload: records.save_assessments(
            common.engine(), who, followup, payload["changes"], before=payload["before"]
        ),
        f"Saved the assessments of {followup}.",
        after=forget_edits,
        moved=again_on_fresh_rows,
    )
    review.saved_notice(key, who, after_undo=forget_edits)


# ---------------------------------------------------------------- one finding's panel


def panel(finding_id: str) -> None:
    if st.button("Back to the list", icon=":material/arrow_back:", key="panel:back"):
        del st.query_params["finding"]
        st.rerun()
    try:
        finding, assessed, later = records.finding_panel(common.engine(), who, finding_id)
    except TrackerError as error:
        common.message(error)
        return
    st.subheader(common.plain(f"{finding['finding_id']} · {finding['title']}"))
    if finding["withdrawn"] or finding["visit_withdrawn"]:
        common.message(
            f"Withdrawn: {finding['withdrawn'] or 'its visit is withdrawn'}. It is left out of every count, page, "
            "export and report until it is restored.",
            "warning",
            icon=":material/block:",
        )
    facts = st.columns(4)
    facts[0].markdown(f"**Visit**  \n{common.plain(finding['visit_id'])}")
    facts[1].markdown(f"**Thematic area**  \n{common.plain(finding['area'])} · {common.plain(finding['area_name'])}")
    facts[2].markdown(f"**Kind**  \n{label(finding['kind'])}")
    facts[3].markdown(f"**Priority**  \n{'Yes' if finding['priority'] else 'No'}")
    facts = st.columns(4)
    facts[0].markdown(f"**Severity**  \n{label(finding['severity']) or '—'}")
    facts[1].markdown(f"**Source**  \n{common.plain(finding['source_ref'] or '—')}")
    facts[2].markdown(f"**Resolutions**  \n{', '.join(str(r) for r in finding['resolutions']) or '—'}")
    facts[3].markdown(f"**Confidentiality**  \n{label(finding['confidentiality'])}")
    if finding["continues"]:
        st.markdown(f"**Continues** {common.plain(finding['continues'])}")
    st.markdown("**Detail**")
    st.markdown(common.plain(finding["detail"]) if finding["detail"] else "—")

    trackable = finding["kind"] in TRACKABLE_KINDS
    if trackable:
        st.markdown("**Status at every later visit**")
        if assessed.empty:
            st.caption("Not assessed at any later visit yet.")
        else:
            # The panel is where an item's whole evidence is read: its rows grow to show it.
            common.dataframe(
                common.in_words(assessed.drop(columns=["start_date"])),
                hide_index=True,
                key="panel:assessed",
                row_height=tables.wrapped_row_height(assessed["evidence"], EVIDENCE_WIDTH),
                column_config={
                    "visit_id": "Visit",
                    "status": "Status",
                    "evidence": st.column_config.TextColumn("Evidence", width=EVIDENCE_WIDTH),
                    "assessed_on": st.column_config.DateColumn("Assessed on", format="YYYY-MM-DD"),
                    "confidentiality": "Confidentiality",
                },
            )
    if trackable:
        written_updates.finding_updates(who, finding)
    if who.can_write and not finding["withdrawn"] and not finding["visit_withdrawn"]:
        if trackable and not later.empty:
            assess_item(finding, assessed, later)
        review.withdraw_panel("finding", finding_id, who)
    elif who.can_write and finding["withdrawn"]:
        restore_item(finding)
    review.delete_panel("finding", finding_id, who, after=lambda: st.query_params.pop("finding", None))
    review.history_panel("finding", finding_id, who)


def assess_item(finding: dict, assessed, later) -> None:
    names = {row.visit_id: f"{row.visit_id}, {date_span(row.start_date, row.end_date)}" for row in later.itertuples()}
    st.markdown("**Assess at a later visit**")
    followup = common.choice("Visit", names, None, "panel:followup")
    stored = assessed[assessed["visit_id"] == followup]
    current = stored.iloc[0].to_dict() if not stored.empty else {}
    form = f"assess:{finding['finding_id']}:{followup}"
    # The assessment as the inputs are drawn with it; None when there is none yet.
    shown = {name: current.get(name) for name in ("status", "assessed_on", "evidence")}
    before = review.drawn(form, shown) if current else None
    common.form_message(form)
    with st.form(form):
        values = {"finding_id": finding["finding_id"], "visit_id": followup}
        status_column, date_column = st.columns([2, 1])
        with status_column:
            values["status"] = common.choice("Status", statuses, current.get("status"), f"{form}:status", blank=True)
            common.field_error(form, "status")
        with date_column:
            values["assessed_on"] = st.date_input(
                "Assessed on",
                current.get("assessed_on") or dt.date.today(),
                key=f"{form}:assessed_on",
                format="YYYY-MM-DD",
            )
            common.field_error(form, "assessed_on")
        values["evidence"] = st.text_area("Evidence", current.get("evidence", ""), key=f"{form}:evidence")
        common.field_error(form, "evidence")
        common.other_errors(form, ("status", "assessed_on", "evidence"))
        submitted = st.form_submit_button("Review assessment", type="primary")
    review.form_save(
        form,
        who,
        submitted,
        values,
        lambda data, dry_run, drawn: records.save_assessments(
            common.engine(),
            who,
            followup,
            [{k: v for k, v in data.items() if k != "visit_id"}],
            dry_run=dry_run,
            before={finding["finding_id"]: drawn},
        ),
        f"Assessment of {finding['finding_id']} at {followup} saved.",
        before=before,
    )


def restore_item(finding: dict) -> None:
    key = f"review:withdraw:finding:{finding['finding_id']}"
    review.saved_notice(key, who)
    if st.button("Restore", icon=":material/restore:", key=f"restore:{finding['finding_id']}"):
        try:
            saved = withdrawal.restore(common.engine(), who, "finding", finding["finding_id"])
        except TrackerError as error:
            common.message(error)
            return
        st.session_state[f"{key}:saved"] = {
            "message": f"Finding {finding['finding_id']} restored.",
            "changes": saved.changes,
        }
        common.clear_caches({"finding"})
        st.rerun()


opened = st.query_params.get("finding")
if opened:
    panel(opened)
else:
    with st.container(border=True):
        chosen_filters = filters()
    size = st.session_state.get("findings:page_size", PAGE_SIZES[1])
    offset = (int(st.session_state.get("findings:page", 1)) - 1) * size
    frame, total = common.findings(database, who, **chosen_filters, limit=size, offset=offset)
    if frame.empty and offset:
        # The filters changed under a later page: start again at the first.
        st.session_state["findings:page"], offset = 1, 0
        frame, total = common.findings(database, who, **chosen_filters, limit=size, offset=offset)
    st.session_state["findings:listed"] = list(frame["finding_id"])
    listing, editing, assessing = st.tabs(TABS, key="findings:tab", on_change="rerun")
    if listing.open:
        with listing:
            browse(frame, total, offset)
            page_controls(total)
    if editing.open:
        with editing:
            edit(list(frame["finding_id"]))
    if assessing.open:
        with assessing:
            assess()
    review.withdrawn_list(who)
