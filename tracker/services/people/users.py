"""Team-server users: accounts, roles, clearance, passwords and sign-in.

Passwords are hashed with argon2id and must be hard to guess (zxcvbn). Repeated failed sign-ins
to one account from one source make that source wait, longer after each further failure, while
the owner signs in from anywhere else; every change to an account and every sign-in attempt
leaves an AuditEvent.
"""

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, insert, select, update

from tracker.config import get_settings
from tracker.db import require_schema, writing
from tracker.errors import NotFound, PermissionDenied, TrackerError
from tracker.models import Confidentiality, Role, User, UserCreate, table_of
from tracker.services.people import audit
from tracker.services.people.access import Actor, require_admin

user_table = table_of(User)
_E = TypeVar("_E", bound=StrEnum)
hasher = PasswordHasher()

# Verified when the username is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = hasher.hash("not a real password")

# Columns an administrator sees; the password hash never leaves this module except in a backup.
PUBLIC_COLUMNS = (
    "username",
    "role",
    "clearance",
    "disabled",
    "failed_logins",
    "locked_until",
    "created_at",
    "last_sign_in",
)


def _actor(row: Any) -> Actor:
    return Actor(row.username, Role(row.role), Confidentiality(row.clearance))


def _validation_message(error: ValidationError) -> TrackerError:
    problem = error.errors()[0]
    field = str(problem["loc"][0]) if problem["loc"] else "value"
    message, _, hint = problem["msg"].removeprefix("Value error, ").partition("; ")
    return TrackerError(f"the {field} is not acceptable ({message})", hint or f"correct the {field} and try again")


def validated_user(
    username: str,
    password: str,
    role: str | Role = Role.viewer,
    clearance: str | Confidentiality = Confidentiality.committee,
) -> UserCreate:
    """The input checked by UserCreate, with any problem as one sentence."""
    try:
        return UserCreate(username=username, password=password, role=role, clearance=clearance)
    except ValidationError as error:
        raise _validation_message(error) from None


def _stored(connection: Connection, username: str, *, for_update: bool = False) -> Any:
    query = select(user_table).where(user_table.c.username == username)
    row = connection.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound(f"there is no user {username}", "see 'tracker user list' for the users there are")
    return row


def _ensure_an_admin_remains(connection: Connection) -> None:
    admins = connection.execute(
        select(func.count())
        .select_from(user_table)
        .where(user_table.c.role == Role.admin.value, user_table.c.disabled.is_(False))
    ).scalar_one()
    if admins == 0:
        raise TrackerError("this would leave no active administrator", "make another user an administrator first")


def _require_within_clearance(actor: Actor, clearance: str | Confidentiality, what: str) -> None:
    """Nobody grants, or takes over by a password reset, a clearance above their own."""
    if Confidentiality(clearance).rank > actor.clearance.rank:
        raise PermissionDenied(
            f"{actor.username} may not {what} cleared above their own clearance",
            "ask an administrator with that clearance",
        )


def add_user(engine: Engine, actor: Actor, user: UserCreate) -> Actor:
    require_admin(actor)
    _require_within_clearance(actor, user.clearance, "create an account")
    require_schema(engine)
    row = {
        "username": user.username,
        "password_hash": hasher.hash(user.password),
        "role": user.role.value,
        "clearance": user.clearance.value,
        "disabled": False,
        "failed_logins": 0,
        "locked_until": None,
        "created_at": audit.now(),
    }
    with writing(engine) as connection:
        taken = connection.execute(
            select(user_table.c.username).where(func.lower(user_table.c.username) == user.username.lower())
        ).first()
        if taken:
            raise TrackerError(
                f"user {taken.username} already exists", "choose another username or change this user's role"
            )
        connection.execute(insert(user_table), [row])
        audit.record(
            connection,
            actor,
            "create",
            "user",
            user.username,
            audit.diff(None, {"role": row["role"], "clearance": row["clearance"], "disabled": False}),
        )
    return Actor(user.username, user.role, user.clearance)


def _change(
    engine: Engine,
    actor: Actor,
    username: str,
    values: dict[str, Any],
    shown: dict[str, Any] | None = None,
    within: Actor | None = None,
) -> None:
    """Update one user and record which fields changed; `shown` replaces values unfit for the log.

    With `within`, the account must not be cleared above that user's own clearance.
    """
    with writing(engine) as connection:
        old = _stored(connection, username, for_update=True)._asdict()
        if within is not None and within.username != username:
            _require_within_clearance(within, old["clearance"], "change an account")
        connection.execute(update(user_table).where(user_table.c.username == username).values(values))
        if old["role"] == Role.admin.value and not old["disabled"]:
            _ensure_an_admin_remains(connection)
        changes = audit.diff({k: old[k] for k in values}, values) if shown is None else shown
        if changes:
            audit.record(connection, actor, "update", "user", username, changes)


