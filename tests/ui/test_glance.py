"""The pages that count, at a glance: the level they read at, their choices in the URL, the area
table and ranking of State progress, and the Overview at many States."""

import json

import pandas as pd
import pytest
import streamlit as st
from argon2 import PasswordHasher
from streamlit.proto.Metric_pb2 import Metric

from tests.conftest import APP_TIMEOUT, assessment_row, finding_row, followup_row, visit_row, write_bundle
from tests.ui.test_pages import OVERVIEW_VISIT_COLUMNS, assert_clean, charts, index_cells, metrics, open_page, table
from tracker.models import Confidentiality, Role
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.presentation.palette import INDEX_BAR
from tracker.services.presentation.wording import label
from tracker.services.progress.comparison import area_names, areas_frame, compare

PROGRESS = "tracker/ui/state_progress.py"
OVERVIEW = "tracker/ui/overview.py"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def local_mode(monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def progress_metrics(result: dict) -> dict[str, str]:
    totals = result["totals"]
    index = totals["implementation_index"]
    return {
        "Index (0–100)": "—" if index is None else f"{index:.1f}",
        "Gaps closed": f"{totals['gaps_closed']} of {totals['baseline_gaps']}",
        "Recs closed": f"{totals['recs_closed']} of {totals['baseline_recommendations']}",
        "New gaps": str(totals["new_gaps"]),
        "Good practices": str(totals["good_practices_followup"]),
    }


def level_box(app):
    return next(box for box in app.selectbox if box.label == "Viewing at level")


def shown_text(app) -> str:
    return " ".join(element.value for element in [*app.caption, *app.markdown])


def open_page_with_query(page: str, **query):
    from streamlit.testing.v1 import AppTest

    from tests.ui.test_pages import DASHBOARD

    app = AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT).run()
    app.switch_page(page)
    for key, value in query.items():
        app.query_params[key] = value
    return app.run()


# ---------------------------------------------------------------- the level in view


