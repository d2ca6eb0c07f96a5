"""A State's index over its successive follow-up visits: on State progress, in its report and in a period's summary."""

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_TIMEOUT, assessment_row, followup_row, write_bundle
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress import comparison, trends
from tracker.services.reports import documents as reports

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")
TREND_HEADING = "Index over the State's visits"


def add_second_follow_up(engine, folder):
    """KOR-2026 follows up the 2009 baseline again and judges four of its items."""
    statuses = ["fully_implemented", "fully_implemented", "largely_implemented", "partially_implemented"]
    bundle = write_bundle(
        folder,
        visits=[followup_row("KOR-2026", "KOR-2009", start_date="2026-03-02", end_date="2026-03-05")],
        assessments=[
            assessment_row(f"KOR-2009-F0{n}", status, "KOR-2026", assessed_on="2026-03-05")
            for n, status in enumerate(statuses, start=1)
        ],
    )
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok


def test_two_visits_make_no_trend(demo_engine):
    assert trends.index_per_visit(demo_engine, LOCAL_ADMIN, "KOR", "committee").empty
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    assert TREND_HEADING not in [section.heading for section in document.sections]


def test_three_visits_give_the_index_of_each_follow_up_as_compare_counts_it(demo_engine, tmp_path):
    add_second_follow_up(demo_engine, tmp_path / "third")

    table = trends.trend_table(trends.index_per_visit(demo_engine, LOCAL_ADMIN, "KOR", "committee"))

    assert list(table.columns) == ["Thematic area", "KOR-2023 (2023)", "KOR-2026 (2026)"]
    overall = table.iloc[0]
    assert overall["Thematic area"] == "All areas"
    for visit, column in (("KOR-2023", "KOR-2023 (2023)"), ("KOR-2026", "KOR-2026 (2026)")):
        result = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", visit, "committee")
        assert overall[column] == result["totals"]["implementation_index"]
        by_area = dict(zip(table["Thematic area"], table[column]))
        names = comparison.thematic_area_names(demo_engine)
        for area in result["areas"]:
            if area["implementation_index"] is not None:
                assert by_area[names[area["area"]]] == area["implementation_index"]


def test_the_state_report_and_the_period_summary_show_the_trend(demo_engine, tmp_path):
    add_second_follow_up(demo_engine, tmp_path / "third")

    state = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    period = reports.build_period_report(
        demo_engine, LOCAL_ADMIN, dt.date(2020, 1, 1), dt.date(2026, 12, 31), level="committee"
    )

    headings = [section.heading for section in state.sections]
    assert headings.index(TREND_HEADING) == headings.index("Executive summary") + 1
    trend = state.sections[headings.index(TREND_HEADING)]
    assert trend.tables[0].header == ["Thematic area", "KOR-2023 (2023)", "KOR-2026 (2026)"]
    # KOR-2026 re-assesses F01-F04 and carries every other status from KOR-2023: F02
    # and F03 gain a point, F04 loses one, so 61 + 1 = 62 points over the same 23 items: 67.4.
    assert trend.tables[0].rows[0] == ["All areas", 66.3, 67.4]
    assert len(trend.charts) == 1 and len(trend.charts[0].figure.data) == len(trend.tables[0].rows)
    summary = next(section for section in period.sections if section.heading == "Summary across States")
    successive = next(t for t in summary.tables if t.title == "Implementation index over successive follow-up visits")
    assert successive.rows == [["Republic of Korea", 2, "KOR-2023 (2023): 66.3 → KOR-2026 (2026): 67.4", 1.1]]


@pytest.fixture
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


def test_state_progress_shows_the_trend_table_and_line_chart(demo_engine, tmp_path, fresh_caches):
    add_second_follow_up(demo_engine, tmp_path / "third")

    app = (
        AppTest.from_file(DASHBOARD, default_timeout=APP_TIMEOUT)
        .run()
        .switch_page("tracker/ui/state_progress.py")
        .run()
    )

    assert not app.exception and not app.error
    assert TREND_HEADING in [header.value for header in app.subheader]
    tables = [frame.value for frame in app.dataframe if "Thematic area" in frame.value.columns]
    trend = next(t for t in tables if "KOR-2026 (2026)" in t.columns)
    assert trend.iloc[0].tolist() == ["All areas", 66.3, 67.4]
