"""Sign-in sessions that outlive a browser tab: a reload or a link opened in a new tab stays signed in.

With passwords the browser keeps a random token in a signed, expiring cookie; with single sign-on
the token is the identity the provider's sign-in left in the browser. The database keeps only the
token's SHA-256, with the user and the password the session was opened with. A session ends at
sign-out, after `session_timeout_minutes` without activity or `session_max_hours` in all, when the
account is disabled, and when its password changes; an ended session is kept a while, marked, so
that the same token cannot open it again.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import cache

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine, delete, insert, select, update

from tracker.config import get_settings
from tracker.db import writing
from tracker.models import SignInSession, table_of
from tracker.services.people import users
from tracker.services.people.access import Actor

session_table = table_of(SignInSession)
COOKIE = "tracker_session"
# last_seen is written at most this often, so that each click does not write to the database.
_TOUCH_EVERY = dt.timedelta(minutes=1)
# Longer than a provider's sign-in is kept in the browser (Streamlit's: 30 days).
_KEPT = dt.timedelta(days=31)


@dataclass(frozen=True)
class Resumed:
    """The session's user, or why there is none (None: no session was open)."""

    actor: Actor | None
    ended: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def _process_key() -> str:
    return secrets.token_urlsafe(32)


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key or _process_key(), salt="tracker-session")


def max_age_seconds() -> int:
    return get_settings().session_max_hours * 3600


def cookie_value(token: str) -> str:
    """The token signed with the server's key and the time: what the browser's cookie holds."""
    return _signer().dumps(token)


def token_of(cookie: str | None) -> str | None:
    """The token of a cookie this server signed within the session's whole lifetime, else None."""
    if not cookie:
        return None
    try:
        token = _signer().loads(cookie, max_age=max_age_seconds())
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def open_session(engine: Engine, actor: Actor, token: str | None = None) -> str:
    """A new session for a user who has just signed in; returns its token (a new one unless given)."""
    token = token or secrets.token_urlsafe(32)
    at = _now()
    row = {
        "token_hash": _hash(token),
        "username": actor.username,
        "credential": users.credential_stamp(engine, actor.username),
        "created_at": at,
        "last_seen": at,
    }
    with writing(engine) as connection:
        # Old sessions are cleared as new ones open, so the table stays small.
        connection.execute(delete(session_table).where(session_table.c.created_at < at - _KEPT))
        known = connection.execute(
            select(session_table.c.token_hash).where(session_table.c.token_hash == row["token_hash"])
        ).first()
        # Two tabs opened at once after one sign-in at the provider name the same session.
        if known is None:
            connection.execute(insert(session_table), [row])
    return token


def resume(engine: Engine, token: str | None, *, touch: bool = True) -> Resumed:
    """The user of an open session, read afresh; a session that has ended is removed and says why."""
    if not token:
        return Resumed(None)
    key = _hash(token)
    with engine.connect() as connection:
        row = connection.execute(select(session_table).where(session_table.c.token_hash == key)).first()
    if row is None:
        return Resumed(None)
    if row.ended_at is not None:
        return Resumed(None, "Your session has ended; sign in again.")
    settings = get_settings()
    at = _now()
    ended = None
    if at - row.last_seen > dt.timedelta(minutes=settings.session_timeout_minutes):
        ended = f"You were signed out after {settings.session_timeout_minutes} minutes without activity; sign in again."
    elif at - row.created_at > dt.timedelta(hours=settings.session_max_hours):
        ended = f"You were signed out after {settings.session_max_hours} hours; sign in again."
    actor = users.active_actor(engine, row.username) if ended is None else None
    if ended is None and actor is None:
        ended = "Your account has been disabled; ask an administrator."
    if ended is None and users.credential_stamp(engine, row.username) != row.credential:
        ended = "Your password has been changed; sign in with the new one."
    if ended is not None:
        end_session(engine, token)
        return Resumed(None, ended)
    if touch and at - row.last_seen > _TOUCH_EVERY:
        with writing(engine) as connection:
            connection.execute(update(session_table).where(session_table.c.token_hash == key).values(last_seen=at))
    return Resumed(actor)


def end_session(engine: Engine, token: str | None) -> None:
    """Sign-out: the session ends in every tab and browser window that shares it."""
    if token:
        with writing(engine) as connection:
            connection.execute(
                update(session_table)
                .where(session_table.c.token_hash == _hash(token), session_table.c.ended_at.is_(None))
                .values(ended_at=_now())
            )


def open_sessions(engine: Engine, username: str) -> int:
    query = select(session_table.c.token_hash).where(
        session_table.c.username == username, session_table.c.ended_at.is_(None)
    )
    with engine.connect() as connection:
        return len(connection.execute(query).all())
