"""A State's implementation index across its successive follow-up visits (§3 at each of them)."""

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.models import Visit
from tracker.services import comparison
from tracker.services.access import Actor, effective_level, visit_visible

# A trend needs a baseline and at least two visits after it.
TREND_VISITS = 3
TREND_COLUMNS = ["followup_visit", "start_date", "label", "area", "area_name", "implementation_index", "scored_items"]


def visit_count(engine: Engine, actor: Actor, iso3: str, level=None) -> int:
    """How many of the State's visits the reader may see at the level."""
    require_schema(engine)
    level = effective_level(actor, level)
    query = (
        select(func.count()).select_from(Visit).where(col(Visit.state) == iso3.strip().upper(), visit_visible(level))
    )
    with reading(engine) as connection:
        return int(connection.execute(query).scalar_one())


def index_per_visit(engine: Engine, actor: Actor, iso3: str, level=None, index: pd.DataFrame | None = None):
    """The index of each visible follow-up of the State, oldest first, per area and overall ("All areas").

    Empty when the State has fewer than three visible visits: two visits make a comparison, not a trend.
    """
    if visit_count(engine, actor, iso3, level) < TREND_VISITS:
        return pd.DataFrame(columns=TREND_COLUMNS)
    index = comparison.cross_state_index(engine, actor, level) if index is None else index
    areas = comparison.thematic_area_names(engine)
    order = {code: position for position, code in enumerate(["ALL", *areas])}
    names = areas | {"ALL": "All areas"}
    rows = index[index["state"] == iso3.strip().upper()]
    rows = rows.assign(
        label=[f"{visit} ({start.year})" for visit, start in zip(rows["followup_visit"], rows["start_date"])],
        area_name=rows["area"].map(names),
        area_order=rows["area"].map(order),
    ).sort_values(["area_order", "start_date", "followup_visit"])
    return rows[TREND_COLUMNS].reset_index(drop=True)


def trend_table(trend: pd.DataFrame) -> pd.DataFrame:
    """One row per area ("All areas" first), one column per follow-up visit, oldest first: fits a page."""
    if trend.empty:
        return pd.DataFrame()
    wide = trend.pivot(index="area_name", columns="label", values="implementation_index")
    visits = trend.drop_duplicates("label").sort_values(["start_date", "followup_visit"])["label"]
    areas = list(dict.fromkeys(trend["area_name"]))
    return (
        wide.loc[areas, list(visits)]
        .reset_index()
        .rename(columns={"area_name": "Thematic area"})
        .rename_axis(columns=None)
    )
