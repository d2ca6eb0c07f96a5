"""State progress: one follow-up visit against its baseline, per thematic area (DESIGN §3)."""

import streamlit as st

from tracker.services import charts
from tracker.services.comparison import areas_frame
from tracker.ui import common, deadlines

st.title("State progress")
who, database = common.actor(), common.url()

followups = common.followup_visits_or_stop(database, who, "to compare")

states = dict(zip(followups["state"], followups["state_name"]))
pick_state, pick_visit = st.columns(2)
iso3 = pick_state.selectbox(
    "State", list(states), format_func=lambda code: f"{states[code]} ({code})", key="progress:state"
)
of_state = followups[followups["state"] == iso3]
spans = {
    row.visit_id: f"{row.visit_id} ({common.date_span(row.start_date, row.end_date)})" for row in of_state.itertuples()
}
followup = pick_visit.selectbox("Follow-up visit", list(spans), format_func=spans.get, key=f"progress:followup:{iso3}")

result = common.compare(database, who, iso3, followup)
areas = areas_frame(result)
totals = result["totals"]
items = common.item_table(database, who, followup)
visits = common.visits(database, who, iso3).set_index("visit_id")
resolution_names = common.reference_options(database)["resolutions"]


def visit_card(title: str, visit_id: str) -> None:
    visit = visits.loc[visit_id]
    resolutions = [resolution_names.get(int(n), n) for n in visit["resolutions"].split("; ") if n]
    with st.container(border=True):
        st.markdown(f"**{title}: {common.plain(visit_id)}**")
        st.markdown(
            f"{common.date_span(visit['start_date'], visit['end_date'])} · {common.label(visit['kind'])} · "
            f"{common.label(visit['modality']).lower()}  \n"
            f"**Lead:** {common.plain(visit['lead'] or '—')}  \n"
            f"**Partners:** {common.plain(visit['partners'] or '—')}  \n"
            f"**Resolutions:** {common.plain(', '.join(map(str, resolutions)) or '—')}  \n"
            f"**Recorded:** {visit['findings']} findings, {visit['meetings']} meetings"
        )


baseline_card, followup_card = st.columns(2)
with baseline_card:
    visit_card("Baseline visit", result["baseline_visit"])
with followup_card:
    visit_card("Follow-up visit", result["followup_visit"])
deadlines.due_panel(who, state=iso3)

index, gaps, recs, new, practices = st.columns(5)
index.metric(
    "Index (0–100)",
    common.index_text(totals["implementation_index"]),
    border=True,
    help=f"The implementation index: 100 × the mean score (out of 4) of the {totals['scored_items']} baseline gaps and "
    "recommendations with a scored status; 100 means all fully implemented.",
)
gaps.metric(
    "Gaps closed",
    f"{totals['gaps_closed']} of {totals['baseline_gaps']}",
    border=True,
    help=f"Baseline gaps closed at the follow-up; {totals['gaps_progressing']} progressing, {totals['gaps_open']} open, {totals['gaps_excluded']} not scored.",
)
recs.metric(
    "Recs closed",
    f"{totals['recs_closed']} of {totals['baseline_recommendations']}",
    border=True,
    help=f"Baseline recommendations closed at the follow-up; {totals['recs_progressing']} progressing, {totals['recs_open']} open, {totals['recs_excluded']} not scored.",
)
new.metric(
    "New gaps",
    totals["new_gaps"],
    border=True,
    help=f"Of {totals['followup_gaps']} gaps found at the follow-up, those that continue no earlier finding. "
    "They are new requirements or new findings, not regressions.",
)
practices.metric(
    "Good practices",
    totals["good_practices_followup"],
    delta=totals["good_practices_followup"] - totals["good_practices_baseline"],
    border=True,
    help=f"At the follow-up; {totals['good_practices_baseline']} at the baseline.",
)

if areas.empty:
    st.info("Neither visit has findings visible to you yet.", icon=":material/info:")
    st.stop()

shown = (
    st.segmented_control(
        "Baseline items",
        ["gaps", "recommendations"],
        default="gaps",
        key="progress:kind",
        format_func={"gaps": "Gaps (shortfalls)", "recommendations": "Recommendations"}.get,
    )
    or "gaps"
)
st.plotly_chart(charts.baseline_items(areas, shown), key="chart:items")

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.status_distribution(result["status_counts"]), key="chart:status")
with right:
    st.plotly_chart(charts.good_practices(areas), key="chart:practices")

with st.expander("Counts per thematic area (the numbers behind the charts, as `tracker compare` gives them)"):
    st.dataframe(areas, hide_index=True, key="table:areas")

status_columns = {
    "finding_id": st.column_config.TextColumn("Id"),
    "area": st.column_config.TextColumn("Area"),
    "title": st.column_config.TextColumn("Finding", width="large"),
    "kind": st.column_config.TextColumn("Kind"),
    "status": st.column_config.TextColumn("Status at the follow-up"),
    "evidence": st.column_config.TextColumn("Evidence", width="large"),
    "severity": st.column_config.TextColumn("Severity"),
}

st.subheader("Priority recommendations and concerns")
priority = items[(items["role"] == "baseline") & items["priority"]]
if priority.empty:
    st.caption("No baseline item is marked as a priority.")
else:
    st.dataframe(
        common.in_words(priority[["finding_id", "area", "kind", "title", "status", "evidence"]]),
        hide_index=True,
        column_config=status_columns,
        key="table:priority",
    )

st.subheader("New issues since the baseline")
st.caption(
    "Findings of the follow-up visit that continue no baseline finding: mostly requirements that "
    "did not exist at the baseline. They are tracked separately and are not regressions."
)
new_issues = items[(items["role"] == "new") & items["kind"].isin(["shortfall", "recommendation", "concern", "ta_need"])]
if new_issues.empty:
    st.caption("None.")
else:
    st.dataframe(
        common.in_words(new_issues[["finding_id", "area", "kind", "severity", "title"]]),
        hide_index=True,
        column_config=status_columns,
        key="table:new",
    )

st.subheader("Meetings")
footprint = common.meeting_footprint(database, who, followup)
if footprint.empty:
    st.caption("No meetings of the follow-up visit are recorded.")
else:
    st.plotly_chart(charts.meetings(footprint), key="chart:meetings")
