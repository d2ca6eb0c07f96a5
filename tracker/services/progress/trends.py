"""A State's implementation index across its successive follow-up visits (the comparison at each of them)."""

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.models import Confidentiality, Visit
from tracker.services.people.access import Actor, effective_level, visit_visible
from tracker.services.progress import comparison

# A trend needs a baseline and at least two visits after it.
TREND_VISITS = 3
TREND_COLUMNS = ["followup_visit", "start_date", "label", "area", "area_name", "implementation_index", "scored_items"]


def visit_count(engine: Engine, actor: Actor, iso3: str, level: str | Confidentiality | None = None) -> int:
    """How many of the State's visits the reader may see at the level."""
    code = iso3.strip().upper()
    return visit_counts(engine, actor, [code], level).get(code, 0)


def visit_counts(
    engine: Engine, actor: Actor, states: Iterable[str], level: str | Confidentiality | None = None
) -> dict[str, int]:
    """How many visits of each named State the reader may see at the level (States with none left out)."""
    require_schema(engine)
    level = effective_level(actor, level)
    codes = sorted({iso3.strip().upper() for iso3 in states})
    query = (
        select(col(Visit.state), func.count())
        .where(col(Visit.state).in_(codes), visit_visible(level))
        .group_by(col(Visit.state))
    )
    with reading(engine) as connection:
        return {state: int(count) for state, count in connection.execute(query)}


def index_per_visit(
    engine: Engine,
    actor: Actor,
    iso3: str,
    level: str | Confidentiality | None = None,
    index: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The index of each visible follow-up of the State, oldest first, per area and overall ("All areas").

    Empty when the State has fewer than three visible visits: two visits make a comparison, not a trend.
    """
    code = iso3.strip().upper()
    return indexes_per_visit(engine, actor, [code], level, index)[code]


def indexes_per_visit(
    engine: Engine,
    actor: Actor,
    states: Iterable[str],
    level: str | Confidentiality | None = None,
    index: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """`index_per_visit` of each named State, by its code, from one count of visits and one index read."""
    codes = list(dict.fromkeys(iso3.strip().upper() for iso3 in states))
    counts = visit_counts(engine, actor, codes, level)
    trends = {code: pd.DataFrame(columns=TREND_COLUMNS) for code in codes}
    shown = [code for code in codes if counts.get(code, 0) >= TREND_VISITS]
    if not shown:
        return trends
    index = comparison.cross_state_index(engine, actor, level) if index is None else index
    areas = comparison.thematic_area_names(engine)
    order = {code: position for position, code in enumerate(["ALL", *areas])}
    names = areas | {"ALL": "All areas"}
    of_state = index[index["state"].isin(shown)].groupby("state", sort=False)
    for code in shown:
        rows = of_state.get_group(code) if code in of_state.groups else index.iloc[:0]
        rows = rows.assign(
            label=[f"{visit} ({start.year})" for visit, start in zip(rows["followup_visit"], rows["start_date"])],
            area_name=rows["area"].map(names),
            area_order=rows["area"].map(order),
        ).sort_values(["area_order", "start_date", "followup_visit"])
        trends[code] = rows[TREND_COLUMNS].reset_index(drop=True)
    return trends


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