def set_role(engine: Engine, actor: Actor, username: str, role: str | Role) -> None:
    require_admin(actor)
    chosen = _enum(Role, role, "role")
    _change(engine, actor, username, {"role": chosen.value}, within=actor)


def set_clearance(engine: Engine, actor: Actor, username: str, clearance: str | Confidentiality) -> None:
    require_admin(actor)
    chosen = _enum(Confidentiality, clearance, "clearance")
    _require_within_clearance(actor, chosen, "make an account")
    _change(engine, actor, username, {"clearance": chosen.value}, within=actor)


def set_disabled(engine: Engine, actor: Actor, username: str, disabled: bool = True) -> None:
    """Disable (or enable again) an account; enabling also lifts a lockout."""
    require_admin(actor)
    values = {"disabled": disabled} if disabled else {"disabled": False, "failed_logins": 0, "locked_until": None}
    _change(engine, actor, username, values, within=actor)
    if not disabled:
        _forget_tries(username)


def set_password(engine: Engine, actor: Actor, username: str, password: str) -> None:
    """Administrators set anyone's password; other users only their own. Lifts a lockout."""
    if actor.username != username:
        require_admin(actor)
    validated_user(username, password)
    values = {"password_hash": hasher.hash(password), "failed_logins": 0, "locked_until": None}
    _change(engine, actor, username, values, shown={"password": ["(hidden)", "(changed)"]}, within=actor)
    _forget_tries(username)


def _enum(kind: type[_E], value: object, name: str) -> _E:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        raise TrackerError(f"'{value}' is not a {name}", f"use one of {', '.join(v.value for v in kind)}") from None


def list_users(engine: Engine, actor: Actor) -> pd.DataFrame:
    require_admin(actor)
    require_schema(engine)
    query = select(*[user_table.c[c] for c in PUBLIC_COLUMNS]).order_by(user_table.c.username)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(), columns=list(PUBLIC_COLUMNS))


