"""Who is using the dashboard: the sign-in form, session expiry and signing out."""

import time
from collections.abc import Callable

import streamlit as st

from tracker.config import get_settings
from tracker.db import get_engine
from tracker.errors import PermissionDenied, TrackerError
from tracker.models import Confidentiality
from tracker.services import users
from tracker.services.access import LOCAL_ADMIN, Actor

ACTOR = "actor"
LAST_ACTIVITY = "auth:last_activity"
NOTICE = "auth:notice"
# The password the session was opened with, as users.credential_stamp gives it.
CREDENTIAL = "auth:credential"
SESSION = "auth:session"


def current_actor() -> Actor:
    """The signed-in user; with TRACKER_AUTH off, the local administrator.

    With TRACKER_AUTH on and no one signed in, shows the sign-in form and stops the page.
    """
    if not get_settings().auth:
        return LOCAL_ADMIN
    actor = _session_actor()
    if actor is None:
        _sign_in_form()
        st.stop()
    return actor


def _session_actor() -> Actor | None:
    """The session's user as the database now has them, or None once expired or disabled."""
    actor = st.session_state.get(ACTOR)
    if actor is None:
        return None
    now = time.monotonic()
    minutes = get_settings().session_timeout_minutes
    if now - st.session_state.get(LAST_ACTIVITY, 0.0) > minutes * 60:
        sign_out(f"You were signed out after {minutes} minutes without activity; sign in again.")
        return None
    # Read afresh each run, so a changed role or clearance, or a disabled account, applies at once.
    current = users.active_actor(get_engine(), actor.username)
    if current is None:
        sign_out("Your account has been disabled; ask an administrator.")
        return None
    # A new password ends every session opened with the old one.
    credential = st.session_state.get(CREDENTIAL)
    if users.credential_stamp(get_engine(), actor.username) != credential:
        sign_out("Your password has been changed; sign in with the new one.")
        return None
    if current != actor:
        # What was read under the old role or clearance must not outlive it.
        _close_session()
        st.session_state[CREDENTIAL] = credential
        st.toast(
            f"Your access has changed ({current.role.value}, cleared for {current.clearance.value}); "
            "the page shows what it now allows.",
            icon=":material/lock:",
        )
    st.session_state[ACTOR] = current
    st.session_state[LAST_ACTIVITY] = now
    return current


def at_click(actor: Actor, level: Confidentiality | str | None = None) -> Callable[[], Actor]:
    """For a download built when clicked, outside any run of the page: who the user is then.

    With logins on, the account is read again and the session's expiry applies, so a file built
    after a clearance change, a disabled account, an expired session or a sign-out is refused
    with one sentence before anything is read; so is one whose `level` is now above the
    user's clearance.
    """
    if not get_settings().auth:
        return lambda: actor
    expires_at = st.session_state.get(LAST_ACTIVITY, 0.0) + get_settings().session_timeout_minutes * 60
    # A plain dict kept by reference: signing out marks it closed for callables already handed out.
    session = st.session_state.setdefault(SESSION, {"open": True})
    engine = get_engine()
    wanted = Confidentiality(level) if level else None

    def user_now() -> Actor:
        if not session.get("open"):
            raise PermissionDenied("you have signed out since the page was drawn", "sign in again and download")
        current = users.still_permitted(engine, actor, expires_at=expires_at)
        if wanted is not None and wanted.rank > current.clearance.rank:
            raise PermissionDenied(
                f"your clearance is now {current.clearance.value}, below the level of this download ({wanted.value})",
                "choose the level again and download",
            )
        return current

    return user_now


def _close_session() -> None:
    """Downloads handed out to this session refuse from now on, and what it kept is dropped."""
    st.session_state.get(SESSION, {})["open"] = False
    st.session_state.clear()


def sign_out(notice: str | None = None) -> None:
    # What the session kept (filters, a generated report) belongs to the user leaving.
    _close_session()
    if notice:
        st.session_state[NOTICE] = notice


def _sign_in_form() -> None:
    st.title("Follow-up Visit Progress Tracker")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        from tracker.ui.common import message  # common imports this module

        message(notice, "info", icon=":material/logout:")
    if not users.any_user(get_engine()):
        st.warning(
            "No one can sign in yet: create the first administrator on the server with "
            "`tracker user add NAME --role admin --clearance restricted`.",
            icon=":material/person_add:",
        )
    with st.form("sign_in"):
        st.subheader("Sign in")
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            actor = users.authenticate(get_engine(), username, password, source=_source())
        except TrackerError as error:
            from tracker.ui.common import message  # common imports this module

            message(error)
            return
        st.session_state[ACTOR] = actor
        st.session_state[CREDENTIAL] = users.credential_stamp(get_engine(), actor.username)
        st.session_state[LAST_ACTIVITY] = time.monotonic()
        st.rerun()


def _source() -> str:
    """The browser's address, which failed sign-ins are counted against (not the account)."""
    return st.context.ip_address or "unknown"


def sign_out_button() -> None:
    """A sidebar button ending the session, when logins are on."""
    signed_in = get_settings().auth and st.session_state.get(ACTOR) is not None
    if signed_in and st.button("Sign out", icon=":material/logout:"):
        sign_out("You have signed out.")
        st.rerun()
