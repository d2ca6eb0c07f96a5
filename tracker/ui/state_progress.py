"""State progress: one follow-up visit against its baseline, per thematic area, at a chosen level."""

import pandas as pd
import streamlit as st

from tracker.services.presentation import charts
from tracker.services.presentation.frames import rows_of
from tracker.services.presentation.palette import STATUS_GROUP_COLOURS
from tracker.services.presentation.wording import status_words
from tracker.services.progress import trends
from tracker.services.progress.compared import areas_frame
from tracker.services.progress.comparison import (
    ITEM_ROLES,
    FollowupPriority,
    NewIssue,
    PriorityItem,
    as_frame,
    followup_priorities,
    new_issues,
    priority_items,
)
from tracker.services.records.editing import footprint_by_sector
from tracker.services.reports.register_text import raised_words
from tracker.ui import common, deadlines, tables

st.title("State progress")
who, database = common.actor(), common.url()

with common.choices_in_url():
    pick_state, pick_visit, pick_level = st.columns([2, 2, 1])
    with pick_level:
        level = common.viewing_level(who, key="progress:level")
    followups = common.followup_visits_or_stop(database, who, "to compare", level.value)

    states = {
        code: f"{name} ({code})"
        for code, name in sorted(zip(followups["state"], followups["state_name"]), key=lambda s: s[1])
    }
    iso3 = common.url_selectbox("State", states, key="progress:state", param="state", container=pick_state)
    of_state = followups[followups["state"] == iso3]
    spans = {
        row.visit_id: f"{row.visit_id} ({common.date_span(row.start_date, row.end_date)})" for row in rows_of(of_state)
    }
    followup = common.url_selectbox(
        "Follow-up visit", spans, key="progress:followup", param="followup", container=pick_visit
    )

st.page_link(
    common.PAGES / "dossier.py",
    label="Prepare the next visit: open the State's dossier",
    icon=":material/assignment:",
    query_params={"state": iso3, "level": level.value},
)
result = common.compare(database, who, iso3, followup, level.value)
names = common.thematic_area_names(database)
# Over every item under follow-up when some were first raised after the baseline (docs/committee-figures.md).
headline = result.headline
areas = areas_frame(headline, names, history=result.wider or headline.totals.carried > 0)
totals = headline.totals
items_word = "items under follow-up" if result.wider else "baseline items"
items = common.item_table(database, who, followup, level.value)
# What the State said of its items in writing: shown beside the verified status, counted nowhere.
claims = common.latest_claims(database, who, iso3, level.value)
claimed = dict(zip(claims["finding_id"], claims["self_reported"], strict=True))
visits = common.visits(database, who, iso3, level.value).set_index("visit_id")
resolution_names = common.reference_options(database)["resolutions"]


def visit_card(title: str, visit_id: str) -> None:
    visit = visits.to_dict("index")[visit_id]
    resolutions = [resolution_names.get(int(n), n) for n in visit["resolutions"].split("; ") if n]
    # One block of text per card: every element is drawn by the browser on its own.
    with st.container(border=True):
        st.markdown(
            f"**{title}: {common.plain(visit_id)}**\n\n"
            f"{common.date_span(visit['start_date'], visit['end_date'])} · {common.label(visit['kind'])} · "
            f"{common.label(visit['modality']).lower()}  \n"
            f"**Lead:** {common.plain(visit['lead'] or '—')}  \n"
            f"**Partners:** {common.plain(visit['partners'] or '—')}  \n"
            f"**Resolutions:** {common.plain(', '.join(map(str, resolutions)) or '—')}  \n"
            f"**Recorded:** {visit['findings']} findings, {visit['meetings']} meetings"
        )


if result.scope is not None:
    left_out = ", ".join(names.get(code, code) for code in result.out_of_scope_areas) or "none"
    st.info(
        f"{common.plain(result.followup_visit)} was focused on "
        f"{common.plain(', '.join(names.get(code, code) for code in result.scope))}. Out of scope, and neither "
        f"counted nor listed here: {common.plain(left_out)} ({result.out_of_scope} baseline items).",
        icon=":material/filter_alt:",
    )

