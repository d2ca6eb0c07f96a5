"""The assessment debt of every State (docs/dossier.md), drawn on the Overview: a table sortable by the
resolutions owed and by the years since an area was last covered; a row opens the State's dossier."""

import pandas as pd
import streamlit as st

from tracker.models import Confidentiality
from tracker.services.dossier.debt import debt_by_state
from tracker.services.people.access import Actor
from tracker.ui import common

SORTS = {"owed": "Resolutions owed", "years": "Years since an area was covered"}
COLUMNS = {
    "state_name": st.column_config.TextColumn("State", pinned=True),
    "region": "Region",
    "owed": st.column_config.NumberColumn(
        "Resolutions owed", help="Adopted after the State's last visit that covered an area they concern, per area"
    ),
    "areas_in_debt": st.column_config.NumberColumn("Areas in debt"),
    "never_covered": st.column_config.NumberColumn("Areas never covered"),
    "years_since_covered": st.column_config.NumberColumn(
        "Years since an area was covered",
        help="The most years since a visit of the State last covered one of the areas it covered",
        format="%.1f",
    ),
    "last_visit": "Last visit",
    "last_visit_on": st.column_config.DateColumn("On"),
}


@common._cached
def _debt(database: str, who: Actor, level: str) -> pd.DataFrame:
    return debt_by_state(common._engine_for(database), common.as_reader(who), level)


def debt_table(database: str, who: Actor, level: Confidentiality, regions: list[str]) -> None:
    """The debt of every State with a visit that assesses, of the regions chosen (all when none is)."""
    st.subheader("Assessment debt", anchor=False)
    table = _debt(database, who, level.value)
    if table.empty:
        st.caption("No visit that assesses is recorded at this level.")
        return
    if regions:
        table = table[table["region"].isin(regions)]
    if table.empty:
        st.caption("No State of the regions chosen had a visit that assesses.")
        return
    sort = common.url_segmented("Sort the debt by", SORTS, key="overview:debt:sort", param="debt", default="owed")
    by = ["owed", "years_since_covered"] if sort == "owed" else ["years_since_covered", "owed"]
    table = table.sort_values([*by, "state_name"], ascending=[False, False, True], na_position="last", kind="stable")
    picked = common.dataframe(
        table[list(COLUMNS)].reset_index(drop=True),
        hide_index=True,
        column_config=COLUMNS,
        on_select="rerun",
        selection_mode="single-row",
        key="overview:debt",
    )
    st.caption(
        common.level_caption(level, "Debt counted")
        + " Select a row to open that State's dossier, which lists each area's resolutions."
    )
    if picked and picked.selection.rows:
        state = table.iloc[picked.selection.rows[0]]["state"]
        if st.session_state.get("overview:debt:opened") != state:
            st.session_state["overview:debt:opened"] = state
            st.switch_page(common.PAGES / "dossier.py", query_params={"state": state, "level": level.value})
