"""The dossier in a real browser: State progress links to it, and each item of a history of its own
stands in its part, with nothing above the level chosen."""

import pytest

from tests.browser import test_dashboard_browser as harness
from tests.browser.test_dashboard_browser import assert_no_exception, settle
from tests.services.test_bundle import run_import
from tests.services.test_dossier import HIDDEN, dossier_history
from tracker import db
from tracker.services.operations.reference import init_database
from tracker.services.reports.dossier import HEADINGS
from tracker.services.reports.model import numbered, section_number

# The harness's browser and its marks: a Chromium is needed.
browser, pytestmark = harness.browser, harness.pytestmark

# Each heading of the page and each table cell under it, in the order the page shows them.
_SECTIONS = """() => {
  const parts = [];
  for (const element of document.querySelectorAll('[data-testid=stHeading] h2, [data-testid=stDataFrame]')) {
    if (element.tagName === 'H2') { parts.push([element.innerText.trim(), []]); continue; }
    if (parts.length) parts[parts.length - 1][1].push(
      ...Array.from(element.querySelectorAll('td')).map(cell => cell.innerText.trim()));
  }
  return parts;
}"""


@pytest.fixture(scope="module")
def history_url(tmp_path_factory):
    """The dashboard served over a fresh SQLite database holding the dossier's history."""
    folder = tmp_path_factory.mktemp("dossier")
    url = f"sqlite:///{folder / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    assert run_import(engine, dossier_history(folder / "bundle")).ok
    engine.dispose()
    with harness.served_on(url) as address:
        yield address


def test_the_dossier_opens_from_state_progress_with_each_item_in_its_part(history_url, browser):
    page = browser.new_page(viewport={"width": 1900, "height": 1000})
    # State progress is the landing page.
    page.goto(f"{history_url}/?state=KOR&level=committee")
    settle(page)
    page.get_by_text("Prepare the next visit: open the State's dossier").click()
    page.wait_for_selector("h1:has-text('Dossier: preparing the next visit')")
    settle(page)
    page.get_by_text("Suggested partners").last.wait_for()
    assert_no_exception(page)
    assert "state=KOR" in page.url and "level=committee" in page.url

    sections = dict(page.evaluate(_SECTIONS))
    assert list(sections) == [numbered(section_number(1, n), heading) for n, heading in enumerate(HEADINGS, start=1)]
    opened, claims, record, debt, new, partners = (set(cells) for cells in sections.values())
    assert {"K3", "K2", "K4", "Train prosecutors in terrorism cases"} <= opened and "K1" not in opened
    assert {"K4", "Largely implemented (self-reported)", "T1", "Training on NPO supervision"} <= claims
    assert {"Verified lower", "Verified higher", "Confirmed"} <= record
    assert {"2750 (2024)", "never covered", "Gender and the role of women"} <= debt
    assert {"N1", "Adopt a content removal procedure"} <= new
    assert {"UNODC", "FATF"} <= partners
    shown = page.locator("[data-testid=stMain]").inner_text() + str(sections)
    assert [hidden for hidden in HIDDEN if hidden in shown] == []


def test_a_row_of_the_overviews_debt_opens_that_states_dossier(history_url, browser):
    page = browser.new_page(viewport={"width": 1900, "height": 1000})
    page.goto(f"{history_url}/overview?level=committee")
    settle(page)
    page.get_by_text("Assessment debt").wait_for()
    grid = page.locator("[data-testid=stDataFrame]").filter(has_text="Resolutions owed").first
    grid.scroll_into_view_if_needed()
    grid.locator("canvas").first.wait_for()
    box = grid.bounding_box()
    # The first column of the grid selects a row: the first row is the State that owes most, Singapore.
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 35 * 0.5)
    page.wait_for_url("**/dossier?*state=SGP*")
    page.wait_for_selector("h1:has-text('Dossier: preparing the next visit')")
    settle(page)
    assert_no_exception(page)
    # Singapore's one visit covered gender only.
    shown = page.locator("[data-testid=stMain]").inner_text()
    assert "Areas no visit of the State ever covered: Threat assessment and national strategy" in shown
    assert "Gender and the role of women." not in shown
