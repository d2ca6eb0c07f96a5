"""Safe editing in a real browser: the worksheet keystrokes that once put evidence on the wrong
row now show that row in the review before anything is saved; the panel of one finding opens
from its link."""

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from tests.browser import test_dashboard_browser as harness
from tests.browser.test_dashboard_browser import SCREENSHOTS, assert_no_exception, screenshot, settle
from tracker import db
from tracker.models import Assessment

# The harness's server and browser, and its marks: a Chromium is needed.
dashboard_url, browser, pytestmark = harness.dashboard_url, harness.browser, harness.pytestmark


def grid_cells(grid) -> list[str]:
    """The texts of a grid's cells, read from the accessible table Streamlit's grid keeps in the page."""
    return grid.locator("td").all_inner_texts()


def stored_evidence(url: str, finding_id: str) -> str:
    with db.get_engine(url).connect() as connection:
        return connection.execute(
            select(Assessment.evidence).where(Assessment.finding_id == finding_id, Assessment.visit_id == "KOR-2023")
        ).scalar_one()


def _keys_of_a_hurried_analyst(browser, dashboard_url: str):
    """The worksheet keystrokes, then Review: onto the first row's status, choose one, Enter, move right, type.

    Returns the page, the review's cells, the two rows' ids and the second row's evidence before."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{dashboard_url}/findings")
    settle(page)
    page.get_by_role("tab", name="Assess at a follow-up").click()
    settle(page)
    sheet = page.locator("[data-testid=stDataFrame]").last
    sheet.scroll_into_view_if_needed()
    first, second = grid_cells(sheet)[0], grid_cells(sheet)[4]
    before = grid_cells(sheet)[7]

    box = sheet.bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + 35 + 17)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    # The status drop-down opens as an overlay of the grid; a person waits for it too.
    page.wait_for_timeout(700)
    page.keyboard.type("Fully")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    page.keyboard.press("ArrowRight")
    page.keyboard.type("Checked on site in 2024")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_role("button", name="Review changes").click()
    page.get_by_text("Review before saving").wait_for(timeout=60_000)
    settle(page)
    return page, grid_cells(page.locator("[data-testid=stDataFrame]").last), first, second, before


def test_misplaced_evidence_shows_in_the_review_before_anything_is_saved(dashboard_url, browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    # The grid takes keys while it is drawn again after each edit, so a key can land before it is
    # ready; then the session is left unsaved and the analyst starts again on a fresh page.
    for attempt in range(3):
        try:
            page, review, first, second, before = _keys_of_a_hurried_analyst(browser, dashboard_url)
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            continue
        if len(review) == 8 or attempt == 2:
            break
        page.close()

    assert review == [
        f"{first}/KOR-2023",
        "Status",
        "Largely implemented",
        "Fully implemented",
        f"{second}/KOR-2023",
        "Evidence",
        before,
        "Checked on site in 2024",
    ]
    assert stored_evidence(dashboard_url_db(page), second) == before
    assert_no_exception(page)
    screenshot(page, "worksheet_review")

    page.get_by_role("button", name="Back to editing").click()
    settle(page)
    assert page.get_by_text("Review before saving").count() == 0


def dashboard_url_db(page) -> str:
    """The database the served dashboard reads, as its sidebar names it."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stText").inner_text().strip()


def test_a_findings_link_opens_its_panel(dashboard_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{dashboard_url}/findings?finding=KOR-2009-F15")
    settle(page)

    page.get_by_text("Status at every later visit").wait_for(timeout=60_000)
    assert page.locator("h3").filter(has_text="KOR-2009-F15 · ").count() == 1
    assert page.get_by_role("button", name="Review assessment").count() == 1
    page.get_by_text("History", exact=True).click()
    settle(page)
    assert_no_exception(page)
    screenshot(page, "finding_panel")
