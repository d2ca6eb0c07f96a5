"""Status groups' words, order and colours are declared once and every surface shows those."""

from tracker.enums import STATUS_GROUP, Status, StatusGroup
from tracker.services.presentation import charts as dashboard_charts
from tracker.services.presentation.palette import GROUP_LABELS, STATUS_GROUP_COLOURS, STATUS_GROUPS
from tracker.services.reports.builder import AREA_TABLES, GROUPS


def test_the_groups_are_declared_in_the_order_of_the_vocabulary():
    assert [group.name for group in STATUS_GROUPS] == list(StatusGroup)
    assert list(STATUS_GROUP_COLOURS) == list(GROUP_LABELS) == list(GROUPS) == list(StatusGroup)


def test_the_reports_tables_head_their_columns_with_the_declared_words():
    words = [group.words for group in STATUS_GROUPS]
    for _, columns in AREA_TABLES[:2]:
        assert [header for header, _ in columns[1:]] == words


def test_the_dashboards_status_chart_paints_each_status_in_its_groups_colour():
    figure = dashboard_charts.status_distribution({})
    look = {group.name: group for group in STATUS_GROUPS}

    bar = figure.data[0]
    assert list(bar.marker.color) == [look[STATUS_GROUP[status]].colour for status in Status]
    assert list(bar.customdata) == [look[STATUS_GROUP[status]].legend.lower() for status in Status]
