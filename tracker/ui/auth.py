"""Who is using the dashboard: the sign-in form, session expiry and signing out.

With logins on, a sign-in opens a session in the database (tracker.services.people.sessions) whose token
the browser keeps in a cookie when the team server (tracker/app.py) serves the page, so a reload or a
link opened in a new tab stays signed in; signing out ends it in every tab. With single sign-on
(TRACKER_AUTH=oidc) Streamlit's st.login signs the user in through the organisation's identity
provider, and the identity it leaves in the browser names the session.
"""

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from tracker import logs, web
from tracker.config import AuthMode, get_settings
from tracker.db import get_engine
from tracker.errors import PermissionDenied, TrackerError
from tracker.models import Confidentiality
from tracker.services.people import sessions, users
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.ui.text import message

ACTOR = "actor"
LAST_ACTIVITY = "auth:last_activity"
NOTICE = "auth:notice"
# The password the session was opened with, as users.credential_stamp gives it.
CREDENTIAL = "auth:credential"
SESSION = "auth:session"
# The token of the session in the database, and a ticket for the browser to exchange for its cookie.
TOKEN = "auth:token"
TICKET = "auth:ticket"
DROP_COOKIE = "auth:drop_cookie"
# The cookie (split into numbered parts when long) in which st.login keeps the signed-in identity.
IDENTITY_COOKIE = "_streamlit_user"
LOOPBACK = "127.0.0.1"
# The page and query of the address the user came with, to open once they have signed in.
RETURN = "auth:return"


def current_actor() -> Actor:
    """The signed-in user; with TRACKER_AUTH off, the local administrator.

    With logins on and no one signed in, shows the sign-in form (TRACKER_AUTH=on) or the button to
    the organisation's sign-in (oidc) and stops the page.
    """
    mode = get_settings().auth
    if not mode:
        return LOCAL_ADMIN
    actor = _session_actor()
    _cookie_to_browser()
    if actor is None and mode == AuthMode.oidc:
        actor = _signed_on()
    if actor is None:
        _remember_address()
        if mode == AuthMode.oidc:
            _single_sign_on_page()
        else:
            _sign_in_form()
        st.stop()
    return actor


def _remember_address() -> None:
    """The page and query of the address opened before signing in (e.g. /findings?finding=KOR-2009-F15)."""
    if RETURN not in st.session_state:
        path = urlsplit(st.context.url or "").path.strip("/")
        st.session_state[RETURN] = {"page": path.rsplit("/", 1)[-1], "query": st.query_params.to_dict()}


def return_to_address(pages: Iterable[StreamlitPage], current: StreamlitPage) -> None:
    """Once signed in, open the page and query of the address the user came with, if they may open it."""
    wanted = st.session_state.pop(RETURN, None)
    if not wanted or (not wanted["page"] and not wanted["query"]):
        return
    target = next((page for page in pages if page.url_path == wanted["page"]), None)
    if target is None and wanted["page"]:
        return
    target = target or current
    if target.url_path != current.url_path or st.query_params.to_dict() != wanted["query"]:
        st.switch_page(target, query_params=wanted["query"])


def _session_actor() -> Actor | None:
    """The session's user as the database now has them, or None once expired or disabled."""
    actor = st.session_state.get(ACTOR)
    if actor is None:
        return _resumed_from_cookie()
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
    # Signed out in another tab, or ended on the server.
    token = st.session_state.get(TOKEN)
    if token is not None:
        resumed = sessions.resume(get_engine(), token)
        if resumed.actor is None:
            sign_out(resumed.ended)
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


def _browser_token() -> str | None:
    """The session the browser names: the tracker's cookie, or with single sign-on the identity st.login left."""
    if get_settings().auth == AuthMode.oidc:
        return _identity_token()
    if not web.served:
        return None
    return sessions.token_of(st.context.cookies.get(sessions.COOKIE))


def _identity_token() -> str | None:
    if not st.user.is_logged_in:
        return None
    identity = "".join(value for name, value in sorted(st.context.cookies.items()) if name.startswith(IDENTITY_COOKIE))
    # Each sign-in at the provider leaves a new, signed identity: a new session.
    return hashlib.sha256(identity.encode()).hexdigest() if identity else None


def _resumed_from_cookie() -> Actor | None:
    """The user of the session the browser names, when one is open: a reload or a new tab."""
    token = _browser_token()
    if token is None:
        return None
    resumed = sessions.resume(get_engine(), token)
    if resumed.actor is None:
        if resumed.ended:
            sign_out(resumed.ended)
        return None
    _start(resumed.actor, token)
    return resumed.actor


