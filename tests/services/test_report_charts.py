"""Charts for paper: readable in black and white, named in full, labelled, and described in words."""

import itertools

from tracker.models import Sector
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.presentation import charts as dashboard_charts
from tracker.services.presentation.palette import (
    GREYSCALE_MARGIN,
    SECTOR_COLOURS,
    STATUS_GROUP_COLOURS,
    lightness,
)
from tracker.services.progress import comparison
from tracker.services.reports import charts


def test_the_four_status_groups_stay_apart_in_greyscale():
    levels = sorted(lightness(colour) for colour in STATUS_GROUP_COLOURS.values())

    assert len(levels) == 4
    assert min(b - a for a, b in itertools.pairwise(levels)) >= GREYSCALE_MARGIN


def test_lightness_matches_known_values():
    assert round(lightness("#000000"), 1) == 0.0
    assert round(lightness("#ffffff"), 1) == 100.0
    assert round(lightness("#777777"), 0) == 50.0


def test_meeting_sectors_have_a_palette_of_their_own():
    assert set(SECTOR_COLOURS) == {sector.value for sector in Sector}
    assert not set(SECTOR_COLOURS.values()) & set(STATUS_GROUP_COLOURS.values())
    assert len(set(SECTOR_COLOURS.values())) == len(SECTOR_COLOURS)


def test_the_area_chart_names_areas_in_full_labels_every_segment_and_titles_its_axes(demo_engine):
    result = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    areas = comparison.areas_frame(result, comparison.thematic_area_names(demo_engine))

    chart = charts.area_progress(areas)

    status_traces = [t for t in chart.figure.data if t.xaxis == "x"]
    assert len(status_traces) == 4
    # Full names, broken between words only: joining the lines with spaces gives the name back.
    names = [label.replace("<br>", " ") for label in status_traces[0].y]
    assert names == areas["area_name"].tolist()
    assert any("<br>" in label for label in status_traces[0].y)
    assert all("…" not in label for label in status_traces[0].y)
    for trace in chart.figure.data:
        assert [text for value, text in zip(trace.x, trace.text) if value] == [str(v) for v in trace.x if v]
    assert chart.figure.layout.xaxis.title.text == "Baseline items (number)"
    assert chart.figure.layout.yaxis.title.text == "Thematic area"
    assert chart.alt_text.startswith("Bar chart of the baseline shortfalls and recommendations")
    assert "Law enforcement: 1 closed, 0 progressing, 0 open, 0 excluded; 0 new shortfalls" in chart.alt_text


def test_the_printed_heatmap_names_areas_and_never_says_hover(demo_engine):
    index = comparison.cross_state_index(demo_engine, LOCAL_ADMIN, "committee")
    names = comparison.thematic_area_names(demo_engine)

    chart = charts.index_heatmap(index, names)
    screen = dashboard_charts.index_heatmap(index, names)

    printed = [label.replace("<br>", " ") for label in chart.figure.data[0].y]
    assert printed[0] == "All areas" and "Border management" in printed
    assert not [t for t in (chart.figure.layout.xaxis.title.text, chart.figure.layout.yaxis.title.text) if "hover" in t]
    assert "hover" in screen.layout.xaxis.title.text
    assert "Republic of Korea 66.3" in chart.alt_text


def test_area_names_come_from_the_database(demo_engine):
    from sqlalchemy import update

    from tracker.models import ThematicArea

    with demo_engine.begin() as connection:
        connection.execute(update(ThematicArea).where(ThematicArea.code == "LE").values(name="Policing"))

    names = comparison.thematic_area_names(demo_engine)
    result = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")

    assert names["LE"] == "Policing"
    assert "Policing" in comparison.areas_frame(result, names)["area_name"].tolist()


def _report_figures(engine) -> list:
    """Every kind of chart a report draws on the demo: the State report's area progress and the period heatmap."""
    import datetime as dt

    from tracker.services.reports.documents import build_period_report, build_state_report

    reports = (
        build_state_report(engine, LOCAL_ADMIN, "KOR"),
        build_period_report(engine, LOCAL_ADMIN, dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    )
    return [chart.figure.to_json() for report in reports for section, _, _ in report.walk() for chart in section.charts]


def test_report_charts_are_the_same_under_the_dashboards_plotly_theme(demo_engine, monkeypatch):
    import plotly.io as pio
    import streamlit  # noqa: F401  (registers Streamlit's theme as Plotly's default, as in the dashboard)

    monkeypatch.setattr(pio.templates, "default", "plotly")
    charts._area_progress_grid.cache_clear()
    from_the_cli = _report_figures(demo_engine)
    monkeypatch.setattr(pio.templates, "default", "streamlit")
    charts._area_progress_grid.cache_clear()

    in_the_dashboard = _report_figures(demo_engine)

    assert len(from_the_cli) == 2
    assert in_the_dashboard == from_the_cli
