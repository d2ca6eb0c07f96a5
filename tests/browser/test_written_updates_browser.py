"""A State's written update recorded from the dashboard in a real browser, then what it says of an
item from the item's panel, which shows it marked self-reported, as does the tracking matrix's grid."""

import re

from tests.browser import test_dashboard_browser as harness
from tests.browser.test_dashboard_browser import PATIENCE, assert_no_exception, settle

# The harness's server and browser, and its marks: a Chromium is needed.
dashboard_url, browser, pytestmark = harness.dashboard_url, harness.browser, harness.pytestmark

ITEM = "KOR-2009-F15"


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit select box by its label, as a person does: open it, type, Enter."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option).first.click()
    settle(page)


def test_an_update_recorded_in_the_browser_shows_self_reported_on_the_panel_and_in_the_matrix(dashboard_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(PATIENCE * 1000)
    page.goto(f"{dashboard_url}/visits")
    settle(page)
    page.get_by_role("tab", name="Written updates").click()
    settle(page)
    choose(page, "State", "Republic of Korea (KOR)")
    page.get_by_role("textbox", name="Update id").fill("KOR-U-2025")
    page.get_by_role("button", name="Review and add").click()
    page.get_by_role("button", name="Confirm and save").click()
    page.get_by_text("Update KOR-U-2025 added.").wait_for(timeout=60_000)
    assert_no_exception(page)

    page.goto(f"{dashboard_url}/findings?finding={ITEM}")
    settle(page)
    page.get_by_text("What the State reported in writing").wait_for(timeout=60_000)
    choose(page, "Update", "KOR-U-2025")
    choose(page, "Status as the State reports it", "Fully implemented")
    page.get_by_role("button", name="Review the self-reported status").click()
    page.get_by_role("button", name="Confirm and save").click()
    page.get_by_text(f"Self-reported status of {ITEM} recorded.").wait_for(timeout=60_000)
    settle(page)
    panel_cells = (
        page.locator("[data-testid=stDataFrame]").filter(has_text="KOR-U-2025").locator("td").all_inner_texts()
    )
    assert "Fully implemented (self-reported)" in panel_cells
    assert_no_exception(page)

    # The grid draws on a canvas; its cells are also kept as a hidden table for screen readers, which
    # holds only the columns in view: wide enough, the last column is there too.
    page.set_viewport_size({"width": 6000, "height": 900})
    page.goto(f"{dashboard_url}/matrix")
    settle(page)
    page.get_by_text("Priority only", exact=True).click()
    settle(page)
    grid = page.locator("[data-testid=stDataFrame]").filter(has_text=ITEM)
    claim = grid.locator("td").filter(has_text=re.compile(r"^Fully implemented \(self-reported, .*, KOR-U-2025\)$"))
    claim.first.wait_for(state="attached", timeout=60_000)
    row = grid.locator("tr").filter(has_text=ITEM).filter(has_text="KOR-U-2025")
    assert row.count() == 1
    assert_no_exception(page)
