"""The team server in a real browser: `streamlit run tracker/app.py` with logins on. A session
survives a reload and a link opened in a new tab, and signing out ends it in every tab."""

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.browser.test_dashboard_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PATIENCE,
    ROOT,
    free_port,
    served_on,
    settle,
)
from tracker import db
from tracker.services.operations.reference import init_database
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN

PASSWORD = "correct horse battery"
PROVIDER_BUTTON = "Sign in with your organisation's account"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]


def team_server(database_url: str, port: int | None = None, log: Path | None = None, **settings: str):
    """The dashboard with the team server's routes (tracker/app.py) and the given TRACKER_* settings."""
    return served_on(database_url, script=ROOT / "tracker" / "app.py", port=port, log=log, **settings)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_for_cookie(context, name: str, present: bool = True, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while any(c["name"] == name for c in context.cookies()) != present:
        assert time.monotonic() < deadline, f"the cookie {name} was {'never set' if present else 'never dropped'}"
        context.pages[0].wait_for_timeout(100)


def signed_in(page, username: str, seconds: float = 60) -> bool:
    """Whether the page comes to say the user is signed in (the sidebar's caption), waiting for it."""
    page.get_by_text(f"Signed in as {username}").wait_for(timeout=seconds * 1000)
    settle(page)
    return page.get_by_text(f"Signed in as {username}").count() == 1


def sign_in_form_shown(page, button: str = "Sign in", seconds: float = 60) -> bool:
    """Whether the page comes to show the sign-in button and no signed-in user, waiting for it."""
    page.get_by_role("button", name=button, exact=True).wait_for(timeout=seconds * 1000)
    settle(page)
    return page.get_by_text("Signed in as").count() == 0


def test_a_password_session_survives_a_reload_and_a_new_tab_until_signed_out(tmp_path, browser):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    users.add_user(engine, LOCAL_ADMIN, users.validated_user("alice", PASSWORD, "analyst", "committee"))
    engine.dispose()

    log = tmp_path / "server.log"
    with team_server(url, log=log, TRACKER_AUTH="on", TRACKER_LOG_FORMAT="json") as address:
        context = browser.new_context()
        context.set_default_timeout(PATIENCE * 1000)
        first = context.new_page()
        first.goto(address)
        assert sign_in_form_shown(first)
        first.get_by_role("textbox", name="Username").fill("alice")
        first.get_by_role("textbox", name="Password").fill(PASSWORD)
        first.get_by_role("button", name="Sign in").click()
        assert signed_in(first, "alice")
        wait_for_cookie(context, "tracker_session")
        [cookie] = [c for c in context.cookies() if c["name"] == "tracker_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

        first.reload()
        assert signed_in(first, "alice")

        second = context.new_page()
        second.goto(f"{address}/findings")
        second.wait_for_selector("h1:has-text('Findings')")
        assert signed_in(second, "alice")

        first.get_by_role("button", name="Sign out").click()
        assert sign_in_form_shown(first)
        wait_for_cookie(context, "tracker_session", present=False)
        # The other tab's next step finds the session ended.
        second.get_by_role("button", name="Reload data").click()
        assert sign_in_form_shown(second)
        second.goto(f"{address}/findings")
        assert sign_in_form_shown(second)
        context.close()

    # The server's log: one JSON object a line, naming who did what and how long it took.
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"time", "level", "user", "action", "duration", "message"} <= set().union(*lines)
    assert {
        "level": "info",
        "user": "alice",
        "action": "sign in",
        "message": "signed in",
        "source": "127.0.0.1",
    }.items() <= lines[0].items()
    pages = [line for line in lines if line["action"] == "page Findings" and line["user"] == "alice"]
    assert pages and all(line["duration"] >= 0 and line["message"] == "page Findings done" for line in pages)


def test_single_sign_on_survives_a_reload_and_a_new_tab_until_signed_out(tmp_path, browser):
    from oidc_provider_mock import run_server_in_thread

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    engine.dispose()
    port = free_port()

    with (
        run_server_in_thread() as provider,
        team_server(
            url,
            port,
            TRACKER_AUTH="oidc",
            TRACKER_OIDC_ISSUER=f"http://localhost:{provider.server_port}",
            TRACKER_OIDC_CLIENT_ID="tracker",
            TRACKER_OIDC_CLIENT_SECRET="a client secret",
            TRACKER_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ) as address,
    ):
        context = browser.new_context()
        context.set_default_timeout(PATIENCE * 1000)
        first = context.new_page()
        first.goto(address)
        assert sign_in_form_shown(first, PROVIDER_BUTTON)
        first.get_by_role("button", name=PROVIDER_BUTTON).click()
        # The provider's own page: who signs in.
        first.wait_for_selector("input[name=sub]")
        first.fill("input[name=sub]", "ana@example.org")
        first.get_by_role("button", name="Authorize").click()
        first.wait_for_url(f"{address}/**")
        assert signed_in(first, "ana@example.org")
        assert first.get_by_text("(viewer, cleared for public)").count() == 1

        first.reload()
        assert signed_in(first, "ana@example.org")
        second = context.new_page()
        second.goto(f"{address}/findings")
        second.wait_for_selector("h1:has-text('Findings')")
        assert signed_in(second, "ana@example.org")

        first.get_by_role("button", name="Sign out").click()
        # The provider ends its own session too, then sends the browser back.
        first.get_by_role("button", name="End session").click()
        assert sign_in_form_shown(first, PROVIDER_BUTTON)
        second.get_by_role("button", name="Reload data").click()
        assert sign_in_form_shown(second, PROVIDER_BUTTON)
        second.goto(f"{address}/findings")
        assert sign_in_form_shown(second, PROVIDER_BUTTON)
        context.close()
    engine = db.get_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT role, clearance FROM app_user")).all() == [("viewer", "public")]
    engine.dispose()
