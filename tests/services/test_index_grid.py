"""The Overview's index per follow-up visit and area: the table's numbers, and the charts' colour scale."""

import pandas as pd

from tracker.services.presentation.grid import index_by_area
from tracker.services.presentation.palette import INDEX_SCALE, index_colour, index_ink


def cross_state_index(*rows: tuple[str, str, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"followup_visit": visit, "area": area, "implementation_index": index} for visit, area, index in rows]
    )


def test_the_index_colour_is_the_scale_at_its_stops_and_between_them():
    assert [index_colour(100 * stop) for stop, _ in INDEX_SCALE] == [colour for _, colour in INDEX_SCALE]
    # Half-way between #ffffd9 and #c7e9b4.
    assert index_colour(12.5) == "#e3f4c6"
    assert (index_ink(54.9), index_ink(55)) == ("#1a1a1a", "#ffffff")


def test_the_table_has_a_row_per_follow_up_in_order_and_a_column_per_area_all_areas_first():
    rows = pd.DataFrame({"visit_id": ["B-2022", "A-2022"]})
    index = cross_state_index(
        ("A-2022", "ALL", 50.0),
        ("A-2022", "CFT", None),
        ("A-2022", "LEG", 50.0),
        ("B-2022", "ALL", 75.0),
        ("B-2022", "LEG", 75.0),
        ("C-2022", "ALL", 10.0),
    )

    table = index_by_area(rows, index, {"LEG": "legislation", "CFT": "countering financing"})

    assert list(table.columns) == ["All areas", "Legislation", "Countering financing"]
    assert table.astype(object).where(table.notna(), None).values.tolist() == [
        [75.0, 75.0, None],
        [50.0, 50.0, None],
    ]
