"""Every chart on every page that draws one, in a real browser: a screen reader announces it by a name
that says what it shows (its title), the numbers it draws are in a table of text under it, and axe-core
finds no serious or critical fault with the charts and their tables open."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser import test_dashboard_browser as harness
from tests.browser.test_dashboard_browser import PATIENCE, assert_no_exception, served_on, settle
from tests.services.test_snapshots import change_by_import, issue_state_report
from tracker import db
from tracker.services.bundle.demo import load_demo
from tracker.services.operations.reference import init_database
from tracker.services.people.access import LOCAL_ADMIN

pytestmark = harness.pytestmark
browser = harness.browser
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo, with a report issued to the Committee and two statuses changed since, so that the
    Changes page draws its chart too."""
    folder = tmp_path_factory.mktemp("charts")
    url = f"sqlite:///{folder / 'tracker.db'}"
    engine = db.get_engine(url)
    init_database(engine)
    load_demo(engine, LOCAL_ADMIN)
    issue_state_report(engine)
    change_by_import(engine, folder / "changes")
    engine.dispose()
    with served_on(url) as address:
        yield address


def drawn(page, address: str, path: str, switch: str | None, charts: int):
    page.goto(f"{address}/{path}")
    settle(page)
    page.wait_for_selector("h1")
    if switch:
        page.get_by_text(switch, exact=True).click()
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}", timeout=PATIENCE * 1000
    )
    settle(page)
    assert_no_exception(page)


def assert_named_with_numbers_in_text(page, charts: int) -> list[str]:
    """Each chart: a figure named by its visible title, and every number it draws in its table of text."""
    shown = page.get_by_test_id("stPlotlyChart").all()
    assert len(shown) >= charts
    names = []
    for chart in shown:
        # A long title is drawn on several lines, one text span each.
        lines = chart.locator(".gtitle tspan.line").all_text_contents() or [
            chart.locator(".gtitle").first.text_content()
        ]
        title = " ".join(" ".join(lines).split())
        assert title
        assert chart.get_attribute("role") == "figure"
        name = chart.get_attribute("aria-label") or ""
        assert title in name, (title, name)
        assert page.get_by_role("figure", name=name, exact=True).count() >= 1
        numbers = page.get_by_test_id("stExpander").filter(has_text=f"The numbers of the chart “{title}”")
        assert numbers.count() == 1, title
        # Opened from the keyboard, as a screen reader's user would: a click could land on a chart that moved.
        numbers.locator("summary").focus()
        page.keyboard.press("Enter")
        table = numbers.get_by_role("table")
        table.wait_for()
        text = table.inner_text()
        in_text = [float(n) for n in NUMBER.findall(text)]
        assert in_text, title
        # The figures the chart writes on its bars and squares; a square rounds its index to a whole number.
        labels = chart.locator("text.bartext, .textpoint text").all_text_contents()
        for label in labels:
            for number in NUMBER.findall(label):
                assert any(abs(float(number) - value) <= 0.5 for value in in_text), (title, label, text)
        names.append(name)
    return names


@pytest.mark.parametrize(
    ("path", "switch", "charts"),
    [
        ("?state=KOR&level=committee", "Show the charts", 5),
        ("overview?level=committee", "Also draw the index as charts", 1),
        ("overview?level=committee&view=ends", "Also draw the index as charts", 2),
        ("ta_pipeline?level=committee", None, 2),
        ("changes?level=committee", None, 1),
    ],
    ids=["state-progress", "overview", "overview-ends", "ta-pipeline", "changes"],
)
def test_every_chart_has_an_accessible_name_and_its_numbers_in_text(served, browser, path, switch, charts):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    drawn(page, served, path, switch, charts)
    names = assert_named_with_numbers_in_text(page, charts)
    assert len(set(names)) == len(names), names
    # The charts and their opened tables keep the page free of serious and critical accessibility faults.
    grave = [
        (violation["id"], [node["target"] for node in violation["nodes"]][:3])
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert grave == [], grave
