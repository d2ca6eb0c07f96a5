"""The team server's session route: a one-time ticket from a signed-in page buys an HttpOnly cookie."""

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tracker import web
from tracker.services.people import sessions

HEADER = {web.REQUEST_HEADER: "1"}


@pytest.fixture
def client():
    return TestClient(Starlette(routes=web.routes()))


def test_a_ticket_buys_the_sessions_cookie_once(client):
    ticket = web.issue_ticket("a token")

    first = client.post(web.SESSION_PATH, content=ticket, headers=HEADER)
    again = client.post(web.SESSION_PATH, content=ticket, headers=HEADER)

    assert first.status_code == 204
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert sessions.token_of(first.cookies[sessions.COOKIE]) == "a token"
    assert again.status_code == 403


def test_a_request_another_site_could_send_is_refused(client):
    ticket = web.issue_ticket("a token")

    refused = client.post(web.SESSION_PATH, content=ticket)

    assert refused.status_code == 400 and "set-cookie" not in refused.headers


def test_an_expired_ticket_buys_nothing(client, monkeypatch):
    ticket = web.issue_ticket("a token")
    later = web.time.monotonic() + 61
    monkeypatch.setattr(web.time, "monotonic", lambda: later)

    assert client.post(web.SESSION_PATH, content=ticket, headers=HEADER).status_code == 403


def test_the_cookie_is_secure_behind_a_trusted_proxy_that_speaks_https(monkeypatch):
    monkeypatch.setenv("TRACKER_TRUSTED_PROXIES", "127.0.0.1")
    client = TestClient(Starlette(routes=web.routes()), client=("127.0.0.1", 50000))

    answer = client.post(
        web.SESSION_PATH, content=web.issue_ticket("a token"), headers=HEADER | {"X-Forwarded-Proto": "https"}
    )

    assert "Secure" in answer.headers["set-cookie"]


def test_sign_out_drops_the_cookie(client):
    dropped = client.delete(web.SESSION_PATH, headers=HEADER)

    assert dropped.status_code == 204
    assert (
        dropped.headers["set-cookie"].startswith(f'{sessions.COOKIE}=""')
        and "Max-Age=0" in dropped.headers["set-cookie"]
    )