def _signed_on() -> Actor | None:
    """With single sign-on, the user st.login has just signed in: a session opens for their identity."""
    if not st.user.is_logged_in:
        return None
    claimed = next((str(st.user.get(c)) for c in ("email", "preferred_username", "sub") if st.user.get(c)), "")
    actor = users.signed_on(get_engine(), claimed, source=_source()) if claimed else None
    if actor is None:
        # The provider's identity stays, so the page can say why and offer to sign out of it.
        sign_out(
            "Your account has been disabled; ask an administrator."
            if claimed
            else "The identity provider did not say who you are (no e-mail, user name or subject); "
            "ask whoever runs the tracker.",
            leave_provider=False,
        )
        return None
    logs.log.info("signed in", extra={"action": "sign in", "user": actor.username})
    # Without the provider's identity in the browser (a test run), the session lives in this tab.
    _start(actor, sessions.open_session(get_engine(), actor, _identity_token()))
    return actor


def _start(actor: Actor, token: str) -> None:
    st.session_state[ACTOR] = actor
    st.session_state[CREDENTIAL] = users.credential_stamp(get_engine(), actor.username)
    st.session_state[LAST_ACTIVITY] = time.monotonic()
    st.session_state[TOKEN] = token


def _browser_request(method: str, body: str = "") -> None:
    """Have the browser call the session route: to take its cookie (POST a ticket) or drop it (DELETE)."""
    base = "/" + (st.get_option("server.baseUrlPath") or "").strip("/")
    url = (base.rstrip("/") + web.SESSION_PATH) if base != "/" else web.SESSION_PATH
    options = {
        "method": method,
        "body": body or None,
        "credentials": "same-origin",
        "headers": {web.REQUEST_HEADER: "1"},
    }
    st.html(
        f"<script>fetch({json.dumps(url)}, {json.dumps(options)});</script>",
        unsafe_allow_javascript=True,
    )


def _cookie_to_browser() -> None:
    """After a sign-in the browser takes the session's cookie; after a sign-out it drops it (once each)."""
    ticket = st.session_state.pop(TICKET, None)
    if ticket:
        _browser_request("POST", ticket)
    elif st.session_state.pop(DROP_COOKIE, False):
        _browser_request("DELETE")


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
    token = st.session_state.get(TOKEN)

    def user_now() -> Actor:
        if not session.get("open"):
            raise PermissionDenied("you have signed out since the page was drawn", "sign in again and download")
        current = users.still_permitted(engine, actor, expires_at=expires_at)
        if token is not None and sessions.resume(engine, token, touch=False).actor is None:
            raise PermissionDenied("the session has ended", "sign in again")
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


def sign_out(notice: str | None = None, *, leave_provider: bool = True) -> bool:
    """End the session: in the database (so every tab sharing it), in the browser's cookie and in this tab;
    with single sign-on also the identity the provider left, unless `leave_provider` is False.

    True when the browser is on its way to the provider's sign-out: the run must then end without
    a rerun, which would drop that redirect before it reaches the browser."""
    sessions.end_session(get_engine(), st.session_state.get(TOKEN) or _browser_token())
    # What the session kept (filters, a generated report) belongs to the user leaving.
    _close_session()
    st.session_state[DROP_COOKIE] = web.served and sessions.COOKIE in st.context.cookies
    if notice:
        st.session_state[NOTICE] = notice
    if leave_provider and get_settings().auth == AuthMode.oidc and st.user.is_logged_in:
        # The provider's identity goes too, in this tab and (at their next step) the others.
        st.logout()
        return True
    return False


def _sign_in_form() -> None:
    st.title("Follow-up Visit Progress Tracker")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
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
        source = _source()
        try:
            actor = users.authenticate(get_engine(), username, password, source=source)
        except TrackerError as error:
            logs.log.warning("sign-in refused", extra={"action": "sign in", "user": username[:64], "source": source})
            message(error)
            return
        logs.log.info("signed in", extra={"action": "sign in", "user": actor.username, "source": source})
        token = sessions.open_session(get_engine(), actor)
        _start(actor, token)
        if web.served:
            st.session_state[TICKET] = web.issue_ticket(token)
        st.rerun()


def _single_sign_on_page() -> None:
    st.title("Follow-up Visit Progress Tracker")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        message(notice, "info", icon=":material/logout:")
    if st.user.is_logged_in:
        st.button("Sign out", icon=":material/logout:", on_click=st.logout)
    else:
        st.button(
            "Sign in with your organisation's account", type="primary", icon=":material/login:", on_click=st.login
        )


def _source() -> str:
    """The browser's address, which failed sign-ins are counted against with the account."""
    # Streamlit gives no address for a connection from this machine, e.g. a reverse proxy beside it.
    peer = st.context.ip_address or LOOPBACK
    return web.client_address(peer, st.context.headers.get("X-Forwarded-For"))


def sign_out_button() -> None:
    """A sidebar button ending the session, when logins are on."""
    signed_in = get_settings().auth and st.session_state.get(ACTOR) is not None
    if signed_in and st.button("Sign out", icon=":material/logout:"):
        if sign_out("You have signed out."):
            # The browser is on its way to the provider, which sends it back to the sign-in page.
            st.info("Signing you out of your organisation's account…", icon=":material/logout:")
            st.stop()
        st.rerun()
