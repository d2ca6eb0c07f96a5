"""Two analysts in two real browser sessions on a team server (logins on), on each database: a
link opened before signing in lands on its page after sign-in, and a confirmation made after the
other analyst's save puts nothing back but shows a fresh review naming what moved, who and when."""

import os

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select, text

from tests.browser import test_dashboard_browser as harness
from tests.browser.test_dashboard_browser import (
    PATIENCE,
    assert_no_exception,
    served_on,
    settle,
)
from tests.conftest import BACKENDS, POSTGRES_URL, _postgres_url
from tracker import db
from tracker.models import Assessment, Confidentiality, Finding, Role
from tracker.services.bundle.demo import load_demo
from tracker.services.operations.reference import init_database
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN

browser, pytestmark = harness.browser, harness.pytestmark
PASSWORD = "correct horse battery"
ITEM = "KOR-2009-F15"
FINDING = "KOR-2009-F01"


@pytest.fixture(scope="module", params=BACKENDS)
def team_server(request, tmp_path_factory, worker_id):
    """The demo served with logins on, with two analysts, on each database; yields (address, database URL).

    On PostgreSQL the server has a schema of its own: the worker's is emptied by other tests meanwhile."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('team') / 'tracker.db'}"
    else:
        if not POSTGRES_URL:
            request.getfixturevalue("postgres_base")  # skips, with its reason
        schema = f"tracker_team_{worker_id}_{os.getpid()}"
        with db.get_engine(POSTGRES_URL).begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = _postgres_url(schema)
    engine = db.get_engine(url)
    init_database(engine)
    load_demo(engine, LOCAL_ADMIN)
    for name in ("ana", "bob"):
        users.add_user(
            engine, LOCAL_ADMIN, users.validated_user(name, PASSWORD, Role.analyst, Confidentiality.restricted)
        )
    engine.dispose()
    with served_on(url, TRACKER_AUTH="on") as address:
        yield address, url
    if request.param == "postgresql":
        db.get_engine(url).dispose()
        with db.get_engine(POSTGRES_URL).begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def signed_in_at(browser, address: str, username: str):
    """A session of its own (a browser context) that opens the address, then signs in there."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(PATIENCE * 1000)
    page.goto(address)
    settle(page)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    settle(page)
    return page


def choose(page, label: str, option: str) -> None:
    """Pick an option of a select box; the list is opened again if a redraw closed it."""
    for attempt in range(3):
        page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            settle(page)


def stored(url: str, column, *where):
    with db.get_engine(url).connect() as connection:
        return connection.execute(select(column).where(*where)).scalar_one()


def review_and_confirm(page, form_button: str) -> None:
    page.get_by_role("button", name=form_button).click()
    page.get_by_text("Review before saving").wait_for(timeout=60_000)
    settle(page)


def test_a_link_opened_before_signing_in_lands_on_its_page(team_server, browser):
    address, _ = team_server
    page = signed_in_at(browser, f"{address}/findings?finding={ITEM}", "ana")

    page.locator("h3").filter(has_text=f"{ITEM} · ").wait_for(timeout=60_000)
    assert page.url.endswith(f"/findings?finding={ITEM}")
    assert_no_exception(page)
    page.context.close()


def test_an_assessment_confirmed_after_the_other_analysts_save_gets_a_fresh_review(team_server, browser):
    address, url = team_server
    ana = signed_in_at(browser, f"{address}/findings?finding={ITEM}", "ana")
    bob = signed_in_at(browser, f"{address}/findings?finding={ITEM}", "bob")
    for page in (ana, bob):
        page.locator("h3").filter(has_text=f"{ITEM} · ").wait_for(timeout=60_000)
    where = (Assessment.finding_id == ITEM, Assessment.visit_id == "KOR-2023")
    before = stored(url, Assessment.status, *where)

    ana.get_by_label("Evidence").fill("Ana: the strategy is adopted and public.")
    review_and_confirm(ana, "Review assessment")
    choose(bob, "Status", "Not implemented")
    review_and_confirm(bob, "Review assessment")
    bob.get_by_role("button", name="Confirm and save").click()
    bob.get_by_text(f"Assessment of {ITEM} at KOR-2023 saved.").wait_for(timeout=60_000)
    assert before != "not_implemented" == stored(url, Assessment.status, *where)

    ana.get_by_role("button", name="Confirm and save").click()
    ana.get_by_text("Nothing was saved: since your review,", exact=False).wait_for(timeout=60_000)
    settle(ana)

    assert stored(url, Assessment.status, *where) == "not_implemented"
    assert ana.get_by_text(f"{ITEM}/KOR-2023: Status changed by bob at ", exact=False).count() == 1
    ana.get_by_role("button", name="Confirm and save").click()
    ana.get_by_text(f"Assessment of {ITEM} at KOR-2023 saved.").wait_for(timeout=60_000)
    assert stored(url, Assessment.status, *where) == "not_implemented"
    assert stored(url, Assessment.evidence, *where) == "Ana: the strategy is adopted and public."
    assert_no_exception(ana)
    for page in (ana, bob):
        page.context.close()


def test_a_finding_form_confirmed_after_the_other_analysts_save_keeps_their_title(team_server, browser):
    address, url = team_server
    ana = signed_in_at(browser, f"{address}/findings", "ana")
    bob = signed_in_at(browser, f"{address}/findings", "bob")
    for page in (ana, bob):
        page.get_by_role("tab", name="Add or edit").click()
        settle(page)
        choose(page, "Finding", FINDING)
        settle(page)
    title = stored(url, Finding.title, Finding.finding_id == FINDING)

    ana.get_by_label("Detail", exact=True).fill("Ana's detail")
    review_and_confirm(ana, "Review changes")
    bob.get_by_label("Title", exact=True).fill("Bob's title")
    review_and_confirm(bob, "Review changes")
    bob.get_by_role("button", name="Confirm and save").click()
    bob.get_by_text(f"Finding {FINDING} saved.").wait_for(timeout=60_000)

    ana.get_by_role("button", name="Confirm and save").click()
    ana.get_by_text("Nothing was saved: since your review,", exact=False).wait_for(timeout=60_000)
    settle(ana)

    assert title != "Bob's title" == stored(url, Finding.title, Finding.finding_id == FINDING)
    assert ana.get_by_text(f"{FINDING}: Title changed by bob at ", exact=False).count() == 1
    ana.get_by_role("button", name="Confirm and save").click()
    ana.get_by_text(f"Finding {FINDING} saved.").wait_for(timeout=60_000)
    assert stored(url, Finding.title, Finding.finding_id == FINDING) == "Bob's title"
    assert stored(url, Finding.detail, Finding.finding_id == FINDING) == "Ana's detail"
    assert_no_exception(ana)
    for page in (ana, bob):
        page.context.close()