if result.wider:
    # The two named figures and the trend get a row of their own, wide enough for their names.
    index, baseline_index, trend_box = st.columns(3)
    index.metric(
        f"Index, all {result.all_items.item_count} items",
        common.index_text(totals.implementation_index),
        border=True,
        help=f"The implementation index over every item under follow-up ({raised_words(result)}): 100 × the mean "
        f"score (out of 4) of the {totals.scored_items} with a scored status, {totals.carried} of them carried "
        "from the earlier visit that last assessed them.",
    )
    baseline_index.metric(
        f"Index, {result.baseline_visit} items",
        common.index_text(result.totals.implementation_index),
        border=True,
        help=f"The index over the baseline visit's items only ({result.totals.scored_items} scored).",
    )
    gaps, recs, new, practices = st.columns(4)
else:
    index, gaps, recs, new, practices = st.columns(5)
    index.metric(
        "Index (0–100)",
        common.index_text(totals.implementation_index),
        border=True,
        help=f"The implementation index: 100 × the mean score (out of 4) of the {totals.scored_items} baseline gaps and "
        "recommendations with a scored status; 100 means all fully implemented.",
    )
gaps.metric(
    "Gaps closed",
    f"{totals.gaps_closed} of {totals.baseline_gaps}",
    border=True,
    help=f"Gaps among the {items_word} closed at the follow-up; {totals.gaps_progressing} progressing, "
    f"{totals.gaps_open} open, {totals.gaps_excluded} not scored.",
)
recs.metric(
    "Recs closed",
    f"{totals.recs_closed} of {totals.baseline_recommendations}",
    border=True,
    help=f"Recommendations among the {items_word} closed at the follow-up; {totals.recs_progressing} "
    f"progressing, {totals.recs_open} open, {totals.recs_excluded} not scored.",
)
new.metric(
    "New gaps",
    totals.new_gaps,
    border=True,
    help=f"Of {totals.followup_gaps} gaps found at the follow-up, those that continue no earlier finding. "
    "They are new requirements or new findings, not regressions.",
)
practices.metric(
    "Good practices",
    totals.good_practices_followup,
    delta=f"{totals.good_practices_followup - totals.good_practices_baseline:+d}"
    if totals.good_practices_followup != totals.good_practices_baseline
    else None,
    # Fewer good practices recorded is no decline in implementation, so it is not drawn in red.
    delta_color="off",
    border=True,
    help=f"At the follow-up; {totals.good_practices_baseline} at the baseline. Good practices noted at a "
    "visit are examples, not a measure of implementation, so fewer is not shown as a decline.",
)
if result.since_previous is not None:
    where = trend_box if result.wider else st
    trend = result.since_previous
    then, now = trend.index_then, trend.index_now
    where.metric(
        f"Like for like since {trend.followup}, over the same {trend.item_count} items",
        f"{common.index_text(then)} → {common.index_text(now)}",
        delta=None if then is None or now is None else f"{now - then:+.1f}",
        border=True,
        help="The index at the previous follow-up visit and at this one over the same items: those followed up "
        "at both, within both visits' scopes, with a scored status at both.",
    )

if areas.empty:
    st.info("Neither visit has findings visible to you yet.", icon=":material/info:")
    st.stop()

st.caption(common.level_caption(level))

ORDERS = {"taxonomy": "Taxonomy order", "most": "Most progress first", "least": "Least progress first"}
order = common.url_segmented(
    "Order the areas", ORDERS, key="progress:order", param="order", default="taxonomy", help="By implementation index."
)
ranked = areas
if order != "taxonomy":
    # Unscored areas (no index) go last either way; among equal indexes, the better-evidenced first.
    ranked = areas.sort_values(
        ["implementation_index", "scored_items"], ascending=[order == "least", False], na_position="last", kind="stable"
    )

