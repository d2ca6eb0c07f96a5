"""A shared link, the area ranking and a click on the Overview, in a real browser: the numbers on
the page are those of `tracker compare` at the level in the link."""

import json

import pytest
from typer.testing import CliRunner

from tests.browser import test_dashboard_browser as harness
from tests.browser.test_dashboard_browser import (
    PATIENCE,
    SCREENSHOTS,
    assert_no_exception,
    screenshot,
    served_on,
    settle,
)
from tests.conftest import assessment_row, finding_row, followup_row, visit_row, write_bundle
from tracker import db
from tracker.cli import app as cli
from tracker.services.bundle.demo import load_demo
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.operations.reference import init_database
from tracker.services.people.access import LOCAL_ADMIN

# The harness's browser and marks: a Chromium is needed.
browser, pytestmark = harness.browser, harness.pytestmark


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    """The demo, and France with a follow-up whose baseline items sit at two levels."""
    folder = tmp_path_factory.mktemp("glance")
    url = f"sqlite:///{folder / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    load_demo(engine, LOCAL_ADMIN)
    bundle = write_bundle(
        folder / "fra",
        visits=[
            visit_row("FRA-2015", state="FRA", start_date="2015-06-01", end_date="2015-06-03"),
            followup_row("FRA-2022", "FRA-2015", state="FRA", start_date="2022-06-01", end_date="2022-06-03"),
        ],
        findings=[
            finding_row("FRA-2015-F1", "FRA-2015"),
            finding_row("FRA-2015-F2", "FRA-2015", area="CFT"),
            finding_row("FRA-2015-F3", "FRA-2015", area="CFT", confidentiality="restricted"),
        ],
        assessments=[
            assessment_row("FRA-2015-F1", "partially_implemented", "FRA-2022"),
            assessment_row("FRA-2015-F2", "fully_implemented", "FRA-2022"),
            assessment_row("FRA-2015-F3", "not_implemented", "FRA-2022", confidentiality="restricted"),
        ],
    )
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def served(database):
    with served_on(database) as address:
        yield address


def compared(database: str, iso3: str, level: str) -> dict:
    """What `tracker compare --format json` prints for the State at the level."""
    result = CliRunner().invoke(
        cli, ["compare", iso3, "--level", level, "--format", "json"], env={"TRACKER_DATABASE_URL": database}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def metrics_shown(page) -> dict[str, str]:
    page.wait_for_selector("[data-testid=stMetric]", timeout=PATIENCE * 1000)
    shown = {}
    for metric in page.get_by_test_id("stMetric").all():
        label = metric.get_by_test_id("stMetricLabel").inner_text().strip()
        shown[label] = metric.get_by_test_id("stMetricValue").inner_text().strip()
    return shown


def expected_metrics(result: dict) -> dict[str, str]:
    totals = result["totals"]
    return {
        "Index (0–100)": f"{totals['implementation_index']:.1f}",
        "Gaps closed": f"{totals['gaps_closed']} of {totals['baseline_gaps']}",
        "Recs closed": f"{totals['recs_closed']} of {totals['baseline_recommendations']}",
        "New gaps": str(totals["new_gaps"]),
        "Good practices": str(totals["good_practices_followup"]),
    }


def ranking(result: dict) -> list[str]:
    """The areas of the 'Most progress' box, as the page words them: best first, three at most."""
    from tracker.services.progress.comparison import area_names

    names = area_names()
    scored = [a for a in result["areas"] if a["implementation_index"] is not None]
    scored.sort(key=lambda a: (-a["implementation_index"], -a["scored_items"]))
    return [
        f"{names[a['area']][0].upper() + names[a['area']][1:]}: {a['implementation_index']:.1f} (n {a['scored_items']})"
        for a in scored[:3]
    ]


def test_a_link_the_ranking_and_a_click_on_the_overview(served, database, browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})

    page.goto(f"{served}/?state=KOR&level=committee")
    settle(page)
    page.wait_for_selector("h1:has-text('State progress')")
    assert_no_exception(page)
    korea = compared(database, "KOR", "committee")
    assert metrics_shown(page) == expected_metrics(korea)
    most = page.get_by_test_id("stColumn").filter(has_text="Most progress").last
    items = [item.inner_text().strip() for item in most.locator("li").all()]
    assert items == ranking(korea)
    screenshot(page, "state_progress_at_committee")

    page.get_by_test_id("stSidebarNav").get_by_text("Overview", exact=True).click()
    page.wait_for_selector("h1:has-text('Overview')")
    settle(page)
    page.wait_for_selector("[data-testid=stDataFrame] canvas")
    # The index is a table, not a chart: nothing waits for the charting library before it is read.
    assert page.locator(".js-plotly-plot").count() == 0
    assert_no_exception(page)
    screenshot(page, "overview_at_committee")

    # Rows run by State name, so France is the first: its row's selection box opens its progress.
    # The index table is the one with the scored items (the assessment debt's table follows it).
    grid = page.get_by_test_id("stDataFrame").filter(has_text="Scored items")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 * 1.5)
    page.wait_for_selector("h1:has-text('State progress')", timeout=PATIENCE * 1000)
    settle(page)
    assert_no_exception(page)
    assert "state=FRA" in page.url and "level=committee" in page.url
    france = compared(database, "FRA", "committee")
    assert metrics_shown(page) == expected_metrics(france)
    # At committee the restricted baseline item is left out, as `tracker compare --level committee` leaves it.
    assert france["totals"]["scored_items"] == 2
    screenshot(page, "state_progress_after_click")

    # The icons are decoration: a screen reader reads the page's words, not the icons' names.
    read_aloud = page.get_by_test_id("stApp").aria_snapshot()
    for icon in ("insights", "public", "checklist", "swap_vert", "description", "refresh", "help"):
        assert f" {icon}\n" not in read_aloud and f'"{icon}"' not in read_aloud

    # Tab moves through the choices in the order they are read: State, follow-up visit, level.
    page.get_by_role("combobox", name="State", exact=False).first.focus()
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
    assert order == ["Follow-up visit", "Help for Viewing at level", "Viewing at level"]

    # The back button returns to the Overview the click came from.
    page.go_back()
    page.wait_for_selector("h1:has-text('Overview')", timeout=PATIENCE * 1000)
    settle(page)
    assert_no_exception(page)