def any_user(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(select(user_table.c.username).limit(1)).first() is not None


def active_actor(engine: Engine, username: str) -> Actor | None:
    """The user's current role and clearance, or None once the account is disabled or removed."""
    with engine.connect() as connection:
        row = connection.execute(select(user_table).where(user_table.c.username == username)).first()
    if row is None or row.disabled:
        return None
    return _actor(row)


def still_permitted(engine: Engine, actor: Actor, *, expires_at: float | None = None) -> Actor:
    """The user as the database has them now, for work done after the page was drawn (a download
    built at click time); refused once the session has expired or the account is disabled."""
    import time

    if expires_at is not None and time.monotonic() > expires_at:
        raise PermissionDenied("the session has ended", "sign in again")
    current = active_actor(engine, actor.username)
    if current is None:
        raise PermissionDenied(f"the account {actor.username} is disabled", "ask an administrator")
    return current


def sign_in_failed() -> TrackerError:
    settings = get_settings()
    return TrackerError(
        "the username or password is wrong, or the account is locked or disabled",
        f"check both and try again; after {settings.max_failed_logins} failed tries from one place, wait "
        f"{settings.login_wait_seconds} seconds, twice as long after each further one (at most "
        f"{settings.lockout_minutes} minutes), or ask an administrator",
    )


@dataclass
class _Tries:
    failures: int = 0
    locked_until: dt.datetime | None = None


# Failed sign-ins per (source, username). Making that source wait rather than locking the account
# means that nobody can keep an administrator out by failing on purpose from somewhere else.
_tries: dict[tuple[str, str], _Tries] = {}
_tries_lock = threading.Lock()
_MAX_TRACKED = 10_000


def _forget_tries(username: str) -> None:
    """A new password or a re-enabled account starts with no failures against it."""
    with _tries_lock:
        for key in [k for k in _tries if k[1] == username.lower()]:
            del _tries[key]


def _throttled(key: tuple[str, str], at: dt.datetime) -> bool:
    with _tries_lock:
        tries = _tries.get(key)
        return bool(tries and tries.locked_until and tries.locked_until > at)


def _count_failure(key: tuple[str, str], at: dt.datetime) -> None:
    settings = get_settings()
    with _tries_lock:
        if len(_tries) >= _MAX_TRACKED:
            for stale in [k for k, t in _tries.items() if not (t.locked_until and t.locked_until > at)]:
                del _tries[stale]
        tries = _tries.setdefault(key, _Tries())
        tries.failures += 1
        beyond = tries.failures - settings.max_failed_logins
        if beyond >= 0:
            wait = min(settings.login_wait_seconds * 2 ** min(beyond, 20), settings.lockout_minutes * 60)
            tries.locked_until = at + dt.timedelta(seconds=wait)


def authenticate(engine: Engine, username: str, password: str, *, source: str = "local") -> Actor:
    """The signed-in user, or one error that does not say whether the user exists.

    `source` names where the attempt comes from (the browser's address): after too many failures
    in a row that source waits, while the account stays open to its owner elsewhere.
    """
    username = (username or "").strip()[:64]
    at = audit.now()
    key = (source, username.lower())
    seen_from = {"source": [None, source]}
    with writing(engine) as connection:
        who = Actor(username or "(blank)", Role.viewer, Confidentiality.public)
        if _throttled(key, at):
            # A waiting source's password is not even checked, so guessing on gains nothing.
            audit.record(connection, who, "login", "user", who.username, {"outcome": [None, "throttled"], **seen_from})
            row = None
        else:
            query = select(user_table).where(user_table.c.username == username).with_for_update()
            row = connection.execute(query).first()
            ok = _verify(row.password_hash if row else _DUMMY_HASH, password or "")
            if row is None:
                _count_failure(key, at)
                outcome = {"outcome": [None, "unknown_user"], **seen_from}
                audit.record(connection, who, "login", "user", who.username, outcome)
            elif row.disabled:
                audit.record(connection, who, "login", "user", username, {"outcome": [None, "disabled"], **seen_from})
            elif not ok:
                _count_failure(key, at)
                values = {"failed_logins": row.failed_logins + 1}
                connection.execute(update(user_table).where(user_table.c.username == username).values(values))
                changes = audit.diff({"failed_logins": row.failed_logins}, values)
                outcome = {"outcome": [None, "wrong_password"], **seen_from, **changes}
                audit.record(connection, who, "login", "user", username, outcome)
            else:
                with _tries_lock:
                    _tries.pop(key, None)
                values = {"failed_logins": 0, "locked_until": None, "last_sign_in": at}
                if hasher.check_needs_rehash(row.password_hash):
                    values["password_hash"] = hasher.hash(password)
                connection.execute(update(user_table).where(user_table.c.username == username).values(values))
                outcome = {"outcome": [None, "signed_in"], **seen_from}
                audit.record(connection, _actor(row), "login", "user", username, outcome)
                return _actor(row)
    raise sign_in_failed()


# An account made by single sign-on has no password: no argon2 hash verifies against this.
NO_PASSWORD = "!signed-on"


def signed_on(engine: Engine, username: str, *, source: str = "oidc") -> Actor | None:
    """The user the organisation's identity provider has just signed in, or None if disabled.

    A first sign-in creates the account as a viewer cleared for public, until an administrator
    raises it; roles and clearances stay the tracker's own.
    """
    username = username.strip().lower()[:64]
    at = audit.now()
    with writing(engine) as connection:
        row = connection.execute(select(user_table).where(user_table.c.username == username).with_for_update()).first()
        who = Actor(username, Role.viewer, Confidentiality.public)
        if row is None:
            values = {"role": Role.viewer.value, "clearance": Confidentiality.public.value, "disabled": False}
            connection.execute(
                insert(user_table),
                [values | {"username": username, "password_hash": NO_PASSWORD, "failed_logins": 0, "created_at": at}],
            )
            audit.record(connection, who, "create", "user", username, audit.diff(None, values))
        elif row.disabled:
            audit.record(
                connection, who, "login", "user", username, {"outcome": [None, "disabled"], "source": [None, source]}
            )
            return None
        else:
            who = _actor(row)
        connection.execute(update(user_table).where(user_table.c.username == username).values(last_sign_in=at))
        audit.record(
            connection, who, "login", "user", username, {"outcome": [None, "signed_in"], "source": [None, source]}
        )
    return who


def credential_stamp(engine: Engine, username: str) -> str | None:
    """A fingerprint of the user's password hash: a session started under another one has ended."""
    with engine.connect() as connection:
        stored = connection.execute(
            select(user_table.c.password_hash).where(user_table.c.username == username)
        ).scalar()
    return None if stored is None else hashlib.sha256(stored.encode()).hexdigest()[:32]


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def changes_sign_in(*, disabled: bool, locked: bool, may_sign_in: bool) -> bool:
    """Whether letting an account sign in (or not) changes it: it flips `disabled`, or it lifts a lockout.

    The Admin page's "May sign in" switch saves through `set_disabled` only when this holds.
    """
    return may_sign_in == disabled or (may_sign_in and locked)