scored = areas[areas["implementation_index"].notna()].sort_values(
    ["implementation_index", "scored_items"], ascending=[False, False], kind="stable"
)
most, least = st.columns(2)
for column, title, rows in (
    (most, "Most progress", scored.head(3)),
    (least, "Least progress", scored.iloc[::-1].head(3)),
):
    with column.container(border=True):
        ranking = [
            f"{rank}. {common.plain(row.area_name[0].upper() + row.area_name[1:])}: "
            f"**{common.index_text(row.implementation_index)}** (n {row.scored_items})"
            for rank, row in enumerate(rows_of(rows), start=1)
        ]
        st.markdown("\n".join([f"**{title}**", "", *ranking]))
        if rows.empty:
            st.caption("No area has a scored baseline item.")

AREA_COLUMNS = {
    "area_name": st.column_config.TextColumn("Thematic area", pinned=True, width="medium"),
    "area": st.column_config.TextColumn("Code", width="small"),
    "implementation_index": st.column_config.NumberColumn(
        "Index", format="%.1f", help="Implementation index, 0–100, over the scored baseline items"
    ),
    "scored_items": st.column_config.NumberColumn("n", help="Baseline gaps and recommendations with a scored status"),
    "gaps_closed": st.column_config.NumberColumn("Gaps closed"),
    "gaps_progressing": st.column_config.NumberColumn("Gaps progressing"),
    "gaps_open": st.column_config.NumberColumn("Gaps open"),
    "gaps_excluded": st.column_config.NumberColumn("Gaps excluded", help="Not scored"),
    "baseline_gaps": st.column_config.NumberColumn("Baseline gaps"),
    "recs_closed": st.column_config.NumberColumn("Recs closed"),
    "recs_progressing": st.column_config.NumberColumn("Recs progressing"),
    "recs_open": st.column_config.NumberColumn("Recs open"),
    "recs_excluded": st.column_config.NumberColumn("Recs excluded", help="Not scored"),
    "baseline_recommendations": st.column_config.NumberColumn("Baseline recs"),
    "followup_gaps": st.column_config.NumberColumn("Follow-up gaps"),
    "new_gaps": st.column_config.NumberColumn(
        "New gaps", help="Gaps found at the follow-up that continue no earlier finding"
    ),
    "good_practices_baseline": st.column_config.NumberColumn("Good practices, baseline"),
    "good_practices_followup": st.column_config.NumberColumn("Good practices, follow-up"),
    "ta_needs_baseline": st.column_config.NumberColumn("TA needs, baseline"),
    "ta_needs_followup": st.column_config.NumberColumn("TA needs, follow-up"),
    "carried": st.column_config.NumberColumn(
        "Carried", help="Items whose status is carried from an earlier visit that last assessed them"
    ),
    "followup_recs": st.column_config.NumberColumn(
        "Follow-up recs", help="Recommendations made at the follow-up: to follow at the next visit"
    ),
}
st.subheader("Per thematic area")
common.dataframe(
    ranked,
    hide_index=True,
    column_order=list(AREA_COLUMNS),
    column_config=AREA_COLUMNS,
    key="table:areas",
)
st.caption(
    "The numbers of `tracker compare` at the same level. Click a column's header to sort by it; the area "
    "column stays in view when the table scrolls sideways."
)

baseline_card, followup_card = st.columns(2)
with baseline_card:
    visit_card("Baseline visit", result.baseline_visit)
with followup_card:
    visit_card("Follow-up visit", result.followup_visit)
deadlines.due_panel(who, state=iso3)

