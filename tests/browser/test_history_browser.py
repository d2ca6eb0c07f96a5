"""A State's whole history in a real browser: State progress heads with every item under
follow-up beside the baseline's figure, the Overview shows each follow-up's index over all its items,
and the tracking matrix names the visit that raised each item. The figures are worked out by hand
in tests/services/test_history.py."""

import pytest

from tests.browser.test_dashboard_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PATIENCE,
    SCREENSHOTS,
    assert_no_exception,
    screenshot,
    served_on,
    settle,
)
from tests.browser.test_glance_browser import metrics_shown
from tests.conftest import HISTORY_VISITS, history_bundle, write_bundle
from tracker import db
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.operations.reference import init_database
from tracker.services.people.access import LOCAL_ADMIN

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]
B, P, F = HISTORY_VISITS


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    url = f"sqlite:///{folder / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    bundle = write_bundle(folder / "bundle", **history_bundle())
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok
    engine.dispose()
    with served_on(url) as address:
        yield address


@pytest.fixture(scope="module")
def browser_history():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_the_history_on_state_progress_the_overview_and_the_matrix(served, browser_history):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = browser_history.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(PATIENCE * 1000)

    page.goto(f"{served}/?state=KOR&followup={F}")
    settle(page)
    page.wait_for_selector("h1:has-text('State progress')")
    assert_no_exception(page)
    shown = metrics_shown(page)
    # 24/36 over all eleven items; 17/28 over KOR-2011's; like for like 10/20 then, 16/20 now.
    assert shown["Index, all 11 items"] == "66.7"
    assert shown[f"Index, {B} items"] == "60.7"
    assert shown[f"Like for like since {P}, over the same 5 items"] == "50.0 → 80.0"
    page.get_by_text("Every item under follow-up").first.wait_for()
    screenshot(page, "history_state_progress")

    page.goto(f"{served}/?state=KOR&followup={P}")
    settle(page)
    assert_no_exception(page)
    assert page.get_by_text(f"{P} was focused on").count() == 1
    assert metrics_shown(page)["Index (0–100)"] == "50.0"
    screenshot(page, "history_focused_visit")

    page.get_by_test_id("stSidebarNav").get_by_text("Overview", exact=True).click()
    page.wait_for_selector("h1:has-text('Overview')")
    settle(page)
    page.get_by_text("Also draw the index as charts", exact=True).click()
    page.wait_for_selector(".js-plotly-plot .scatterlayer path.point")
    assert_no_exception(page)
    overall = page.evaluate(
        """() => {
            const chart = document.querySelector('.js-plotly-plot');
            const trace = chart.data[0];
            const found = {};
            trace.customdata.forEach((c, i) => { if (c[2] === 'All areas') found[c[1]] = [trace.marker.color[i], c[3]]; });
            return found;
        }"""
    )
    assert {visit: [round(index, 1), scored] for visit, (index, scored) in overall.items()} == {
        F: [66.7, 9],
        P: [50.0, 5],
    }
    screenshot(page, "history_overview")

    page.get_by_test_id("stSidebarNav").get_by_text("Tracking matrix", exact=True).click()
    page.wait_for_selector("h1:has-text('Tracking matrix')")
    settle(page)
    assert_no_exception(page)
    assert page.get_by_text(f"11 of 11 items under follow-up (of {B} and the visits since").count() == 1
    screenshot(page, "history_matrix")
