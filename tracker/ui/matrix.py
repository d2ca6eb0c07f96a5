"""Tracking matrix: a State's baseline items with their status at each later visit, as analysts keep it."""

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from tracker.services.bundle import matrix, matrix_model
from tracker.services.presentation.palette import STATUS_GROUP_COLOURS
from tracker.ui import common, tables

FINDINGS_PAGE = Path(__file__).resolve().parent / "findings.py"

st.title("Tracking matrix")
who, database = common.actor(), common.url()

followups = common.followup_visits_or_stop(database, who, "to track")
states = dict(zip(followups["state"], followups["state_name"]))
pick_state, pick_visit, pick_level = st.columns(3)
iso3 = pick_state.selectbox(
    "State", list(states), format_func=lambda code: f"{states[code]} ({code})", key="matrix:state"
)
of_state = followups[followups["state"] == iso3]
spans = {
    row.visit_id: f"{row.visit_id} ({common.date_span(row.start_date, row.end_date)})" for row in of_state.itertuples()
}
followup = pick_visit.selectbox(
    "Follow-up visit", list(spans), format_func=common.named(spans), key=f"matrix:followup:{iso3}"
)
with pick_level:
    level = common.viewing_level(who, key="matrix:level")
if followup is None:
    st.stop()

shown = common.state_matrix(database, who, iso3, followup, level.value)
latest = matrix_model.status_header(shown.visits[-1]) if shown.visits else None
names = common.thematic_area_names(database)
frame = shown.in_words()
groups = shown.groups()
top_areas = frame["Area"].str.split(".").str[0]

by_area, by_kind, by_group, by_priority = st.columns([3, 2, 3, 1.5], vertical_alignment="bottom")
areas = by_area.multiselect(
    "Thematic area",
    list(dict.fromkeys(top_areas)),
    format_func=lambda code: names.get(code, code),
    placeholder="All areas",
    key="matrix:areas",
)
kinds = by_kind.multiselect("Kind", sorted(frame["Kind"].unique()), placeholder="Both kinds", key="matrix:kinds")
status_groups = by_group.multiselect(
    f"Status group at {shown.visits[-1]}" if shown.visits else "Status group",
    list(STATUS_GROUP_COLOURS),
    format_func=common.label,
    placeholder="All groups",
    key="matrix:groups",
    disabled=latest is None,
)
priority_only = by_priority.checkbox("Priority only", key="matrix:priority")

keep = pd.Series(True, index=frame.index)
if areas:
    keep &= top_areas.isin(areas)
if kinds:
    keep &= frame["Kind"].isin(kinds)
if status_groups and latest is not None:
    keep &= groups[latest].isin(status_groups)
if priority_only:
    keep &= frame["Priority"]
visible = frame[keep].reset_index(drop=True)
visible_groups = groups[keep].reset_index(drop=True)

what = (
    f"items under follow-up (of {shown.baseline_visit} and the visits since, each named under Raised at)"
    if shown.raised_elsewhere
    else f"baseline shortfalls and recommendations of {shown.baseline_visit}"
)
st.caption(
    f"{len(visible)} of {len(frame)} {what}, at level "
    f"{common.label(shown.level.value).lower()}. Status colours: closed dark blue, progressing light blue, "
    "open red, excluded grey. The latest visit comes first. Click a row to open the item with its whole evidence; "
    "click a column header to sort."
)


def colour(column: pd.Series) -> list[str]:
    if column.name not in visible_groups.columns:
        return [""] * len(column)
    result = []
    for group in visible_groups[column.name]:
        if not group:
            result.append("")
        else:
            text = "#ffffff" if group == "closed" else "#000000"
            result.append(f"background-color: {STATUS_GROUP_COLOURS[group]}; color: {text}")
    return result


# At 1280 px the Id, the Finding and the latest visit's status and evidence fit side by side; the
# earlier visits (newest first) and the item's other columns follow when the table scrolls sideways,
# with the Id kept in view (a pinned column is drawn faded, too pale for the finding's words).
FINDING_WIDTH, STATUS_WIDTH, EVIDENCE_WIDTH = 270, 165, 240
column_config = {
    "Id": st.column_config.TextColumn("Id", pinned=True, width=105),
    "Finding": st.column_config.TextColumn("Finding", width=FINDING_WIDTH),
    "Priority": st.column_config.TextColumn("Priority", width=80),
    "Thematic area": st.column_config.TextColumn("Thematic area", width=170),
    "Kind": st.column_config.TextColumn("Kind", width=135),
}
newest_first = list(reversed(shown.visits))
for visit in newest_first:
    column_config[matrix_model.status_header(visit)] = st.column_config.TextColumn(
        matrix_model.status_header(visit), width=STATUS_WIDTH
    )
    column_config[matrix_model.evidence_header(visit)] = st.column_config.TextColumn(
        matrix_model.evidence_header(visit), width=EVIDENCE_WIDTH
    )
pairs = [
    header
    for visit in newest_first
    for header in (matrix_model.status_header(visit), matrix_model.evidence_header(visit))
]
# The area code and the report paragraph stay in the workbook; on screen the words and statuses need the room.
rest = [c for c in visible.columns if c not in ("Id", "Finding", "Area", "Source", *pairs)]
selection = common.dataframe(
    # Priority in words: a checkbox would look editable.
    visible.assign(Priority=visible["Priority"].map({True: "Priority", False: ""})),
    style=lambda safe: safe.style.apply(colour),
    hide_index=True,
    column_config=column_config,
    column_order=["Id", "Finding", *pairs, *rest],
    # Each finding whole: the rows are as tall as the longest one needs.
    row_height=tables.wrapped_row_height(visible["Finding"], FINDING_WIDTH),
    height=620,
    on_select="rerun",
    selection_mode="single-row",
    key=f"matrix:table:{iso3}:{followup}:{level.value}",
)
rows = selection.selection.rows if selection else []
if rows:
    st.switch_page(FINDINGS_PAGE, query_params={"finding": str(visible.loc[rows[0], "Id"])})

engine = common.engine()
this_state, every_state = st.columns(2)
common.download_at_click(
    f"Download the matrix of {iso3} (.xlsx)",
    lambda user: matrix.matrix_bytes([matrix.state_matrix(engine, user, iso3, followup, level)]),
    who=who,
    level=level,
    container=this_state,
    file_name=f"tracking-matrix-{iso3}-{followup}-{level.value}-{dt.date.today():%Y-%m-%d}.xlsx",
    mime=common.XLSX,
    icon=":material/download:",
    key="matrix:download",
)
common.every_state_matrix_download(
    who, level, container=every_state, icon=":material/download:", key="matrix:download-all"
)
st.caption(
    "Edit the status and evidence cells of the workbook and import it on the Import / Export page: "
    "only those cells are read, and the check lists every problem by sheet and cell before anything is written."
)
