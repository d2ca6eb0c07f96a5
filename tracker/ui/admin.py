"""Admin: the team server's users and the audit trail of every change (administrators only)."""

import datetime as dt

import pandas as pd
import streamlit as st

from tracker.errors import TrackerError
from tracker.models import DEFAULT_CONFIDENTIALITY, Confidentiality, Role
from tracker.services.people import audit, users
from tracker.services.people.access import has_full_clearance
from tracker.ui import common, reference_admin

st.title("Admin")
who, engine = common.actor(), common.engine()
if not who.is_admin:
    st.error("Only administrators may open this page; ask one for what you need.", icon=":material/block:")
    st.stop()

ROLES = [r.value for r in Role]
LEVELS = [c.value for c in Confidentiality]


def attempt(action, success: str) -> None:
    """Run a change; say it worked on the next run, or show why not right here."""
    try:
        action()
    except TrackerError as error:
        common.message(error)
        return
    common.flash(success)
    st.rerun()


users_tab, audit_tab, reference_tab = st.tabs(["Users", "Audit trail", "Reference data"])

with users_tab:
    accounts = users.list_users(engine, who)
    if accounts.empty:
        st.info("There are no users yet. Add the first one below or with `tracker user add`.", icon=":material/info:")
    else:
        common.dataframe(
            accounts,
            hide_index=True,
            key="admin:users",
            column_config={
                "locked_until": st.column_config.DatetimeColumn("Locked until (UTC)"),
                "created_at": st.column_config.DatetimeColumn("Created (UTC)"),
                "last_sign_in": st.column_config.DatetimeColumn("Last signed in (UTC)"),
            },
        )

    add, change = st.columns(2)
    with add, st.form("admin:add", clear_on_submit=True):
        st.subheader("Add a user")
        username = st.text_input("Username", help="Letters, digits and . _ @ -")
        password = st.text_input("Password", type="password", help="At least 10 characters.")
        repeated = st.text_input("Password again", type="password")
        role = st.selectbox(
            "Role",
            ROLES,
            format_func=common.label,
            help="Viewers read; analysts also write; administrators also manage users.",
        )
        clearance = st.selectbox(
            "Clearance",
            LEVELS,
            index=LEVELS.index(DEFAULT_CONFIDENTIALITY.value),
            format_func=common.label,
            help="The most restricted level this user may see.",
        )
        if st.form_submit_button("Add user", type="primary"):
            if password != repeated:
                st.error("The two passwords differ; type the same password twice.", icon=":material/error:")
            else:
                attempt(
                    lambda: users.add_user(engine, who, users.validated_user(username, password, role, clearance)),
                    f"Added user {username.strip()}.",
                )

    with change:
        if not accounts.empty:
            st.subheader("Change a user")
            chosen = st.selectbox("User", accounts["username"].tolist(), key="admin:chosen")
            current = accounts.set_index("username").loc[chosen]
            with st.form(f"admin:change:{chosen}"):
                new_role = st.selectbox("Role", ROLES, index=ROLES.index(current["role"]), format_func=common.label)
                new_clearance = st.selectbox(
                    "Clearance", LEVELS, index=LEVELS.index(current["clearance"]), format_func=common.label
                )
                enabled = st.toggle(
                    "May sign in", value=not current["disabled"], help="Turning this on also lifts a lockout."
                )
                if st.form_submit_button("Save changes"):

                    def save_changes() -> None:
                        if new_role != current["role"]:
                            users.set_role(engine, who, chosen, new_role)
                        if new_clearance != current["clearance"]:
                            users.set_clearance(engine, who, chosen, new_clearance)
                        if users.changes_sign_in(
                            disabled=bool(current["disabled"]),
                            locked=bool(pd.notna(current["locked_until"])),
                            may_sign_in=enabled,
                        ):
                            users.set_disabled(engine, who, chosen, disabled=not enabled)

                    attempt(save_changes, f"Saved the changes to {chosen}.")
            with st.form(f"admin:password:{chosen}", clear_on_submit=True):
                new_password = st.text_input("New password", type="password")
                new_repeated = st.text_input("New password again", type="password")
                if st.form_submit_button("Set password"):
                    if new_password != new_repeated:
                        st.error("The two passwords differ; type the same password twice.", icon=":material/error:")
                    else:
                        attempt(
                            lambda: users.set_password(engine, who, chosen, new_password),
                            f"Set a new password for {chosen}.",
                        )

with audit_tab:
    if not has_full_clearance(who):
        st.info(
            "The audit trail holds values of every confidentiality level; only administrators cleared for "
            "restricted may read it.",
            icon=":material/lock:",
        )
        st.stop()
    entity_column, key_column, since_column = st.columns(3)
    entity = entity_column.selectbox(
        "Entity",
        ["", *audit.AUDITED_ENTITIES],
        format_func=lambda e: common.label(e) or "All",
        key="admin:entity",
    )
    key = key_column.text_input("Key", placeholder="e.g. KOR-2023 or a finding id", key="admin:key").strip()
    since = since_column.date_input("Since", value=None, key="admin:since", help="Events on or after this day (UTC).")
    events = audit.events(
        engine,
        who,
        entity=entity or None,
        key=key or None,
        since=dt.datetime.combine(since, dt.time(), dt.UTC) if since else None,
    )
    st.caption(f"{len(events)} events, newest first{' (the latest 1000)' if len(events) == 1000 else ''}.")
    common.dataframe(
        events.assign(changes=events["changes"].map(audit.changes_in_words)).drop(columns=["id"]),
        hide_index=True,
        key="admin:audit",
        column_config={
            "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "changes": st.column_config.TextColumn("Changes", width="large"),
        },
    )

with reference_tab:
    reference_admin.show(who, engine, attempt)
