"""Review before save, and Undo after: every save of the dashboard shows its exact changes first.

A save is run once as a dry run; its changes (row, field, before → after) are drawn where the
user is looking, with Confirm and Back; after the real save the confirmation appears in the same
place with an Undo that writes the previous values back as a new, audited change.
"""

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from tracker.errors import TrackerError, ValidationFailed
from tracker.services.bundle.importer import Change
from tracker.services.bundle.review_guard import ROW, ChangedSince, same
from tracker.services.presentation.frames import rows_of
from tracker.services.presentation.wording import label
from tracker.services.records import history, withdrawal
from tracker.services.records.editing import Saved, field_errors
from tracker.ui import common

_WORDED = {"kind", "status", "severity", "modality", "sector", "confidentiality"}


def words(field: str, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(label(v) if field in _WORDED else str(v) for v in value)
    return label(value) if field in _WORDED else str(value)


def changes_frame(changes: list[Change]) -> pd.DataFrame:
    """One line per changed field, in words: Row, Field, Before, After."""
    return pd.DataFrame(
        [
            {
                "Row": change.key,
                "Field": "(new row)" if change.field == "*" else label(change.field),
                "Before": "—" if change.field == "*" else words(change.field, change.old),
                "After": "added" if change.field == "*" else words(change.field, change.new),
            }
            for change in changes
        ],
        columns=["Row", "Field", "Before", "After"],
    )


def show_changes(changes: list[Change], key: str) -> None:
    common.dataframe(
        changes_frame(changes),
        hide_index=True,
        key=key,
        column_config={
            "Row": st.column_config.TextColumn("Row", width="medium"),
            "Before": st.column_config.TextColumn("Before", width="large"),
            "After": st.column_config.TextColumn("After", width="large"),
        },
    )


def propose(key: str, preview: Callable[[], Saved], payload: Any) -> bool:
    """Run the save as a dry run and keep its changes for review; False (and a notice) when nothing changes.

    Raises ValidationFailed like the save itself would.
    """
    saved = preview()
    if not saved.changes:
        st.session_state.pop(f"{key}:review", None)
        st.info("Nothing has changed since the last save.", icon=":material/info:")
        return False
    st.session_state[f"{key}:review"] = {"changes": saved.changes, "payload": payload}
    st.session_state.pop(f"{key}:saved", None)
    return True


def pending(key: str) -> dict | None:
    return st.session_state.get(f"{key}:review")


def moved_since(key: str, error: ChangedSince) -> None:
    """Keep what moved since the review of `key`, to show above the fresh review."""
    st.session_state[f"{key}:moved"] = error
    st.session_state.pop(f"{key}:review", None)


def show_moved(key: str) -> None:
    """What moved since the last review of `key`: each field, who changed it and when."""
    error = st.session_state.get(f"{key}:moved")
    if error is None:
        return
    common.message(
        f"{error.message[0].upper()}{error.message[1:]}. The review below is made against the stored values now.",
        "warning",
        icon=":material/group:",
    )
    common.dataframe(
        pd.DataFrame(
            [
                {
                    "Row": item.key,
                    "Field": "(the row)" if item.field == ROW else label(item.field),
                    "Changed by": item.username or "—",
                    "When (UTC)": f"{item.at:%Y-%m-%d %H:%M}" if item.at else "—",
                }
                for item in error.moved
                if item.key
            ],
            columns=["Row", "Field", "Changed by", "When (UTC)"],
        ),
        hide_index=True,
        key=f"{key}:moved:table",
    )


def confirm(
    key: str,
    save: Callable[[Any], Saved],
    success: str,
    *,
    after: Callable[[], None] | None = None,
    moved: Callable[[ChangedSince, Any], None] | None = None,
) -> None:
    """Draw the pending review of `key` (if any) with Confirm and Back; Confirm runs `save(payload)`.

    When the stored rows moved since the review, nothing was saved: `moved(error, payload)` prepares a
    fresh review (the page runs again), and what moved is shown above it.
    """
    review = pending(key)
    if review is None:
        return
    with st.container(border=True, key=f"{key}-review"):
        show_moved(key)
        count = len({c.key for c in review["changes"]})
        st.markdown(
            f"**Review before saving:** {len(review['changes'])} change(s) in {count} row(s). Nothing is saved yet."
        )
        show_changes(review["changes"], key=f"{key}:review:table")
        yes, back = st.columns([1, 4])
        if yes.button("Confirm and save", type="primary", key=f"{key}:confirm"):
            try:
                saved = save(review["payload"])
            except ChangedSince as error:
                moved_since(key, error)
                common.clear_caches()
                if moved:
                    moved(error, review["payload"])
                st.rerun()
            except ValidationFailed as error:
                common.message(error)
                common.dataframe(pd.DataFrame(error.errors), hide_index=True, key=f"{key}:review:errors")
                return
            except TrackerError as error:
                common.message(error)
                return
            st.session_state.pop(f"{key}:review", None)
            st.session_state.pop(f"{key}:moved", None)
            st.session_state[f"{key}:saved"] = {"message": success, "changes": saved.changes}
            common.clear_caches(common.changed_entities(saved.changes))
            if after:
                after()
            st.rerun()
        if back.button("Back to editing", key=f"{key}:back"):
            st.session_state.pop(f"{key}:review", None)
            st.session_state.pop(f"{key}:moved", None)
            st.rerun()


def saved_notice(key: str, who, *, after_undo: Callable[[], None] | None = None) -> None:
    """The confirmation of the last save of `key`, in place, with Undo.

    `after_undo` runs once the previous values are back, e.g. to draw a form again from them.
    """
    done = st.session_state.get(f"{key}:saved")
    if not done:
        return
    with st.container(border=True, key=f"{key}-saved"):
        common.message(done["message"], "success")
        if not done["changes"]:
            return
        with st.expander(f"What was saved ({len(done['changes'])} change(s))"):
            show_changes(done["changes"], key=f"{key}:saved:table")
        if st.button("Undo", icon=":material/undo:", key=f"{key}:undo", help="Write the previous values back."):
            try:
                history.undo(common.engine(), who, done["changes"])
            except TrackerError as error:
                common.message(error)
                return
            st.session_state[f"{key}:saved"] = {
                "message": "Undone: the previous values are back (the undo is in the history).",
                "changes": [],
            }
            common.clear_caches()
            if after_undo:
                after_undo()
            st.rerun()


def drawn(form: str, record: dict) -> dict:
    """The stored values a form's inputs were drawn with, which its save is reviewed against.

    An input drawn afresh (no value kept for it) takes the record's value; one the analyst may have
    edited keeps the value it was drawn with, unless a fresh review asked for the stored one now.
    """
    before = st.session_state.setdefault(f"{form}:drawn", {})
    fresh = st.session_state.pop(f"{form}:fresh", set())
    for name, value in record.items():
        if f"{form}:{name}" not in st.session_state or name not in before or name in fresh:
            before[name] = value
    return dict(before)


def _fresh_form(form: str, values: dict, before: dict | None) -> None:
    """After a refused save: inputs the analyst left as drawn are drawn again from the stored row;
    the others keep the analyst's value, now reviewed against the stored one."""
    for name, value in (before or {}).items():
        if same(values.get(name), value):
            st.session_state.pop(f"{form}:{name}", None)
    st.session_state[f"{form}:fresh"] = set(before or ())
    st.session_state[f"{form}:again"] = True


def form_save(
    form: str,
    who,
    submitted: bool,
    values: dict,
    save: Callable[[dict, bool, dict | None], Saved],
    success: str,
    *,
    before: dict | None = None,
    after: Callable[[], None] | None = None,
) -> None:
    """A form's save in three steps, drawn right below it: check and review, confirm, saved with Undo.

    `save(values, dry_run, before)` is the service call, `before` the stored values the form was
    drawn with (see `drawn`; None for a new row); problems go beside the fields as before. When
    the stored row has moved since, a fresh review is drawn, naming what moved.
    """
    key = f"review:{form}"
    again = st.session_state.pop(f"{form}:again", False)
    if submitted and not again:
        st.session_state.pop(f"{key}:moved", None)
    if submitted or again:
        try:
            proposed = propose(key, lambda: save(values, True, before), {"values": values, "before": before})
        except ChangedSince as error:
            moved_since(key, error)
            _fresh_form(form, values, before)
            st.rerun()
        except ValidationFailed as error:
            st.session_state.pop(key, None)
            st.session_state[f"{form}:errors"] = field_errors(error)
            st.session_state[f"{form}:message"] = error.on_page()
            st.rerun()
        st.session_state.pop(f"{form}:errors", None)
        st.session_state.pop(f"{form}:message", None)
        if proposed:
            st.rerun()
        # Nothing left to save once the stored row moved: say what moved, once.
        show_moved(key)
        st.session_state.pop(f"{key}:moved", None)

    def redrawn() -> None:
        # The form is drawn again from the stored row (a new one empty), with what it was drawn with.
        for name in [k for k in st.session_state if str(k).startswith(f"{form}:")]:
            del st.session_state[name]

    def cleared() -> None:
        redrawn()
        if after:
            after()

    def refused(error: ChangedSince, payload: dict) -> None:
        _fresh_form(form, payload["values"], payload["before"])

    confirm(
        key,
        lambda payload: save(payload["values"], False, payload["before"]),
        success,
        after=cleared,
        moved=refused,
    )
    # After Undo the inputs show the values put back, so the next click does not save the undone ones again.
    saved_notice(key, who, after_undo=redrawn)


# ---------------------------------------------------------------- history, withdrawal and deletion of any row


def history_panel(entity: str, key: str, who) -> None:
    """The row's saves, one line each in plain words, as far as the reader's clearance goes."""
    with st.expander("History", icon=":material/history:"):
        trail = history.saves(common.engine(), who, entity, key)
        if trail.empty:
            st.caption("No recorded change.")
            return
        common.dataframe(
            trail.drop(columns=["entity"]),
            hide_index=True,
            key=f"history:{entity}:{key}",
            column_config={
                "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
                "username": "Who",
                "action": "Action",
                "key": "Row",
                "change": st.column_config.TextColumn("What changed", width="large"),
            },
        )


def withdraw_panel(entity: str, key: str, who) -> None:
    """Withdraw the row with a reason; the confirmation, with Undo, appears right here."""
    notice = f"review:withdraw:{entity}:{key}"
    with st.expander(f"Withdraw this {entity}", icon=":material/block:"):
        st.caption(
            f"A withdrawn {entity} is kept with its reason and its history, and can be restored from the list of "
            "withdrawn rows; it leaves every count, page, export and report"
            + (", and so do its findings and meetings." if entity == "visit" else ".")
        )
        reason = st.text_input("Reason", key=f"withdraw:{entity}:{key}:reason", placeholder="e.g. entered twice")
        if st.button("Withdraw", key=f"withdraw:{entity}:{key}:go"):
            try:
                saved = withdrawal.withdraw(common.engine(), who, entity, key, reason)
            except TrackerError as error:
                common.message(error)
                return
            st.session_state[f"{notice}:saved"] = {
                "message": f"{label(entity)} {key} withdrawn.",
                "changes": saved.changes,
            }
            common.clear_caches({entity})
            st.rerun()
    saved_notice(notice, who)


def delete_panel(entity: str, key: str, who, after: Callable[[], object] | None = None) -> None:
    """For administrators: delete the row for good, once they tick that they mean it."""
    if not who.is_admin:
        return
    with st.expander("Delete permanently (administrators)", icon=":material/delete_forever:"):
        st.caption(f"Only a {entity} that no other row depends on can be deleted; withdrawing keeps it restorable.")
        sure = st.checkbox(f"I understand that {key} will be gone for good", key=f"delete:{entity}:{key}:sure")
        if st.button("Delete", disabled=not sure, key=f"delete:{entity}:{key}:go"):
            try:
                withdrawal.delete_permanently(common.engine(), who, entity, key)
            except TrackerError as error:
                common.message(error)
                return
            common.clear_caches({entity})
            common.flash(f"{label(entity)} {key} deleted; the audit trail keeps its last values.")
            if after:
                after()
            st.rerun()


def withdrawn_list(who) -> None:
    """Every withdrawn row the reader may see, each with Restore."""
    rows = withdrawal.withdrawn_rows(common.engine(), who)
    with st.expander(f"Withdrawn rows ({len(rows)})", icon=":material/inventory_2:"):
        if rows.empty:
            st.caption("Nothing is withdrawn.")
            return
        for row in rows_of(rows):
            what, restore = st.columns([5, 1])
            what.markdown(f"**{label(row.entity)} {common.plain(row.key)}**: {common.plain(row.reason)}")
            if who.can_write and restore.button("Restore", key=f"restore:{row.entity}:{row.key}"):
                try:
                    withdrawal.restore(common.engine(), who, row.entity, row.key)
                except TrackerError as error:
                    common.message(error)
                    return
                common.clear_caches({row.entity})
                common.flash(f"{label(row.entity)} {row.key} restored.")
                st.rerun()
