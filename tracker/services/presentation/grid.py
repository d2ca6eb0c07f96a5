"""The implementation index per follow-up visit and area as a table.

A page draws it as one table rather than a chart per block of States: a table of 193 rows draws in
the browser in the time of any other table, where a heatmap of as many rows waits for the charting
library. Each cell is the index, drawn by the page with a bar as long as it; an area with no scored
item has an empty cell.
"""

import pandas as pd

ALL_AREAS = "All areas"


def area_columns(index: pd.DataFrame, area_names: dict[str, str]) -> dict[str, str]:
    """{area code: column title} of the areas present, "All areas" first, then in taxonomy order."""
    present = set(index["area"]) - {"ALL"}
    ordered = [a for a in area_names if a in present] + sorted(present - set(area_names))
    return {"ALL": ALL_AREAS} | {a: _title(area_names[a] if a in area_names else str(a)) for a in ordered}


def index_by_area(rows: pd.DataFrame, index: pd.DataFrame, area_names: dict[str, str]) -> pd.DataFrame:
    """One row per follow-up visit of `rows` (in its order, by `visit_id`), one column per area.

    `index` is the cross-State index (one row per follow-up visit and area, "ALL" for every area at
    once); a cell is that area's index, or missing when the area has no scored item there.
    """
    columns = area_columns(index, area_names)
    wide = (
        index[index["followup_visit"].isin(rows["visit_id"]) & index["area"].isin(columns)]
        .pivot_table(index="followup_visit", columns="area", values="implementation_index", aggfunc="first")
        .astype("float64")
    )
    wide = wide.reindex(index=rows["visit_id"].tolist(), columns=list(columns))
    return wide.rename(columns=columns).reset_index(drop=True)


def _title(name: str) -> str:
    return name[0].upper() + name[1:]
