"""Overview: every follow-up visit at a glance, with the implementation index per state and area."""

import streamlit as st

from tracker.services import charts
from tracker.services.comparison import area_names
from tracker.ui import common, deadlines

st.title("Overview")
who, database = common.actor(), common.url()
deadlines.due_panel(who)

followups = common.followup_visits_or_stop(database, who, "recorded")

followups = followups.assign(year=[d.year for d in followups["start_date"]])
region_filter, period_filter = st.columns(2)
regions = region_filter.multiselect(
    "Region", sorted(followups["region"].unique()), placeholder="All regions", key="overview:regions"
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
index = common.cross_state_index(database, who)
index = index[index["followup_visit"].isin(chosen["visit_id"])]
overall = index[index["area"] == "ALL"].set_index("followup_visit")
counts = common.finding_counts(database, who)
findings = counts[counts["visit_id"].isin(set(chosen["visit_id"]) | set(chosen["baseline_visit_id"]))]["findings"].sum()

states, visits, recorded, mean_index = st.columns(4)
states.metric("States with a follow-up", chosen["state"].nunique(), border=True)
visits.metric("Follow-up visits", len(chosen), border=True)
recorded.metric("Findings", int(findings), border=True, help="Recorded at these follow-up visits and their baselines.")
mean_index.metric(
    "Mean index (0–100)",
    common.index_text(overall["implementation_index"].mean()),
    border=True,
    help="The mean of the follow-up visits' overall implementation index; 100 means every baseline item closed.",
)

if chosen.empty:
    st.info("No follow-up visit matches the filters.", icon=":material/filter_alt_off:")
    st.stop()

st.plotly_chart(charts.index_heatmap(index, area_names()), key="chart:heatmap")

st.subheader("Follow-up visits")
table = chosen.assign(
    dates=[common.date_span(s, e) for s, e in zip(chosen["start_date"], chosen["end_date"])],
    index=chosen["visit_id"].map(overall["implementation_index"]),
    scored=chosen["visit_id"].map(overall["scored_items"]),
)
st.dataframe(
    table[["state_name", "region", "visit_id", "dates", "baseline_visit_id", "lead", "index", "scored"]],
    hide_index=True,
    column_config={
        "state_name": "State",
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
    key="table:followups",
)
st.caption("Open State progress for the comparison of one visit area by area.")
