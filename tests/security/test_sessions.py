"""Sessions kept in the database: what a cookie names, and every way a session ends."""

import datetime as dt

import pytest
from sqlalchemy import select, update

from tracker.models import SignInSession
from tracker.services.people import sessions, users
from tracker.services.people.access import LOCAL_ADMIN

from .conftest import add_user


def test_an_open_session_resumes_as_its_user(engine):
    alice = add_user(engine, "alice")
    token = sessions.open_session(engine, alice)

    assert sessions.resume(engine, token) == sessions.Resumed(alice)
    assert sessions.token_of(sessions.cookie_value(token)) == token


def test_the_database_holds_no_token(engine):
    token = sessions.open_session(engine, add_user(engine, "alice"))

    with engine.connect() as connection:
        stored = connection.execute(select(SignInSession.__table__)).one()
    assert token not in "".join(str(value) for value in stored)


@pytest.mark.parametrize("cookie", ["", "forged", "a.b.c"])
def test_a_cookie_this_server_did_not_sign_names_no_session(cookie):
    assert sessions.token_of(cookie) is None


def test_a_cookie_signed_with_another_key_names_no_session(monkeypatch):
    monkeypatch.setenv("TRACKER_SECRET_KEY", "one key")
    cookie = sessions.cookie_value("a token")
    monkeypatch.setenv("TRACKER_SECRET_KEY", "another key")

    assert sessions.token_of(cookie) is None


def test_signing_out_ends_the_session_everywhere(engine):
    token = sessions.open_session(engine, add_user(engine, "alice"))

    sessions.end_session(engine, token)

    assert sessions.resume(engine, token) == sessions.Resumed(None, "Your session has ended; sign in again.")


def test_disabling_the_account_ends_its_sessions(engine):
    token = sessions.open_session(engine, add_user(engine, "alice"))

    users.set_disabled(engine, LOCAL_ADMIN, "alice")

    assert sessions.resume(engine, token).ended == "Your account has been disabled; ask an administrator."
    assert sessions.open_sessions(engine, "alice") == 0


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(engine):
    token = sessions.open_session(engine, add_user(engine, "alice"))

    users.set_password(engine, LOCAL_ADMIN, "alice", "a new long password")

    assert sessions.resume(engine, token).ended == "Your password has been changed; sign in with the new one."


def _age(engine, **ago: dt.timedelta) -> None:
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(update(SignInSession.__table__).values({k: now - v for k, v in ago.items()}))


def test_an_idle_session_expires(engine):
    token = sessions.open_session(engine, add_user(engine, "alice"))

    _age(engine, last_seen=dt.timedelta(minutes=31))

    assert sessions.resume(engine, token).ended == (
        "You were signed out after 30 minutes without activity; sign in again."
    )


def test_an_active_session_ends_after_its_whole_lifetime(engine):
    alice = add_user(engine, "alice")
    token = sessions.open_session(engine, alice)

    _age(engine, last_seen=dt.timedelta(minutes=29))
    assert sessions.resume(engine, token).actor == alice
    _age(engine, created_at=dt.timedelta(hours=13))
    assert sessions.resume(engine, token).ended == "You were signed out after 12 hours; sign in again."


def test_activity_keeps_a_session_open(engine):
    alice = add_user(engine, "alice")
    token = sessions.open_session(engine, alice)

    _age(engine, last_seen=dt.timedelta(minutes=29))
    sessions.resume(engine, token)
    _age(engine, created_at=dt.timedelta(minutes=31))

    assert sessions.resume(engine, token).actor == alice
