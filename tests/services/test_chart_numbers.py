"""Every dashboard chart's name and numbers in text, read from the figure itself."""

from pathlib import Path

import pandas as pd

from tracker.services.presentation import charts

AREAS = pd.DataFrame(
    {
        "area_name": ["Legislation and criminalisation of terrorist offences", "Terrorist financing"],
        "implementation_index": [63.25, None],
        "scored_items": [4, 0],
    }
)


def test_a_bar_charts_numbers_are_a_row_per_category_in_the_bars_own_words():
    figure = charts.area_index(AREAS)

    assert charts.chart_name(figure) == "Implementation index per thematic area"
    assert charts.numbers(figure).to_dict("records") == [
        {
            "Thematic area": "Legislation and criminalisation of terrorist offences",
            "Index (0–100)": "63.2 (n 4)",
        },
        {"Thematic area": "Terrorist financing", "Index (0–100)": "no scored item"},
    ]


def test_stacked_bars_give_a_column_per_series_and_a_dash_where_a_bar_is_missing():
    moves = [{"old_group": "progressing", "new_group": "closed"}] * 2 + [
        {"old_group": "open", "new_group": "progressing"}
    ]

    table = charts.numbers(charts.group_moves(moves))

    assert list(table.columns) == ["Status group then → now", "Now closed", "Now progressing"]
    assert table.to_dict("records") == [
        {"Status group then → now": "Progressing → Closed", "Now closed": "2", "Now progressing": "–"},
        {"Status group then → now": "Open → Progressing", "Now closed": "–", "Now progressing": "1"},
    ]


def test_the_index_grid_gives_a_row_per_state_and_a_column_per_area_in_the_grids_order():
    index = pd.DataFrame(
        {
            "area": ["ALL", "LEG", "CFT"] * 2,
            "row": ["Korea"] * 3 + ["Chile"] * 3,
            "implementation_index": [50.0, None, 40.0, 60.0, 70.0, None],
            "state": ["KOR"] * 3 + ["CHL"] * 3,
            "followup_visit": ["KOR-2023"] * 3 + ["CHL-2024"] * 3,
            "scored_items": [2, 0, 1, 3, 2, 0],
            "state_name": ["Korea"] * 3 + ["Chile"] * 3,
        }
    )

    figure = charts.index_grid(index, {"LEG": "legislation", "CFT": "terrorist financing"}, "The index: <b>all</b>")

    assert charts.chart_name(figure) == "The index: all"
    assert charts.numbers(figure).to_dict("records") == [
        {"State": "Korea", "All areas": "50", "Legislation": "–", "Terrorist financing": "40"},
        {"State": "Chile", "All areas": "60", "Legislation": "70", "Terrorist financing": "–"},
    ]


def test_every_page_draws_its_charts_through_the_one_helper_that_names_them():
    pages = Path(__file__).resolve().parents[2] / "tracker" / "ui"
    drawing = sorted(page.name for page in pages.glob("*.py") if "st.plotly_chart(" in page.read_text(encoding="utf-8"))

    assert drawing == ["common.py"]
