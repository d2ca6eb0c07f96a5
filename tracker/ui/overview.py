"""Overview: every follow-up visit at a glance, with the implementation index per State and area."""

import pandas as pd
import streamlit as st

from tracker.services import charts
from tracker.services.glance import overview_figures
from tracker.ui import common, deadlines

SORTS = {"name": "State name", "region": "Region", "index": "Index, highest first"}
VIEWS = {"all": "Every State", "ends": "Top and bottom 10"}
# Beyond this many rows a chart is cut into several, each with the areas on top, so that the area
# names are never a long scroll away.
ROWS_PER_CHART = 40

st.title("Overview")
who, database = common.actor(), common.url()
deadlines.due_panel(who)

level_filter, region_filter, period_filter = st.columns([1, 2, 2])
with level_filter:
    level = common.viewing_level(who, key="overview:level")
followups = common.followup_visits_or_stop(database, who, "recorded", level.value)

followups = followups.assign(year=[d.year for d in followups["start_date"]])
regions = common.url_multiselect(
    "Region",
    sorted(followups["region"].unique()),
    key="overview:regions",
    param="regions",
    placeholder="All regions",
    container=region_filter,
)
first, last = int(followups["year"].min()), int(followups["year"].max())
if first < last:
    period = period_filter.slider("Follow-up visits that started in", first, last, (first, last), key="overview:period")
else:
    period = (first, last)
    period_filter.caption(f"Every follow-up visit started in {first}.")

chosen = followups[followups["year"].between(*period)]
if regions:
    chosen = chosen[chosen["region"].isin(regions)]
index = common.cross_state_index(database, who, level.value)
index = index[index["followup_visit"].isin(chosen["visit_id"])]
overall = index[index["area"] == "ALL"].set_index("followup_visit")
figures = overview_figures(chosen, index, common.finding_counts(database, who, level.value))

states, visits, recorded, mean_index = st.columns(4)
states.metric("States with a follow-up", figures.states, border=True)
visits.metric("Follow-up visits", figures.followup_visits, border=True)
recorded.metric(
    "Findings", figures.findings, border=True, help="Recorded at these follow-up visits and their baselines."
)
mean_index.metric(
    "Mean index (0–100)",
    common.index_text(figures.mean_index),
    border=True,
    help="The mean of the follow-up visits' overall implementation index; 100 means every baseline item closed.",
)
st.caption(common.level_caption(level))

if chosen.empty:
    st.info("No follow-up visit matches the filters.", icon=":material/filter_alt_off:")
    st.stop()

sort_choice, view_choice = st.columns(2)
sort = common.url_segmented(
    "Sort States by", SORTS, key="overview:sort", param="sort", default="name", container=sort_choice
)
view = common.url_segmented("Show", VIEWS, key="overview:view", param="view", default="all", container=view_choice)

table = chosen.assign(
    dates=[common.date_span(s, e) for s, e in zip(chosen["start_date"], chosen["end_date"])],
    index=chosen["visit_id"].map(overall["implementation_index"]).astype("float64"),
    scored=chosen["visit_id"].map(overall["scored_items"]),
)
# A State with several follow-ups in view is named once per visit.
repeated = table["state"].duplicated(keep=False)
table["row"] = table["state_name"].where(~repeated, table["state_name"] + " · " + table["visit_id"])
by = {"name": ["state_name", "start_date"], "region": ["region", "state_name"], "index": ["index", "state_name"]}[sort]
table = table.sort_values(by, ascending=[sort != "index", True], na_position="last", kind="stable")


def grid(rows: pd.DataFrame, title: str, key: str) -> None:
    """One chart of the index for these follow-ups; a click on a cell opens that State's progress."""
    cells = index.merge(rows[["visit_id", "row"]], left_on="followup_visit", right_on="visit_id")
    cells = cells.set_index("visit_id").loc[rows["visit_id"]].reset_index()
    event = st.plotly_chart(
        charts.index_grid(cells, common.thematic_area_names(database), title),
        key=key,
        on_select="rerun",
        selection_mode="points",
        config={"displayModeBar": False},
    )
    points = event.selection.points if event else []
    if points:
        state, followup = points[0]["customdata"][:2]
        open_once(key, (state, followup))


def open_once(source: str, target: tuple[str, str]) -> None:
    """Open a State's progress for a new click; the browser's back button replays the old one."""
    if st.session_state.get(f"overview:opened:{source}") == target:
        return
    st.session_state[f"overview:opened:{source}"] = target
    common.open_state_progress(*target, level)


SHOWN = "Implementation index (0 = nothing implemented, 100 = all closed)"
if view == "ends":
    ranked = table[table["index"].notna()].sort_values(["index", "state_name"], ascending=[False, True])
    top, bottom = st.columns(2)
    with top:
        grid(ranked.head(10), f"{SHOWN}: the 10 highest", "chart:top")
    with bottom:
        grid(ranked.iloc[::-1].head(10), f"{SHOWN}: the 10 lowest", "chart:bottom")
elif sort == "region" and len(table) > ROWS_PER_CHART:
    for position, (region, rows) in enumerate(table.groupby("region", sort=False)):
        grid(rows, f"{SHOWN}: {region}", f"chart:region:{position}")
else:
    for start in range(0, len(table), ROWS_PER_CHART):
        rows = table.iloc[start : start + ROWS_PER_CHART]
        part = f" ({start + 1}–{start + len(rows)} of {len(table)})" if len(table) > ROWS_PER_CHART else ""
        grid(rows, f"{SHOWN} by State and area{part}", f"chart:part:{start // ROWS_PER_CHART}")
st.caption(
    common.level_caption(level, "Indexes counted")
    + " Each square shows its index: the darker, the higher. A hollow square marked – has no scored "
    "baseline item. Click a square, or a row below, to open that State's progress."
)

st.subheader("Follow-up visits")
picked = common.dataframe(
    table[["state_name", "region", "visit_id", "dates", "baseline_visit_id", "lead", "index", "scored"]],
    hide_index=True,
    column_config={
        "state_name": st.column_config.TextColumn("State", pinned=True),
        "region": "Region",
        "visit_id": "Follow-up visit",
        "dates": "Dates",
        "baseline_visit_id": "Baseline visit",
        "lead": "Lead",
        "index": st.column_config.NumberColumn("Implementation index", format="%.1f"),
        "scored": st.column_config.NumberColumn(
            "Scored items", help="Baseline gaps and recommendations with a scored status"
        ),
    },
    on_select="rerun",
    selection_mode="single-row",
    key="table:followups",
)
if picked and picked.selection.rows:
    row = table.iloc[picked.selection.rows[0]]
    open_once("table", (row["state"], row["visit_id"]))
st.caption("Select a row to open the comparison of that follow-up visit area by area.")