# The charts repeat the table above in pictures; drawn when asked, they never hold up the figures.
with_charts = st.toggle(
    "Show the charts",
    key="progress:charts",
    help="Baseline items, the index and the statuses per area, good practices, the index over time and the "
    "meetings, drawn as charts.",
)
if with_charts:
    shown = (
        st.segmented_control(
            "Baseline items",
            ["gaps", "recommendations"],
            default="gaps",
            key="progress:kind",
            format_func=common.named({"gaps": "Gaps (shortfalls)", "recommendations": "Recommendations"}),
        )
        or "gaps"
    )
    items_chart, index_chart = st.columns([5, 3])
    with items_chart:
        common.chart(charts.baseline_items(ranked, shown), key="chart:items")
    with index_chart:
        common.chart(charts.area_index(ranked), key="chart:index")
    st.caption(common.level_caption(level))

    left, right = st.columns(2)
    with left:
        common.chart(charts.status_distribution(headline.status_counts), key="chart:status")
    with right:
        common.chart(charts.good_practices(ranked), key="chart:practices")
    st.caption(common.level_caption(level))

status_columns = {
    "finding_id": st.column_config.TextColumn("Id"),
    "area": st.column_config.TextColumn("Area"),
    "area_name": st.column_config.TextColumn("Thematic area"),
    "title": st.column_config.TextColumn("Finding", width="large"),
    "kind": st.column_config.TextColumn("Kind"),
    "status": st.column_config.TextColumn("Status at the follow-up"),
    "evidence": st.column_config.TextColumn("Evidence", width="large"),
    "severity": st.column_config.TextColumn("Severity"),
}


def status_in_colour(frame: pd.DataFrame):
    """The status group cell in the group's colour, with the group in words beside the status."""

    def paint(cell: object) -> str:
        group = str(cell)
        colour = STATUS_GROUP_COLOURS.get(group.lower().split(" ")[0], "")
        ink = "#ffffff" if group.lower().startswith(("closed", "open")) else "#1a1a1a"
        return f"background-color: {colour}; color: {ink}" if colour else ""

    return frame.style.map(paint, subset=["status_group"])


status_columns["status_group"] = st.column_config.TextColumn("Group", help="Closed, progressing, open or excluded")
status_columns["self_reported"] = st.column_config.TextColumn(
    "Latest State update (self-reported)",
    help="What the State last said of the item in a written update, with its date: never counted in any figure.",
)
status_columns["role"] = st.column_config.TextColumn("At the follow-up")

trend = trends.index_per_visit(
    common.engine(), who, iso3, level.value, index=common.cross_state_index(database, who, level.value)
)
if not trend.empty:
    st.subheader("Index over the State's visits")
    st.caption(
        "The implementation index at each follow-up visit of the State, each over its own items under "
        "follow-up, overall and per thematic area; the like-for-like change is the figure above. "
        + common.level_caption(level)
    )
    common.dataframe(trends.trend_table(trend), hide_index=True, width="stretch")
    if with_charts:
        common.chart(charts.index_per_visit(trend), width="stretch")


def marked(frame: pd.DataFrame) -> pd.DataFrame:
    """The status column in words, a carried status marked with the visit it comes from, and beside it
    the State's latest self-reported status where it gave one."""
    shown = common.in_words(frame)
    shown["status"] = [
        status_words(status, visit, bool(carried))
        for status, visit, carried in zip(frame["status"], frame["status_visit"], frame["carried"])
    ]
    if claimed:
        shown.insert(
            list(shown.columns).index("status_group") + 1,
            "self_reported",
            [claimed.get(finding_id, "") for finding_id in frame["finding_id"]],
        )
    return shown


st.subheader("Priority items")
st.markdown(
    "**Under follow-up**, with their status at the follow-up"
    if result.wider
    else "**Of the baseline**, with their status at the follow-up"
)
priority = as_frame(priority_items(items), PriorityItem)
if priority.empty:
    st.caption("No item under follow-up is marked as a priority.")
