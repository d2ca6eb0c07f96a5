"""The Continuity page in a real browser: an Accept is reviewed with what the new-gap count
becomes, saved only on Confirm, and undone."""

from tests.browser import test_dashboard_browser as harness
from tests.browser.test_dashboard_browser import PATIENCE, SCREENSHOTS, assert_no_exception, screenshot, settle
from tests.browser.test_safe_editing_browser import dashboard_url_db
from tracker import db
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.records import editing as records

# The harness's server and browser, and its marks: a Chromium is needed.
dashboard_url, browser, pytestmark = harness.dashboard_url, harness.browser, harness.pytestmark


def _continues(url: str, finding_id: str) -> str | None:
    engine = db.get_engine(url)
    try:
        return records.get_finding(engine, LOCAL_ADMIN, finding_id)["continues"]
    finally:
        engine.dispose()


def _keyed(page, *parts: str):
    """The element whose widget key holds every part (Streamlit puts the key in its class)."""
    return page.locator("".join(f"[class*='{part}']" for part in ("st-key-", *parts)))


def test_an_accept_is_reviewed_confirmed_and_undone(dashboard_url, browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(PATIENCE * 1000)
    page.goto(f"{dashboard_url}/continuity")
    settle(page)
    url = dashboard_url_db(page)
    engine = db.get_engine(url)
    finding = records.get_finding(engine, LOCAL_ADMIN, "KOR-2023-F06")
    records.save_finding(engine, LOCAL_ADMIN, finding | {"continues": ""})
    engine.dispose()
    # Another score asks afresh, past the page's cached reads of a moment ago.
    page.get_by_label("Minimum score", exact=True).fill("0.2")
    page.keyboard.press("Enter")
    settle(page)

    _keyed(page, "accept", "KOR-2023-F06", "KOR-2009-F03").get_by_role("button", name="Accept").click()
    page.get_by_text("Review before saving").wait_for(timeout=60_000)
    settle(page)

    assert page.get_by_text("New gaps at KOR-2023: 6 → 5.").count() == 1
    assert _continues(url, "KOR-2023-F06") is None
    assert_no_exception(page)
    screenshot(page, "continuity_review")

    page.get_by_role("button", name="Confirm and save").click()
    page.get_by_text("KOR-2023-F06 now continues KOR-2009-F03.").wait_for(timeout=60_000)
    settle(page)
    assert _continues(url, "KOR-2023-F06") == "KOR-2009-F03"
    assert page.locator("h5").filter(has_text="KOR-2023-F06").count() == 0

    page.get_by_role("button", name="Undo").click()
    page.get_by_text("Undone: the link is as it was before.").wait_for(timeout=60_000)
    settle(page)
    assert _continues(url, "KOR-2023-F06") is None
    assert page.locator("h5").filter(has_text="KOR-2023-F06").count() == 1
    assert_no_exception(page)
