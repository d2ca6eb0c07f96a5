"""Every dashboard page, run by Streamlit's AppTest on a database holding the demo."""

import base64
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_TIMEOUT, finding_row, followup_row, visit_row, write_bundle
from tracker.models import Assessment, Confidentiality, Finding, FindingKind, Meeting, Visit
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress.comparison import area_names, areas_frame, compare
from tracker.services.records import editing as records

COMMITTEE = Confidentiality.committee
DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard.py"
PAGES = [
    "tracker/ui/overview.py",
    "tracker/ui/state_progress.py",
    "tracker/ui/matrix.py",
    "tracker/ui/findings.py",
    "tracker/ui/continuity.py",
    "tracker/ui/visits.py",
    "tracker/ui/import_export.py",
    "tracker/ui/reports.py",
    "tracker/ui/admin.py",
]


@pytest.fixture(autouse=True)
def local_mode(monkeypatch):
    """No logins, and no cached read or engine carried over from another test's database."""
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(page: str | None = None, **state) -> AppTest:
    app = AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT).run()
    if page:
        app.switch_page(page)
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


def assert_clean(app: AppTest) -> None:
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]


def charts(app: AppTest) -> dict[str, dict]:
    """The Plotly figures on the page by title, as the browser receives them."""
    figures = [json.loads(element.proto.spec) for element in app.get("plotly_chart")]
    return {figure["layout"]["title"]["text"].replace("<br>", " "): figure for figure in figures}


def numbers(data) -> list:
    """A figure's array as a list; Plotly sends numpy arrays as base64 typed arrays."""
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        return array.reshape([int(n) for n in str(data.get("shape", len(array))).split(",")]).tolist()
    return data


def trace(figure: dict, name: str) -> list:
    return numbers(next(t for t in figure["data"] if t.get("name") == name)["x"])


def grid_cells(figure: dict) -> dict[tuple[str, str], tuple[float | None, int]]:
    """{(follow-up visit, area name): (index, scored items)} of an Overview index chart; no index is None."""
    cells = {}
    for part in figure["data"]:
        values = numbers(part["marker"]["color"]) if part["name"] == "Implementation index" else None
        for position, (_, followup, area, scored, _) in enumerate(part.get("customdata", [])):
            cells[(followup, area)] = (round(values[position], 1) if values else None, scored)
    return cells


def index_cells(app: AppTest, key: str = "table:index") -> dict[tuple[str, str], float | None]:
    """{(follow-up visit, area column): index} of an Overview index table; no index is None."""
    frame = app.dataframe(key=key).value
    areas = [c for c in frame.columns if c not in OVERVIEW_VISIT_COLUMNS]
    return {
        (row["visit_id"], area): None if pd.isna(row[area]) else float(row[area])
        for _, row in frame.iterrows()
        for area in areas
    }


OVERVIEW_VISIT_COLUMNS = {"row", "region", "scored", "visit_id", "dates", "baseline_visit_id", "lead"}