else:
    shown_priority = marked(
        priority[
            [
                "finding_id",
                "area_name",
                "kind",
                "title",
                "status",
                "status_group",
                "evidence",
                "status_visit",
                "carried",
            ]
        ]
    ).drop(columns=["status_visit", "carried"])
    # The status and evidence right after the finding, readable at 1280 px; the area and kind follow.
    common.dataframe(
        shown_priority,
        style=status_in_colour,
        hide_index=True,
        column_config=status_columns
        | {
            "finding_id": st.column_config.TextColumn("Id", pinned=True, width=105),
            "title": st.column_config.TextColumn("Finding", width=250),
            "status": st.column_config.TextColumn("Status at the follow-up", width=170),
            "status_group": st.column_config.TextColumn("Group", width=95),
            "evidence": st.column_config.TextColumn("Evidence", width=185),
        },
        column_order=["finding_id", "title", "status", "status_group", "evidence", "area_name", "kind"],
        row_height=tables.wrapped_row_height(shown_priority["title"], 250),
        key="table:priority",
    )
st.markdown("**Of the follow-up**")
followup_priority = as_frame(followup_priorities(items), FollowupPriority)
if followup_priority.empty:
    st.caption("No finding of the follow-up visit is marked as a priority.")
else:
    common.dataframe(
        common.in_words(followup_priority[["finding_id", "area_name", "kind", "severity", "title"]]),
        hide_index=True,
        column_config=status_columns,
        key="table:followup_priority",
    )

tracked = items[items["role"].isin(ITEM_ROLES)]
if result.wider or tracked["carried"].any():
    st.subheader("Every item under follow-up")
    st.caption(f"Items: {raised_words(result)}; a status carried from an earlier visit is marked with that visit.")
    every = tracked[
        ["finding_id", "visit_id", "area_name", "kind", "title", "status", "status_group", "status_visit", "carried"]
    ]
    common.dataframe(
        marked(every).drop(columns=["status_visit", "carried"]),
        style=status_in_colour,
        hide_index=True,
        column_config=status_columns | {"visit_id": st.column_config.TextColumn("Raised at")},
        key="table:register",
    )

self_reported = tracked[tracked["finding_id"].isin(claimed)]
if not self_reported.empty:
    st.subheader("What the State reported in writing")
    st.caption(
        "The latest status the State gave each item in a written update, marked self-reported with its date, "
        "beside the status verified at the follow-up. A self-reported status counts in no figure on this page; "
        "a later visit verifies or corrects it."
    )
    common.dataframe(
        marked(self_reported[["finding_id", "area_name", "title", "status", "status_group", "status_visit", "carried"]])
        .drop(columns=["status_visit", "carried"])
        .rename(columns={"status": "verified"}),
        style=status_in_colour,
        hide_index=True,
        column_config=status_columns | {"verified": st.column_config.TextColumn("Verified status at the follow-up")},
        key="table:self_reported",
    )

st.subheader("New issues since the baseline")
st.caption(
    "Findings of the follow-up visit that continue no baseline finding: mostly requirements that "
    "did not exist at the baseline. They are tracked separately and are not regressions."
)
issues = as_frame(new_issues(items), NewIssue)
if issues.empty:
    st.caption("None recorded.")
else:
    common.dataframe(
        common.in_words(issues[["finding_id", "area_name", "kind", "severity", "title"]]),
        hide_index=True,
        column_config=status_columns,
        key="table:new",
    )

st.subheader("Meetings")
footprint = common.meeting_footprint(database, who, followup, level.value)
if footprint.empty:
    st.caption("No meetings of the follow-up visit are recorded.")
else:
    by_sector = footprint_by_sector(footprint)
    common.dataframe(
        by_sector.assign(sector=by_sector["sector"].map(common.label)),
        hide_index=True,
        column_config={"sector": "Sector", "meetings": st.column_config.NumberColumn("Meetings")},
        key="table:meetings",
    )
    st.caption(
        f"{visits.at[result.followup_visit, 'meetings']} meetings at the follow-up visit; a meeting of several "
        "sectors, such as a roundtable, counts once under each of them."
    )
    if with_charts:
        common.chart(charts.meetings(footprint), key="chart:meetings")
    else:
        st.caption("The meetings of the follow-up visit by sector are drawn with Show the charts, above.")
