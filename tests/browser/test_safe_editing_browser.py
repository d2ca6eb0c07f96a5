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


def focused(page, cell: str) -> None:
    """Wait until the grid's keyboard focus is on `cell` (the id of the cell in its accessible table)."""
    page.wait_for_function("cell => document.activeElement?.id === cell", arg=cell)


def hand_over(page) -> None:
    """Run the page's clock past the 150 ms after which the grid hands its edits to its form.

    Review sends what was handed over; a person's hand takes longer than that to reach the button, a
    test's does not. Running the clock is an event, not a pause, so a loaded machine is as patient
    as a quiet one."""
    page.clock.run_for(1000)


def type_on(page, cell: str, text: str) -> None:
    """Type `text` on the focused `cell` and Enter, as a person does, until the grid shows it there.

    Typing on a cell opens its editor with the keys typed. Now and then the grid drops an edit
    made at a test's speed (never at a person's); a person sees the old text and types again, and
    so does this: typing the same text twice changes nothing."""
    for _ in range(3):
        page.keyboard.type(text)
        page.wait_for_function("text => document.querySelector('.gdg-clip-region textarea')?.value === text", arg=text)
        page.keyboard.press("Enter")
        page.locator(".gdg-clip-region").wait_for(state="detached")
        hand_over(page)
        try:
            page.wait_for_function(
                "([cell, text]) => document.getElementById(cell)?.innerText === text", arg=[cell, text], timeout=15_000
            )
            return
        except PlaywrightTimeout:
            # Enter moved the focus a row down; back onto the cell.
            page.keyboard.press("ArrowUp")
            focused(page, cell)
    raise AssertionError(f"the grid never kept {text!r} in {cell}")


def _keys_of_a_hurried_analyst(browser, dashboard_url: str):
    """The worksheet keystrokes, then Review: onto the first row's status, choose one, Enter, move right, type.

    Returns the page, the review's cells, the two rows' ids and the second row's evidence before."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    # The page's timers, so that the test can run them (time flows as usual until it does).
    page.clock.install()
    page.goto(f"{dashboard_url}/findings")
    settle(page)
    page.get_by_role("tab", name="Assess at a follow-up").click()
    settle(page)
    sheet = page.locator("[data-testid=stDataFrame]").last
    sheet.scroll_into_view_if_needed()
    first, second = grid_cells(sheet)[0], grid_cells(sheet)[4]
    before = grid_cells(sheet)[7]

    # Each key once the grid has taken the one before: its focus moves to the cell it selects.
    box = sheet.bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + 35 + 17)
    focused(page, "glide-cell-0-0")
    page.keyboard.press("ArrowRight")
    focused(page, "glide-cell-1-0")
    page.keyboard.press("ArrowRight")
    focused(page, "glide-cell-2-0")
    page.keyboard.press("Enter")
    # The status drop-down opens as an overlay of the grid; a person waits for it too.
    editor = page.locator(".gdg-clip-region")
    editor.wait_for()
    page.keyboard.type("Fully")
    page.get_by_role("option", name="Fully implemented", exact=True).wait_for()
    page.keyboard.press("Enter")
    editor.wait_for(state="detached")
    # The sheet is a form: the edit stays in the page until Review, so no rerun draws the grid again
    # under the next key. Enter moved the selection down a row, where the hurried analyst goes on typing.
    hand_over(page)
    focused(page, "glide-cell-2-1")
    page.keyboard.press("ArrowRight")
    focused(page, "glide-cell-3-1")
    type_on(page, "glide-cell-3-1", "Checked on site in 2024")
    # Both edits reach the server with Review.
    page.get_by_role("button", name="Review changes").click()
    page.get_by_text("Review before saving").wait_for(timeout=harness.PATIENCE * 1000)
    settle(page)
    return page, grid_cells(page.locator("[data-testid=stDataFrame]").last), first, second, before


def test_misplaced_evidence_shows_in_the_review_before_anything_is_saved(dashboard_url, browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    page, review, first, second, before = _keys_of_a_hurried_analyst(browser, dashboard_url)

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
    # The review closes when the rerun the click starts has drawn the worksheet again, however busy the machine.
    page.get_by_text("Review before saving").wait_for(state="detached", timeout=harness.PATIENCE * 1000)
    settle(page)
    assert page.get_by_text("Review before saving").count() == 0
    assert page.get_by_role("button", name="Review changes").count() == 1


def dashboard_url_db(page) -> str:
    """The database the served dashboard reads (its sidebar names it only in words)."""
    scheme, _, rest = page.url.partition("://")
    return harness.SERVED_DATABASES[f"{scheme}://{rest.split('/')[0]}"]


def test_a_findings_link_opens_its_panel(dashboard_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{dashboard_url}/findings?finding=KOR-2009-F15")
    settle(page)

    page.get_by_text("Status at every later visit").wait_for(timeout=harness.PATIENCE * 1000)
    assert page.locator("h3").filter(has_text="KOR-2009-F15 · ").count() == 1
    assert page.get_by_role("button", name="Review assessment").count() == 1
    page.get_by_text("History", exact=True).click()
    settle(page)
    assert_no_exception(page)
    screenshot(page, "finding_panel")