def test_state_progress_opens_at_committee_level_and_says_so(demo_engine):
    app = open_page(PROGRESS)

    assert_clean(app)
    assert level_box(app).value == "committee"
    assert metrics(app) == progress_metrics(compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee"))
    assert "Counted at confidentiality level **Committee**" in shown_text(app)
    assert app.query_params["level"] == "committee"


@pytest.mark.parametrize("level", [level.value for level in Confidentiality])
def test_the_level_selector_changes_every_count_to_compares_at_that_level(demo_engine, level):
    result = compare(demo_engine, LOCAL_ADMIN, "KOR", level=level)
    app = open_page(PROGRESS)
    app.toggle(key="progress:charts").set_value(True).run()

    level_box(app).set_value(level).run()

    assert_clean(app)
    assert metrics(app) == progress_metrics(result)
    areas = table(app, "implementation_index")
    expected = areas_frame(result)[areas.columns]
    pd.testing.assert_frame_equal(areas, expected, check_dtype=False)
    status = charts(app)["Status of the baseline items at the follow-up"]["data"][0]
    assert status["text"] == [str(n) if n else "" for n in result["status_counts"].values()]
    assert f"Counted at confidentiality level **{label(level)}**" in shown_text(app)


def test_the_demo_differs_between_levels_so_the_selector_test_can_fail(demo_engine):
    committee = compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")["totals"]
    restricted = compare(demo_engine, LOCAL_ADMIN, "KOR", level="restricted")["totals"]
    assert committee != restricted


def test_the_overview_counts_at_the_chosen_level(demo_engine):
    app = open_page(OVERVIEW)
    for level in ("committee", "restricted"):
        result = compare(demo_engine, LOCAL_ADMIN, "KOR", level=level)
        level_box(app).set_value(level).run()
        assert_clean(app)
        assert metrics(app)["Mean index (0–100)"] == f"{result['totals']['implementation_index']:.1f}"
        assert index_cells(app)[("KOR-2023", "All areas")] == result["totals"]["implementation_index"]
        assert table(app, "All areas")["scored"].tolist() == [result["totals"]["scored_items"]]


@pytest.fixture
def member_states_reader(demo_engine, monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "on")
    monkeypatch.setattr(users, "hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    details = users.validated_user("reader", PASSWORD, Role.viewer, Confidentiality.state_and_cted)
    users.add_user(demo_engine, LOCAL_ADMIN, details)
    return "reader"


def signed_in(username: str, **query):
    from streamlit.testing.v1 import AppTest

    from tests.ui.test_pages import DASHBOARD

    app = AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    app.text_input[0].input(username)
    app.text_input[1].input(PASSWORD)
    return app.button[0].click().run()


def test_the_level_selector_never_offers_a_level_above_the_clearance(member_states_reader):
    app = signed_in(member_states_reader)

    assert_clean(app)
    assert level_box(app).options == ["Public", "UN Platform", "Member States", "Committee", "State and CTED"]


def test_a_link_asking_for_a_level_above_the_clearance_is_not_followed(demo_engine, member_states_reader):
    app = signed_in(member_states_reader, level="restricted")

    assert_clean(app)
    assert level_box(app).value == "committee"
    assert metrics(app) == progress_metrics(compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee"))
    assert "not one of the choices you have here" in shown_text(app)


# ---------------------------------------------------------------- choices in the URL


@pytest.fixture
def two_states(demo_engine, tmp_path):
    """Korea's demo and a French baseline and follow-up, with one scored item."""
    bundle = write_bundle(
        tmp_path / "fra",
        visits=[
            visit_row("FRA-2015", state="FRA", start_date="2015-06-01", end_date="2015-06-03"),
            followup_row("FRA-2022", "FRA-2015", state="FRA", start_date="2022-06-01", end_date="2022-06-03"),
        ],
        findings=[finding_row("FRA-2015-F1", "FRA-2015"), finding_row("FRA-2015-F2", "FRA-2015", area="CFT")],
        assessments=[assessment_row("FRA-2015-F1", "fully_implemented", "FRA-2022")],
    )
    assert import_bundle(demo_engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok
    return demo_engine


def test_a_link_opens_the_state_follow_up_and_level_it_names(two_states):
    app = open_page_with_query(PROGRESS, state="FRA", followup="FRA-2022", level="restricted")

    assert_clean(app)
    assert (app.selectbox(key="progress:state").value, level_box(app).value) == ("FRA", "restricted")
    assert metrics(app) == progress_metrics(compare(two_states, LOCAL_ADMIN, "FRA", level="restricted"))


def test_choosing_another_state_writes_it_into_the_url(two_states):
    app = open_page(PROGRESS)
    assert app.query_params["state"] == "FRA"

    app.selectbox(key="progress:state").set_value("KOR").run()

    assert_clean(app)
    assert (app.query_params["state"], app.query_params["followup"]) == ("KOR", "KOR-2023")


def test_an_unknown_state_in_a_link_says_so_and_shows_a_state_there_is(two_states):
    app = open_page_with_query(PROGRESS, state="XXX")

    assert_clean(app)
    assert app.selectbox(key="progress:state").value in ("FRA", "KOR")
    assert "The link asked for state XXX" in shown_text(app)


# ---------------------------------------------------------------- state progress: the area table and ranking


def test_the_area_table_is_shown_with_names_and_ranked_on_request(demo_engine):
    result = compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    areas = areas_frame(result)
    app = open_page(PROGRESS)

    shown = table(app, "implementation_index")
    assert shown["area_name"].tolist() == areas["area_name"].tolist()

    app.segmented_control(key="progress:order").set_value("most").run()
    ranked = table(app, "implementation_index")["implementation_index"].dropna().tolist()
    assert ranked == sorted(ranked, reverse=True)
    assert app.query_params["order"] == "most"

    app.segmented_control(key="progress:order").set_value("least").run()
    ranked = table(app, "implementation_index")["implementation_index"].dropna().tolist()
    assert ranked == sorted(ranked)


def test_most_and_least_progress_name_the_best_and_worst_scored_areas(demo_engine):
    areas = areas_frame(compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee"))
    scored = areas[areas["implementation_index"].notna()].sort_values(
        ["implementation_index", "scored_items"], ascending=[False, False], kind="stable"
    )
    best, worst = scored.iloc[0], scored.iloc[-1]
    app = open_page(PROGRESS)

    app.toggle(key="progress:charts").set_value(True).run()
    text = shown_text(app)
    assert f"1. {best['area_name'][0].upper() + best['area_name'][1:]}: **{best['implementation_index']:.1f}**" in text
    assert f"1. {worst['area_name'][0].upper() + worst['area_name'][1:]}: **{worst['implementation_index']:.1f}**" in (
        text
    )
    figure = charts(app)["Implementation index per thematic area"]
    assert figure["data"][0]["text"][0].endswith(f"(n {areas['scored_items'].iloc[0]})")


def test_priority_items_carry_their_status_group_in_words(demo_engine):
    app = open_page(PROGRESS)

    priority = table(app, "status_group")
    assert set(priority["status_group"]) <= {"Closed", "Progressing", "Open", "Excluded"}
    assert len(priority)


def test_fewer_good_practices_is_not_drawn_as_a_decline(demo_engine):
    app = open_page(PROGRESS)

    practices = next(metric for metric in app.metric if metric.label == "Good practices")
    assert practices.proto.color == Metric.MetricColor.GRAY


# ---------------------------------------------------------------- overview at many States


@pytest.fixture
def many_states(demo_engine, tmp_path):
    """Korea and 24 more States, each with one follow-up; their index is their position × 4 % 100."""
    codes = ["ARG", "AUS", "BEL", "BRA", "CAN", "CHL", "DEU", "EGY", "ESP", "FRA", "GHA", "IDN"]
    codes += ["IND", "ITA", "JPN", "KEN", "MAR", "MEX", "NGA", "NOR", "PER", "SEN", "SWE", "TUN"]
    statuses = ["not_implemented", "initial_steps", "partially_implemented", "largely_implemented", "fully_implemented"]
    visits, findings, assessments = [], [], []
    for position, code in enumerate(codes):
        visits += [
            visit_row(f"{code}-2015", state=code, start_date="2015-06-01", end_date="2015-06-03"),
            followup_row(f"{code}-2022", f"{code}-2015", state=code, start_date="2022-06-01", end_date="2022-06-03"),
        ]
        findings.append(finding_row(f"{code}-2015-F1", f"{code}-2015"))
        assessments.append(assessment_row(f"{code}-2015-F1", statuses[position % 5], f"{code}-2022"))
    findings.append(finding_row("ARG-2015-F2", "ARG-2015", area="CFT"))
    bundle = write_bundle(tmp_path / "many", visits=visits, findings=findings, assessments=assessments)
    assert import_bundle(demo_engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok
    return demo_engine


def rows_drawn(app, key: str = "table:index") -> list[str]:
    """The States of an Overview index table, top to bottom."""
    return app.dataframe(key=key).value["row"].tolist()


def test_the_overview_names_states_and_sorts_by_name_region_or_index(many_states):
    app = open_page(OVERVIEW)
    by_name = rows_drawn(app)
    assert by_name == sorted(by_name) and "Republic of Korea" in by_name and len(by_name) == 25

    app.segmented_control(key="overview:sort").set_value("index").run()
    cells = grid_cells_all(app)
    indexes = [cells[row] for row in rows_drawn(app)]
    scored = [i for i in indexes if i is not None]
    assert scored == sorted(scored, reverse=True)

    app.segmented_control(key="overview:sort").set_value("region").run()
    assert_clean(app)
    assert app.query_params["sort"] == "region"


def grid_cells_all(app, key: str = "table:index") -> dict[str, float | None]:
    """{row label: overall index} of an Overview index table."""
    frame = app.dataframe(key=key).value
    return {row: None if pd.isna(index) else float(index) for row, index in zip(frame["row"], frame["All areas"])}


def test_the_overview_index_is_a_number_with_a_bar_drawn_by_the_table_itself(many_states):
    app = open_page(OVERVIEW)

    table = app.dataframe(key="table:index")
    columns = json.loads(table.proto.columns)
    areas = [c for c in table.value.columns if c not in OVERVIEW_VISIT_COLUMNS]
    assert areas[0] == "All areas" and len(areas) > 1
    for area in areas:
        bar = columns[area]["type_config"]
        assert (bar["type"], bar["min_value"], bar["max_value"], bar["color"]) == ("progress", 0, 100, INDEX_BAR)
        assert columns[area]["help"]
    # No per-cell styling to send and parse again at every sort: the bar and its number say it all.
    assert not table.proto.arrow_data.styler.styles


def test_an_area_with_no_scored_item_is_a_hollow_square_not_a_colour(many_states):
    app = open_page(OVERVIEW)
    cft = area_names()["CFT"]
    assert index_cells(app)[("ARG-2022", cft[0].upper() + cft[1:])] is None
    app.toggle(key="overview:charts").set_value(True).run()

    figure = next(iter(charts(app).values()))
    hollow = next(part for part in figure["data"] if part["name"] == "No scored item")
    assert hollow["marker"]["symbol"] == "square-open"
    # Argentina's CFT recommendation has no assessment: its square is hollow, and says so in its hover.
    assert ["ARG", "ARG-2022", area_names()["CFT"]] == list(hollow["customdata"][0][:3])
    assert "no scored item" in hollow["hovertemplate"]


def test_the_top_and_bottom_ten_show_the_highest_and_the_lowest(many_states):
    app = open_page(OVERVIEW)

    app.segmented_control(key="overview:view").set_value("ends").run()

    assert_clean(app)
    top, bottom = grid_cells_all(app, "table:top"), grid_cells_all(app, "table:bottom")
    assert len(top) == len(bottom) == 10
    assert min(top.values()) >= max(bottom.values())
    # Asked for, the charts show the same States, one block below the other.
    app.toggle(key="overview:charts").set_value(True).run()
    figures = charts(app)
    drawn = next(f for t, f in figures.items() if t.endswith("the 10 highest"))["layout"]["yaxis"]["categoryarray"]
    assert drawn == list(top)
