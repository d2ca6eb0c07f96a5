"""The analyst guide's screenshots, taken of the real dashboard serving the demo.

    python docs/screenshots.py [FOLDER]        # by default docs/images/
    python docs/screenshots.py --sizes FOLDER  # every page's first screen at 1280×720 and 1440×900

Loads the demo into a fresh database in a temporary folder, serves the dashboard and photographs
each page with the helpers the browser tests use; then issues a report on the Republic of Korea and
changes one assessment, so the Reports and Changes pages have something to show. A browser test runs it
into a temporary folder, so a page the guide shows cannot change without the script noticing.

With --sizes, the first screen of every page at the two window sizes analysts use, to look at before a
change to a page is merged (those pictures are not kept in the repository).
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

from tests.browser.test_dashboard_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_no_exception,
    open_page,
    served_on,
    settle,
)

IMAGES = DOCS / "images"
WIDTH, HEIGHT = 1400, 900

# A new baseline finding, as an analyst would import it, shown in the import's preview.
NEW_FINDING = (
    b"finding_id,visit_id,area,kind,title\n"
    b"KOR-2009-F40,KOR-2009,BM.API_PNR_BIOMETRICS,shortfall,No advance passenger information is collected\n"
)
# The change made after the report is issued: a recommendation moves from largely to fully implemented.
CHANGED_ASSESSMENT = "finding_id,visit_id,status\nKOR-2009-F15,KOR-2023,fully_implemented\n"
ISSUED_TITLE = "Republic of Korea, follow-up visit 2023"

# Every image the script writes, and so every image the repository may hold.
SHOTS = (
    "state_progress",
    "overview",
    "visits_and_meetings",
    "import_preview",
    "assessment_worksheet",
    "finding_panel",
    "tracking_matrix",
    "matrix_across_states",
    "continuity",
    "reports",
    "changes",
)


def tracker(database_url: str, *arguments: str) -> None:
    """A `tracker` command on the database, as an analyst would type it."""
    subprocess.run(
        [sys.executable, "-c", "from tracker.cli import main; main()", *arguments],
        # The same environment as the served dashboard, so both read the same settings (the seal key too).
        env={key: value for key, value in os.environ.items() if key != "TRACKER_AUTH"}
        | {"TRACKER_DATABASE_URL": database_url},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def report_and_change(url: str, folder: Path) -> None:
    """A report issued on the demo, and one assessment changed since."""
    report = folder / "korea-2023.md"
    tracker(url, "report", "--state", "KOR", "--out", str(report), "--level", "committee", "--issue", ISSUED_TITLE)
    changed = folder / "assessments.csv"
    changed.write_text(CHANGED_ASSESSMENT, encoding="utf-8")
    tracker(url, "import", str(changed))


# Pages whose point is below the first screen are taken taller, and the matrix wider, so its statuses show.
HEIGHTS = {"state_progress": 1700, "finding_panel": 1400, "changes": 1300, "reports": 1100}
WIDTHS = {"tracking_matrix": 1900}
# The sidebar names the database; the pictures name the demo's, not the temporary one they were taken on.
DEMO_DATABASE = "sqlite:///db/demo.db"
NAME_THE_DEMO = """database => {
    for (const text of document.querySelectorAll('[data-testid=stSidebar] [data-testid=stText]'))
        if (text.innerText.startsWith('sqlite:')) text.innerText = database;
}"""


def shoot(page, folder: Path, name: str) -> None:
    assert name in SHOTS, name
    errors = [alert.inner_text() for alert in page.locator("[data-testid=stAlertContentError]").all()]
    assert not errors, f"{name}: {errors}"
    assert_no_exception(page)
    page.set_viewport_size({"width": WIDTHS.get(name, WIDTH), "height": HEIGHTS.get(name, HEIGHT)})
    settle(page)
    page.evaluate(NAME_THE_DEMO, DEMO_DATABASE)
    page.wait_for_timeout(800)
    page.screenshot(path=folder / f"{name}.png")
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def take(address: str, url: str, folder: Path, work: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto(f"{address}/?state=KOR&followup=KOR-2023&level=committee")
            settle(page)
            page.locator("[data-testid=stDataFrame]").first.wait_for()
            shoot(page, folder, "state_progress")

            open_page(page, "Overview")
            page.locator("[data-testid=stDataFrame]").first.wait_for()
            shoot(page, folder, "overview")

            open_page(page, "Visits and meetings")
            shoot(page, folder, "visits_and_meetings")

            open_page(page, "Import / Export")
            page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
                files=[{"name": "findings.csv", "mimeType": "text/csv", "buffer": NEW_FINDING}]
            )
            page.get_by_role("button", name="Confirm import").wait_for(timeout=60_000)
            settle(page)
            page.get_by_role("button", name="Confirm import").scroll_into_view_if_needed()
            shoot(page, folder, "import_preview")

            open_page(page, "Findings")
            page.get_by_role("tab", name="Assess at a follow-up").click()
            settle(page)
            shoot(page, folder, "assessment_worksheet")

            page.goto(f"{address}/findings?finding=KOR-2009-F15")
            settle(page)
            page.get_by_text("Status at every later visit").wait_for(timeout=60_000)
            shoot(page, folder, "finding_panel")

            open_page(page, "Tracking matrix")
            page.locator("[data-testid=stDataFrame]").first.wait_for()
            shoot(page, folder, "tracking_matrix")

            open_page(page, "Matrix across States")
            page.locator("[data-testid=stDataFrame]").first.wait_for()
            shoot(page, folder, "matrix_across_states")

            open_page(page, "Continuity")
            page.get_by_text("Findings with no link").wait_for()
            shoot(page, folder, "continuity")

            report_and_change(url, work)
            page.get_by_role("button", name="Reload data").click()
            settle(page)
            open_page(page, "Reports")
            shoot(page, folder, "reports")

            open_page(page, "Changes")
            page.get_by_text("Implementation index of the thematic areas that moved").wait_for(timeout=60_000)
            shoot(page, folder, "changes")
        finally:
            chromium.close()


def main(folder: Path = IMAGES) -> list[Path]:
    """Write every screenshot into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'tracker.db'}"
        tracker(url, "demo")
        with served_on(url) as address:
            take(address, url, folder, Path(work))
    return [folder / f"{name}.png" for name in SHOTS]


