"""Overview: every follow-up visit at a glance, with the implementation index per State and area."""

import pandas as pd
import streamlit as st

from tracker.services.presentation import charts
from tracker.services.presentation import grid as grid_frames
from tracker.services.presentation.palette import INDEX_BAR
from tracker.services.progress.glance import overview_figures
from tracker.ui import common, deadlines
from tracker.ui.debt_table import debt_table

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


def open_once(source: str, target: tuple[str, str]) -> None:
    """Open a State's progress for a new click; the browser's back button replays the old one."""
    if st.session_state.get(f"overview:opened:{source}") == target:
        return
    st.session_state[f"overview:opened:{source}"] = target
    common.open_state_progress(*target, level)


def grid(rows: pd.DataFrame, title: str, key: str) -> None:
    """One chart of the index for these follow-ups; a click on a cell opens that State's progress."""
    cells = index.merge(rows[["visit_id", "row"]], left_on="followup_visit", right_on="visit_id")
    cells = cells.set_index("visit_id").loc[rows["visit_id"]].reset_index()
    event = common.chart(
        charts.index_grid(cells, area_names, title),
        key=key,
        on_select="rerun",
        selection_mode="points",
        config={"displayModeBar": False},
    )
    points = event.selection.points if event else []
    if points:
        state, followup = points[0]["customdata"][:2]
        open_once(key, (state, followup))


VISIT_COLUMNS = {
    "row": st.column_config.TextColumn("State", pinned=True),
    "region": "Region",
    "scored": st.column_config.NumberColumn(
        "Scored items", help="Baseline gaps and recommendations with a scored status"
    ),
    "visit_id": "Follow-up visit",
    "dates": "Dates",
    "baseline_visit_id": "Baseline visit",
    "lead": "Lead",
}


def index_table(rows: pd.DataFrame, title: str, key: str) -> None:
    """The index per area for these follow-ups as a table, each index with its bar; a row opens its State."""
    st.markdown(f"**{title}**")
    by_area = grid_frames.index_by_area(rows, index, area_names)
    areas = list(by_area.columns)
    shown = pd.concat([rows[list(VISIT_COLUMNS)].reset_index(drop=True), by_area], axis=1)
    order = ["row", "region", *areas[:1], "scored", *areas[1:], "visit_id", "dates", "baseline_visit_id", "lead"]
    full = dict(zip(areas, ["Implementation index over every area", *area_full_names[1:]], strict=True))
    # Each index is a number with a bar as long as it (not a colour alone), drawn by the table itself: a
    # pandas Styler painting the ~3,300 cells doubled the time of a sort, on the server and in the browser.
    picked = common.dataframe(
        shown[order],
        hide_index=True,
        column_config=VISIT_COLUMNS
        | {
            area: st.column_config.ProgressColumn(
                area, help=full[area], width="small", format="%.0f", min_value=0, max_value=100, color=INDEX_BAR
            )
            for area in areas
        },
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )
    if picked and picked.selection.rows:
        row = rows.iloc[picked.selection.rows[0]]
        open_once(key, (row["state"], row["visit_id"]))


SHOWN = "Implementation index (0 = nothing implemented, 100 = all closed)"
area_names = common.thematic_area_names(database)
area_full_names = [area_names.get(code, code) for code in grid_frames.area_columns(index, area_names)]


# The order, the view and the charts redraw the index alone: the filters, figures and deadlines above
# stay as they are drawn.
@st.fragment
def index_part() -> None:
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
    by = {"name": ["state_name", "start_date"], "region": ["region", "state_name"], "index": ["index", "state_name"]}[
        sort
    ]
    table = table.sort_values(by, ascending=[sort != "index", True], na_position="last", kind="stable")
    as_charts = st.toggle(
        "Also draw the index as charts",
        key="overview:charts",
        help="Squares in the same colours, in blocks of States; slower to draw at many States.",
    )
    if view == "ends":
        ranked = table[table["index"].notna()].sort_values(["index", "state_name"], ascending=[False, True])
        for rows, title, key in (
            (ranked.head(10), f"{SHOWN}: the 10 highest", "top"),
            (ranked.iloc[::-1].head(10), f"{SHOWN}: the 10 lowest", "bottom"),
        ):
            index_table(rows, title, f"table:{key}")
            if as_charts:
                grid(rows, title, f"chart:{key}")
    else:
        index_table(table, f"{SHOWN} by State and area", "table:index")
        if as_charts and sort == "region" and len(table) > ROWS_PER_CHART:
            for position, (region, rows) in enumerate(table.groupby("region", sort=False)):
                grid(rows, f"{SHOWN}: {region}", f"chart:region:{position}")
        elif as_charts:
            for start in range(0, len(table), ROWS_PER_CHART):
                rows = table.iloc[start : start + ROWS_PER_CHART]
                part = f" ({start + 1}–{start + len(rows)} of {len(table)})" if len(table) > ROWS_PER_CHART else ""
                grid(rows, f"{SHOWN} by State and area{part}", f"chart:part:{start // ROWS_PER_CHART}")
    st.caption(
        common.level_caption(level, "Indexes counted")
        + " Each cell shows its index and a bar as long as it: the longer, the higher. An empty cell has no "
        "scored baseline item. "
        "Select a row to open that State's progress, compared area by area."
    )


index_part()
debt_table(database, who, level, regions)