def count(engine, table, *where) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def table(app: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with this column (only selectable tables carry their key)."""
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


# ---------------------------------------------------------------- every page


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_without_an_error(demo_engine, page):
    app = open_page(page)

    assert_clean(app)
    assert app.title and app.title[0].value


def test_the_sidebar_names_the_database_and_says_there_is_no_login(demo_engine, database_url):
    app = open_page()

    shown = " ".join(c.value for c in app.sidebar.caption)
    assert "Local mode: no login, full access" in shown
    assert "Database: SQLite database tracker.db" in shown or "Database: PostgreSQL database" in shown


def test_a_database_without_the_schema_is_one_sentence_on_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")

    app = open_page("tracker/ui/overview.py")

    assert not app.exception
    assert len(app.error) == 1 and "run 'tracker init' first" in app.error[0].value


def test_pages_with_no_follow_up_say_how_to_add_one(engine):
    for page in ("tracker/ui/overview.py", "tracker/ui/state_progress.py"):
        app = open_page(page)
        assert_clean(app)
        assert "tracker demo" in app.info[0].value


# ---------------------------------------------------------------- state progress


def test_state_progress_shows_the_numbers_of_the_comparison_at_committee_level(demo_engine):
    result = compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    totals = result["totals"]

    app = open_page("tracker/ui/state_progress.py")

    assert_clean(app)
    assert metrics(app) == {
        "Index (0–100)": f"{totals['implementation_index']:.1f}",
        "Gaps closed": f"{totals['gaps_closed']} of {totals['baseline_gaps']}",
        "Recs closed": f"{totals['recs_closed']} of {totals['baseline_recommendations']}",
        "New gaps": str(totals["new_gaps"]),
        "Good practices": str(totals["good_practices_followup"]),
    }
    shown = table(app, "implementation_index")
    pd.testing.assert_frame_equal(shown, areas_frame(result)[shown.columns], check_dtype=False)


def test_state_progress_names_areas_as_stored(demo_engine):
    from sqlalchemy import update

    from tracker.models import ThematicArea, table_of

    areas = table_of(ThematicArea)
    with demo_engine.begin() as connection:
        connection.execute(update(areas).where(areas.c.code == "LEG").values(name="Legislation, as renamed"))

    app = open_page("tracker/ui/state_progress.py")

    assert_clean(app)
    shown = table(app, "implementation_index")
    assert "Legislation, as renamed" in set(shown["area_name"])


def test_state_progress_charts_draw_the_comparison_counts(demo_engine):
    result = compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    areas = areas_frame(result)

    app = open_page("tracker/ui/state_progress.py")
    assert not app.get("plotly_chart")
    app.toggle(key="progress:charts").set_value(True).run()
    figures = charts(app)

    gaps = figures["Baseline gaps closed, progressing and open, and new gaps, per thematic area"]
    shown = areas[(areas["baseline_gaps"] > 0) | (areas["new_gaps"] > 0)]
    for group, name in [
        ("closed", "Closed"),
        ("progressing", "Progressing"),
        ("open", "Open"),
        ("excluded", "Excluded (not scored)"),
    ]:
        assert trace(gaps, name) == shown[f"gaps_{group}"].tolist()
    assert trace(gaps, "New gaps at the follow-up") == shown["new_gaps"].tolist()
    status = numbers(figures["Status of the baseline items at the follow-up"]["data"][0]["x"])
    assert status == list(result["status_counts"].values())
    practices = figures["Good practices at each visit, per thematic area"]
    assert sum(trace(practices, "Good practices at the follow-up visit")) == result["totals"]["good_practices_followup"]
    assert sum(trace(practices, "Good practices at the baseline visit")) == result["totals"]["good_practices_baseline"]
    meetings = figures["Meetings of the follow-up visit by kind and sector"]
    drawn = sum(sum(numbers(t["y"])) for t in meetings["data"])
    assert drawn == count(
        demo_engine, Meeting, Meeting.visit_id == "KOR-2023", Meeting.confidentiality.in_(COMMITTEE.visible_levels())
    )


def test_state_progress_shows_recommendations_on_request(demo_engine):
    areas = areas_frame(compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee"))
    app = open_page("tracker/ui/state_progress.py")
    app.toggle(key="progress:charts").set_value(True).run()

    app.segmented_control(key="progress:kind").set_value("recommendations").run()

    figure = charts(app)["Baseline recommendations closed, progressing and open, per thematic area"]
    shown = areas[areas["baseline_recommendations"] > 0]
    assert trace(figure, "Closed") == shown["recs_closed"].tolist()
    assert trace(figure, "Open") == shown["recs_open"].tolist()


def test_state_progress_lists_priority_items_and_new_issues(demo_engine):
    items = records.assessment_worksheet(demo_engine, LOCAL_ADMIN, "KOR-2023")

    app = open_page("tracker/ui/state_progress.py")

    priority = table(app, "evidence")
    assert set(priority["finding_id"]) == set(items.loc[items["priority"], "finding_id"])
    new = table(app, "severity")
    assert len(new) and all(f.startswith("KOR-2023-") for f in new["finding_id"])


def test_state_progress_new_issues_are_those_of_the_report(demo_engine):
    from tracker.services.progress import comparison
    from tracker.services.reports import documents as reports

    app = open_page("tracker/ui/state_progress.py")

    assert_clean(app)
    # The page reads at Committee by default, as the report to the Committee does.
    new_issues_table = [frame.value for frame in app.dataframe if "severity" in frame.value.columns][-1]
    page = new_issues_table["finding_id"].tolist()
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", "KOR-2023", level="committee")
    section = next(s for s, _, _ in document.walk() if s.heading == "New issues since the baseline")
    report = [row[0] for row in section.tables[0].rows]
    items = comparison.item_table(demo_engine, LOCAL_ADMIN, "KOR-2023", level="committee")
    assert page == report == [issue.finding_id for issue in comparison.new_issues(items)]
    # A TA need is reported in its own section, never as a new issue.
    ta_needs = items.loc[(items["role"] == "new") & (items["kind"] == "ta_need"), "finding_id"].tolist()
    assert ta_needs and not set(ta_needs) & set(page)


def test_state_progress_priority_items_are_those_of_the_report(demo_engine):
    """Both priority lists come from comparison's definitions, read at Committee like the report."""
    from tracker.services.progress import comparison
    from tracker.services.reports import documents as reports

    app = open_page("tracker/ui/state_progress.py")

    assert_clean(app)
    items = comparison.item_table(demo_engine, LOCAL_ADMIN, "KOR-2023", level="committee")
    baseline = table(app, "evidence")["finding_id"].tolist()
    assert baseline == [item.finding_id for item in comparison.priority_items(items)]
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", "KOR-2023", level="committee")
    summary = next(s for s, _, _ in document.walk() if s.heading == "Executive summary")
    recommendations = comparison.priority_items(items, FindingKind.recommendation)
    assert recommendations and all(item.title in " ".join(summary.paragraphs) for item in recommendations)
    # The follow-up's own priorities: new and continuing findings, never a baseline one.
    followup = next(frame.value for frame in app.dataframe if "severity" in frame.value.columns)
    expected = comparison.followup_priorities(items)
    assert expected and followup["finding_id"].tolist() == [item.finding_id for item in expected]
    assert not set(followup["finding_id"]) & set(items.loc[items["role"] == "baseline", "finding_id"])


# ---------------------------------------------------------------- overview


def test_overview_counts_follow_ups_findings_and_the_mean_index(demo_engine):
    result = compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")

    app = open_page("tracker/ui/overview.py")

    assert_clean(app)
    assert metrics(app) == {
        "States with a follow-up": "1",
        "Follow-up visits": "1",
        "Findings": str(count(demo_engine, Finding, Finding.confidentiality.in_(COMMITTEE.visible_levels()))),
        "Mean index (0–100)": f"{result['totals']['implementation_index']:.1f}",
    }
    names = area_names()
    shown = {
        names[area["area"]]: area["implementation_index"]
        for area in result["areas"]
        if area["baseline_gaps"] + area["baseline_recommendations"]
    }
    expected = {("KOR-2023", "All areas"): result["totals"]["implementation_index"]}
    assert index_cells(app) == expected | {("KOR-2023", n[0].upper() + n[1:]): i for n, i in shown.items()}
    assert table(app, "All areas")["scored"].tolist() == [result["totals"]["scored_items"]]
    # The charts are drawn only when asked for, and then show the same indexes.
    assert not app.get("plotly_chart")
    app.toggle(key="overview:charts").set_value(True).run()
    cells = grid_cells(next(iter(charts(app).values())))
    assert {key: index for key, (index, _) in cells.items()} == expected | {
        ("KOR-2023", n): i for n, i in shown.items()
    }


def test_overview_filters_follow_ups_by_region_and_period(demo_engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "fra",
        visits=[
            visit_row("FRA-2015", state="FRA", start_date="2015-06-01", end_date="2015-06-03"),
            followup_row("FRA-2022", "FRA-2015", state="FRA", start_date="2022-06-01", end_date="2022-06-03"),
        ],
        findings=[finding_row("FRA-2015-F1", "FRA-2015")],
    )
    assert import_bundle(demo_engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok
    app = open_page("tracker/ui/overview.py")
    assert metrics(app)["Follow-up visits"] == "2"

    app.multiselect(key="overview:regions").set_value(["Western Europe"]).run()
    assert_clean(app)
    assert (metrics(app)["States with a follow-up"], metrics(app)["Findings"]) == ("1", "1")

    app.slider(key="overview:period").set_value((2023, 2023)).run()
    assert_clean(app)
    assert metrics(app)["Follow-up visits"] == "0"
    assert "No follow-up visit matches" in app.info[0].value


# ---------------------------------------------------------------- findings


def test_findings_filters_narrow_the_list(demo_engine):
    app = open_page("tracker/ui/findings.py")
    assert len(app.dataframe(key="findings:table").value) == count(demo_engine, Finding)

    app.selectbox(key="findings:kind").set_value("good_practice").run()

    listed = app.dataframe(key="findings:table").value
    assert len(listed) == count(demo_engine, Finding, Finding.kind == "good_practice")
    assert set(listed["kind"]) == {"Good practice"}


def test_adding_a_finding_shows_errors_beside_the_fields_then_saves(demo_engine):
    app = open_page("tracker/ui/findings.py", **{"findings:tab": "Add or edit"})
    form = "finding:new"
    app.text_input(key=f"{form}:finding_id").set_value("KOR-2023-F99")
    app.selectbox(key=f"{form}:visit_id").set_value("KOR-2009")
    app.selectbox(key=f"{form}:area").set_value("ICT")
    app.selectbox(key=f"{form}:kind").set_value("shortfall")
    app.text_input(key=f"{form}:title").set_value("No procedure for removing terrorist content")
    app.text_input(key=f"{form}:continues").set_value("KOR-2023-F01")
    app.button(key=f"FormSubmitter:{form}-Review and add").click().run()

    assert not app.exception
    assert "nothing was saved" in app.error[0].value
    assert any("earlier" in e.value for e in app.error[1:])
    assert count(demo_engine, Finding, Finding.finding_id == "KOR-2023-F99") == 0

    app.selectbox(key=f"{form}:visit_id").set_value("KOR-2023").run()
    app.text_input(key=f"{form}:finding_id").set_value("KOR-2023-F99")
    app.text_input(key=f"{form}:continues").set_value("")
    app.button(key=f"FormSubmitter:{form}-Review and add").click().run()

    assert table(app, "Before").values.tolist() == [["KOR-2023-F99", "(new row)", "—", "added"]]
    assert count(demo_engine, Finding, Finding.finding_id == "KOR-2023-F99") == 0
    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    assert app.success[0].value == "Finding KOR-2023-F99 added."
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F99")["area"] == "ICT"
    # Add another: the visit stays, the next id is proposed and the rest is cleared.
    assert app.selectbox(key=f"{form}:visit_id").value == "KOR-2023"
    assert app.text_input(key=f"{form}:finding_id").value == "KOR-2023-F100"
    assert app.text_input(key=f"{form}:title").value == ""


def test_editing_a_finding_starts_from_its_stored_values(demo_engine):
    app = open_page("tracker/ui/findings.py", **{"findings:tab": "Add or edit", "findings:edit": "KOR-2009-F01"})
    form = "finding:KOR-2009-F01"
    stored = records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2009-F01")
    assert app.text_input(key=f"{form}:title").value == stored["title"]
    assert app.selectbox(key=f"{form}:area").value == stored["area"]

    app.text_input(key=f"{form}:title").set_value("Coordination rests on a directive")
    app.button(key=f"FormSubmitter:{form}-Review changes").click().run()
    assert table(app, "Before").values.tolist() == [
        ["KOR-2009-F01", "Title", stored["title"], "Coordination rests on a directive"]
    ]
    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2009-F01") == stored | {
        "title": "Coordination rests on a directive"
    }


def test_the_worksheet_sends_its_edits_with_review_not_one_rerun_per_cell(demo_engine):
    # A rerun per edited cell would close the next cell's editor, with what was typed in it, when it
    # lands while the analyst types on: the sheet and its button are one form.
    app = open_page("tracker/ui/findings.py", **{"findings:tab": "Assess at a follow-up"})

    form = app.button(key="worksheet:save").form_id
    assert form == app.data_editor(key="worksheet:KOR-2023").proto.form_id == "form:worksheet:KOR-2023"


def test_the_worksheet_saves_changed_statuses_together(demo_engine):
    app = open_page("tracker/ui/findings.py", **{"findings:tab": "Assess at a follow-up"})
    sheet = app.data_editor(key="worksheet:KOR-2023").value
    first, second = sheet["finding_id"][0], sheet["finding_id"][1]

    app.session_state["worksheet:KOR-2023"] = {
        "edited_rows": {0: {"status": "contrary_action"}, 1: {"evidence": "Checked again in 2024"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.button(key="worksheet:save").click().run()

    review = table(app, "Before")
    assert review[["Row", "Field"]].values.tolist() == [
        [f"{first}/KOR-2023", "Status"],
        [f"{second}/KOR-2023", "Evidence"],
    ]
    assert count(demo_engine, Assessment, Assessment.status == "contrary_action", Assessment.finding_id == first) == 0
    app.button(key="review:worksheet:KOR-2023:confirm").click().run()

    assert_clean(app)
    assert app.success[0].value == "Saved the assessments of KOR-2023."
    with demo_engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(Assessment.finding_id, Assessment.status).where(
                    Assessment.visit_id == "KOR-2023", Assessment.finding_id.in_([first, second])
                )
            ).all()
        )
        evidence = connection.execute(
            select(Assessment.evidence).where(Assessment.finding_id == second, Assessment.visit_id == "KOR-2023")
        ).scalar_one()
    assert stored[first] == "contrary_action" and evidence == "Checked again in 2024"


def test_the_worksheet_says_when_nothing_changed(demo_engine):
    app = open_page("tracker/ui/findings.py", **{"findings:tab": "Assess at a follow-up"})

    app.button(key="worksheet:save").click().run()

    assert_clean(app)
    assert "Nothing has changed" in app.info[0].value


# ---------------------------------------------------------------- visits and meetings


def test_adding_a_visit_and_a_meeting(demo_engine):
    app = open_page("tracker/ui/visits.py")
    form = "visit:new"
    app.text_input(key=f"{form}:visit_id").set_value("KOR-2030")
    app.selectbox(key=f"{form}:state").set_value("KOR")
    app.selectbox(key=f"{form}:kind").set_value("follow_up")
    app.selectbox(key=f"{form}:baseline_visit_id").set_value("KOR-2023")
    app.date_input(key=f"{form}:start_date").set_value(dt.date(2030, 4, 1))
    app.date_input(key=f"{form}:end_date").set_value(dt.date(2030, 4, 3))
    app.multiselect(key=f"{form}:partners").set_value(["UNODC"])
    app.button(key=f"FormSubmitter:{form}-Review and add").click().run()
    assert count(demo_engine, Visit, Visit.visit_id == "KOR-2030") == 0
    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    assert records.get_visit(demo_engine, LOCAL_ADMIN, "KOR-2030")["baseline_visit_id"] == "KOR-2023"
    assert "KOR-2030" in set(table(app, "baseline_visit_id")["visit_id"])

    app.session_state["visits:tab"] = "Meetings"
    app.run()
    form = "meeting:new"
    app.text_input(key=f"{form}:meeting_id").set_value("KOR-2030-M01")
    app.selectbox(key=f"{form}:visit_id").set_value("KOR-2030")
    app.selectbox(key=f"{form}:kind").set_value("roundtable")
    app.multiselect(key=f"{form}:sector").set_value(["civil_society", "private_sector", "academia"])
    app.multiselect(key=f"{form}:partners").set_value(["UNODC", "IOM"])
    app.button(key=f"FormSubmitter:{form}-Review and add").click().run()
    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    meeting = records.get_meeting(demo_engine, LOCAL_ADMIN, "KOR-2030-M01")
    assert (meeting["sector"], meeting["partners"]) == (
        ["academia", "civil_society", "private_sector"],
        ["IOM", "UNODC"],
    )


def test_a_visit_ending_before_it_starts_is_refused_beside_the_dates(demo_engine):
    app = open_page("tracker/ui/visits.py")
    form = "visit:new"
    app.text_input(key=f"{form}:visit_id").set_value("KOR-2030")
    app.selectbox(key=f"{form}:state").set_value("KOR")
    app.selectbox(key=f"{form}:kind").set_value("focused")
    app.date_input(key=f"{form}:start_date").set_value(dt.date(2030, 4, 3))
    app.date_input(key=f"{form}:end_date").set_value(dt.date(2030, 4, 1))
    app.button(key=f"FormSubmitter:{form}-Review and add").click().run()

    assert not app.exception
    assert any("the end date is before the start date" in e.value for e in app.error)
    assert count(demo_engine, Visit, Visit.visit_id == "KOR-2030") == 0


# ---------------------------------------------------------------- import / export


NEW_FINDING = (
    b"finding_id,visit_id,area,kind,title\n"
    b"KOR-2023-F98,KOR-2023,ICT.ONLINE_CONTENT,good_practice,Industry forum shares hashes of terrorist content\n"
)


def test_import_checks_first_and_writes_only_on_confirm(demo_engine):
    app = open_page("tracker/ui/import_export.py")
    app.file_uploader[0].set_value(("findings.csv", NEW_FINDING, "text/csv")).run()

    assert_clean(app)
    counts = table(app, "unchanged")
    assert counts.to_dict("records") == [{"file": "findings.csv", "created": 1, "updated": 0, "unchanged": 0}]
    assert count(demo_engine, Finding, Finding.finding_id == "KOR-2023-F98") == 0

    app.button(key="import:confirm").click().run()

    assert_clean(app)
    assert "1 new and 0 changed" in app.success[0].value
    assert count(demo_engine, Finding, Finding.finding_id == "KOR-2023-F98") == 1
    assert not app.file_uploader[0].value


def test_import_lists_every_error_with_file_line_and_column_and_offers_no_confirm(demo_engine):
    bad = b"finding_id,visit_id,area,kind,title\nX1,KOR-2023,NOPE,shortfall,A\nX2,KOR-2099,LEG,gap,B\n"
    app = open_page("tracker/ui/import_export.py")

    app.file_uploader[0].set_value(("findings.csv", bad, "text/csv")).run()

    assert not app.exception
    errors = table(app, "message")
    assert set(zip(errors["file"], errors["line"], errors["column"])) == {
        ("findings.csv", 2, "area"),
        ("findings.csv", 3, "kind"),
    }
    assert "2 error(s)" in app.error[0].value
    assert not [b for b in app.button if b.key == "import:confirm"]


def test_import_names_a_file_that_is_not_part_of_a_bundle(demo_engine):
    app = open_page("tracker/ui/import_export.py")

    app.file_uploader[0].set_value(("notes.csv", b"a,b\n", "text/csv")).run()

    assert not app.exception
    assert "is not a bundle file" in app.error[0].value


def test_export_offers_the_bundle_and_each_blank_template(demo_engine):
    app = open_page("tracker/ui/import_export.py")

    labels = [button.proto.label for button in app.get("download_button")]

    assert labels == [
        "Download the bundle (.zip)",
        "Download the bundle as a workbook (.xlsx)",
        "Download the tracking matrix of every State (.xlsx)",
        "areas.csv",
        "states.csv",
        "resolutions.csv",
        "partners.csv",
        "visits.csv",
        "findings.csv",
        "assessments.csv",
        "meetings.csv",
        "updates.csv",
        "update_items.csv",
        "milestones.csv",
        "ta.csv",
        "link_decisions.csv",
        "area_resolutions.csv",
    ]


@pytest.mark.parametrize(
    "page", ["tracker/ui/overview.py", "tracker/ui/state_progress.py", "tracker/ui/matrix.py", "tracker/ui/reports.py"]
)
def test_pages_that_need_a_follow_up_say_how_to_get_one_on_an_empty_database(engine, page):
    app = open_page(page)

    assert_clean(app)
    assert any("There is no follow-up visit" in info.value and "tracker demo" in info.value for info in app.info)
    assert not app.get("plotly_chart")


def test_the_dashboard_names_a_bad_setting_and_draws_nothing_else(demo_engine, monkeypatch):
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "0")

    app = AppTest.from_file(str(DASHBOARD), default_timeout=30).run()

    assert not app.exception
    assert [e.value for e in app.error] == [
        "TRACKER_SESSION_TIMEOUT_MINUTES=0 is not allowed: it must be a whole number above 0, e.g. 30."
    ]
    assert not app.title