# The window sizes analysts use, and every page by its address.
SIZES = ((1280, 720), (1440, 900))
PAGES = {
    "overview": "overview",
    "state_progress": "?state=KOR&followup=KOR-2023&level=committee",
    "tracking_matrix": "matrix",
    "matrix_across_states": "across_states",
    "ta_pipeline": "ta_pipeline",
    "dossier": "dossier",
    "findings": "findings",
    "finding_panel": "findings?finding=KOR-2009-F15",
    "continuity": "continuity",
    "visits_and_meetings": "visits",
    "import_export": "import_export",
    "reports": "reports",
    "changes": "changes",
    "admin": "admin",
}


def first_screens(folder: Path) -> list[Path]:
    """Every page's first screen at each of SIZES, as NAME-WIDTHxHEIGHT.png in `folder`; return their paths."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'tracker.db'}"
        tracker(url, "demo")
        with served_on(url) as address, sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for width, height in SIZES:
                    page = chromium.new_page(viewport={"width": width, "height": height})
                    for name, path in PAGES.items():
                        page.goto(f"{address}/{path}")
                        settle(page)
                        page.wait_for_selector("h1")
                        assert_no_exception(page)
                        page.evaluate(NAME_THE_DEMO, DEMO_DATABASE)
                        written.append(folder / f"{name}-{width}x{height}.png")
                        page.screenshot(path=written[-1])
                    page.close()
            finally:
                chromium.close()
    return written


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sizes"]:
        for path in first_screens(Path(sys.argv[2]) if len(sys.argv) > 2 else Path("screenshots")):
            print(path)
    else:
        for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else IMAGES):
            print(path)
