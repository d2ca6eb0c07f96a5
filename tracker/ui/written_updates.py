"""A State's written updates on the dashboard (docs/data-formats.md): listed beside its visits, never among
them, and what each says of an item on the finding's panel; every status marked self-reported."""

import datetime as dt
from typing import Any

import streamlit as st

from tracker.models import DEFAULT_CONFIDENTIALITY, EARLIEST_DATE, LATEST_DATE, Confidentiality, Status
from tracker.services.people.access import Actor
from tracker.services.presentation.wording import label
from tracker.services.progress.self_reported import SELF_REPORTED
from tracker.services.records import updates as updates_service
from tracker.services.records.editing import Saved
from tracker.ui import common, review

STATUSES = {status.value: label(status.value) for status in Status}
LEVELS = {level.value: label(level.value) for level in Confidentiality}


def updates_tab(who: Actor, states: dict[str, str]) -> None:
    """The written updates of one State, and a form to record one."""
    st.caption(
        "A State's written update (its six-month response, a letter on implementation) is not a visit: "
        f"what it says is shown {SELF_REPORTED} and counts in no figure."
    )
    names = {code: f"{name} ({code})" for code, name in states.items()}
    state = common.choice("State", names, None, "updates:state", blank=True, placeholder="Choose a State")
    if not state:
        return
    listed = updates_service.state_updates(common.engine(), who, state)
    if listed.empty:
        st.caption("No written update recorded for this State.")
    else:
        common.dataframe(
            common.in_words(listed),
            hide_index=True,
            key="updates:table",
            column_config={
                "update_id": "Update",
                "received_on": st.column_config.DateColumn("Received", format="YYYY-MM-DD"),
                "reference": "Reference",
                "summary": st.column_config.TextColumn("Summary", width="large"),
                "items": "Items reported on",
                "confidentiality": "Confidentiality",
            },
        )
    if common.read_only_notice(who):
        return
    st.subheader("Record a written update")
    form = f"update:new:{state}"
    common.form_message(form)
    with st.form(form):
        values: dict[str, Any] = {"state": state}
        first, second = st.columns(2)
        with first:
            values["update_id"] = st.text_input(
                "Update id", key=f"{form}:update_id", help="A stable key such as KOR-U-2024."
            )
            common.field_error(form, "update_id")
        with second:
            values["received_on"] = st.date_input(
                "Received on",
                dt.date.today(),
                min_value=EARLIEST_DATE,
                max_value=LATEST_DATE,
                key=f"{form}:received_on",
            )
            common.field_error(form, "received_on")
        values["reference"] = st.text_input(
            "Reference", key=f"{form}:reference", help="e.g. the note verbale's number."
        )
        values["summary"] = st.text_area("Summary", key=f"{form}:summary")
        values["confidentiality"] = common.choice(
            "Confidentiality", LEVELS, DEFAULT_CONFIDENTIALITY.value, f"{form}:confidentiality"
        )
        common.other_errors(form, ("update_id", "received_on"))
        submitted = st.form_submit_button("Review and add", type="primary")
    review.form_save(
        form,
        who,
        submitted,
        values,
        lambda data, dry_run, _drawn: _saved_update(who, data, dry_run),
        f"Update {values['update_id']} added.",
    )


def _saved_update(who: Actor, data: dict, dry_run: bool) -> Saved:
    return updates_service.save_update(common.engine(), who, data, new=True, dry_run=dry_run)


def finding_updates(who: Actor, finding: dict) -> None:
    """On a trackable finding's panel: what the State reported of it, and a form to record more."""
    said, choices = updates_service.finding_claims(common.engine(), who, finding["finding_id"])
    st.markdown(f"**What the State reported in writing** ({SELF_REPORTED}, never counted)")
    if said.empty:
        st.caption("No written update speaks of this item.")
    else:
        shown = said.assign(status=said["status"].map(lambda s: f"{label(s)} ({SELF_REPORTED})"))
        common.dataframe(
            shown,
            hide_index=True,
            key="panel:updates",
            column_config={
                "update_id": "Update",
                "received_on": st.column_config.DateColumn("Received", format="YYYY-MM-DD"),
                "status": "Status as reported",
                "evidence": st.column_config.TextColumn("What the State says", width="large"),
            },
        )
    if not who.can_write or finding["withdrawn"] or finding["visit_withdrawn"]:
        return
    if choices.empty:
        st.caption("Record the State's update on the Visits page first, then what it says of this item here.")
        return
    names = {
        update_id: f"{update_id}, received {received_on}"
        for update_id, received_on in zip(choices["update_id"], choices["received_on"].astype(str))
    }
    form = f"update_item:{finding['finding_id']}"
    common.form_message(form)
    with st.form(form):
        values: dict[str, Any] = {"finding_id": finding["finding_id"]}
        values["update_id"] = common.choice("Update", names, None, f"{form}:update_id", blank=True)
        common.field_error(form, "update_id")
        values["status"] = common.choice("Status as the State reports it", STATUSES, None, f"{form}:status", blank=True)
        common.field_error(form, "status")
        values["evidence"] = st.text_area("What the State says", key=f"{form}:evidence")
        common.other_errors(form, ("update_id", "status"))
        submitted = st.form_submit_button("Review the self-reported status", type="primary")
    review.form_save(
        form,
        who,
        submitted,
        values,
        lambda data, dry_run, _drawn: updates_service.save_update_item(common.engine(), who, data, dry_run=dry_run),
        f"Self-reported status of {finding['finding_id']} recorded.",
    )
