"""The analysts' surface in a real browser at 1280×720 and 1440×900: what must be on the first screen is
there (by element positions), every page passes axe-core with no serious or critical violation, and no
Streamlit developer notice reaches a reader however the dashboard was started."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser import test_dashboard_browser as harness
from tests.browser.test_dashboard_browser import (
    CHROMIUM,
    PATIENCE,
    assert_no_exception,
    served_on,
    settle,
)
from tracker import db
from tracker.services.bundle.demo import load_demo
from tracker.services.operations.reference import init_database
from tracker.services.people.access import LOCAL_ADMIN

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]
browser = harness.browser
SIZES = [(1280, 720), (1440, 900)]
# Every page of the navigation, by its address.
PAGES = {
    "Overview": "overview",
    "State progress": "",
    "Tracking matrix": "matrix",
    "Matrix across States": "across_states",
    "TA pipeline": "ta_pipeline",
    "Dossier": "dossier",
    "Findings": "findings",
    "Continuity": "continuity",
    "Visits and meetings": "visits",
    "Import / Export": "import_export",
    "Reports": "reports",
    "Changes": "changes",
    "Admin": "admin",
}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('surface') / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    load_demo(engine, LOCAL_ADMIN)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def served(database):
    with served_on(database) as address:
        yield address


def opened(browser, address: str, path: str, size: tuple[int, int]):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(f"{address}/{path}")
    settle(page)
    page.wait_for_selector("h1")
    return page


def drawn_columns(page, grid) -> list[str]:
    """The column headers a table draws in its window: the grid lists them for screen readers once it has focus."""
    grid.locator("[data-testid=data-grid-canvas]").focus()
    page.wait_for_function(
        "grid => grid.querySelectorAll('[role=columnheader]').length > 0",
        arg=grid.element_handle(),
        timeout=PATIENCE * 1000,
    )
    return [header.inner_text().strip() for header in grid.locator("[role=columnheader]").all()]


def inside_first_screen(box: dict, size: tuple[int, int]) -> bool:
    return box["x"] >= 0 and box["x"] + box["width"] <= size[0] and 0 <= box["y"] < size[1]


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_matrix_status_and_evidence_and_the_state_figures_are_on_the_first_screen(served, browser, size):
    page = opened(browser, served, "matrix", size)
    # Every page is listed in the navigation, none behind a "View more".
    navigation = page.get_by_test_id("stSidebarNav")
    assert all(navigation.get_by_text(title, exact=True).is_visible() for title in PAGES)
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    assert_no_exception(page)
    box = grid.bounding_box()
    assert inside_first_screen(box, size), box
    # The header row itself is on the first screen, and it draws the status and evidence beside the finding.
    assert box["y"] + 40 < size[1]
    assert drawn_columns(page, grid)[:4] == ["Id", "Finding", "KOR-2023 status", "KOR-2023 evidence"]

    page = opened(browser, served, "across_states", size)
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    assert inside_first_screen(grid.bounding_box(), size)
    assert drawn_columns(page, grid)[:5] == ["State", "Id", "Finding", "Status", "Evidence"]

    page = opened(browser, served, "?state=KOR&level=committee", size)
    page.wait_for_function("document.querySelectorAll('[data-testid=stMetric]').length >= 5", timeout=PATIENCE * 1000)
    for metric in page.get_by_test_id("stMetric").all():
        assert inside_first_screen(metric.bounding_box(), size), metric.inner_text()
    page.get_by_text("Priority items", exact=True).wait_for()
    grids = page.get_by_test_id("stDataFrame").all()
    shown = [drawn_columns(page, grid) for grid in grids]
    assert ["Id", "Finding", "Status at the follow-up", "Group", "Evidence"] in [columns[:5] for columns in shown]
    for grid in grids:
        box = grid.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size[0], box


@pytest.mark.parametrize("title", list(PAGES))
def test_every_page_passes_axe_core_with_no_serious_or_critical_violation(served, browser, title):
    page = opened(browser, served, PAGES[title], (1280, 720))
    page.wait_for_selector(f"h1:has-text('{title}')")
    if title == "State progress":
        page.get_by_text("Show the charts", exact=True).click()
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=PATIENCE * 1000
        )
        settle(page)
    assert_no_exception(page)

    results = Axe().run(page)

    grave = [
        (violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert grave == [], grave


def test_started_outside_the_checkout_the_reader_sees_no_developer_notice(database, browser, tmp_path):
    # Without the checkout's .streamlit/config.toml, Streamlit would show its developer toolbar on this machine.
    with served_on(database, folder=tmp_path) as address:
        page = opened(browser, address, "", (1280, 720))
        page.wait_for_selector("[data-testid=stMetric]")
        assert page.get_by_test_id("stAppDeployButton").count() == 0
        page.get_by_test_id("stMainMenu").click()
        menu = page.get_by_test_id("stMainMenuPopover")
        menu.wait_for()
        assert "Clear cache" not in menu.inner_text() and "Deploy" not in menu.inner_text()
        assert page.get_by_test_id("stSkillsInstallCallout").count() == 0


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_overview_blocks_do_not_overlap_and_the_chart_titles_are_whole(served, browser, size):
    page = opened(browser, served, "overview?level=committee&view=ends", size)
    page.get_by_text("Also draw the index as charts", exact=True).click()
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2", timeout=PATIENCE * 1000
    )
    settle(page)
    assert_no_exception(page)
    blocks = [
        element.bounding_box()
        for element in page.locator(
            "[data-testid=stDataFrame], [data-testid=stPlotlyChart], [data-testid=stMarkdownContainer]:has(strong)"
        ).all()
        if element.is_visible()
    ]
    assert len(blocks) >= 4
    for first, box in enumerate(blocks):
        assert box["x"] >= 0 and box["x"] + box["width"] <= size[0], box
        for other in blocks[first + 1 :]:
            apart = (
                box["x"] + box["width"] <= other["x"]
                or other["x"] + other["width"] <= box["x"]
                or box["y"] + box["height"] <= other["y"]
                or other["y"] + other["height"] <= box["y"]
            )
            assert apart, (box, other)
    for chart in page.locator("[data-testid=stPlotlyChart]").all():
        title, frame = chart.locator(".gtitle").bounding_box(), chart.bounding_box()
        assert title["x"] >= frame["x"] and title["x"] + title["width"] <= frame["x"] + frame["width"], (title, frame)
