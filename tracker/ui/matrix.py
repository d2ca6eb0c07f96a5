"""Tracking matrix: a State's baseline items with their status at each later visit, as analysts keep it."""

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from tracker.services import matrix
from tracker.services.palette import STATUS_GROUP_COLOURS
from tracker.ui import common

FINDINGS_PAGE = Path(__file__).resolve().parent / "findings.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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
latest = matrix.status_header(shown.visits[-1]) if shown.visits else None
names = common.thematic_area_names(database)
frame = shown.in_words()
groups = shown.groups()
top_areas = frame["Area"].str.split(".").str[0]

by_area, by_kind, by_group, by_priority = st.columns([3, 2, 3, 1], vertical_alignment="bottom")
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

st.caption(
    f"{len(visible)} of {len(frame)} baseline shortfalls and recommendations of {shown.baseline_visit}, at level "
    f"{common.label(shown.level.value).lower()}. Status colours: closed dark blue, progressing light blue, "
    "open red, excluded grey. Click a row to open the item; click a column header to sort."
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


column_config = {
    "Id": st.column_config.TextColumn("Id", pinned=True),
    "Priority": st.column_config.TextColumn("Priority", width=80),
    "Finding": st.column_config.TextColumn("Finding", width=330),
    "Thematic area": st.column_config.TextColumn("Thematic area", width=170),
    "Kind": st.column_config.TextColumn("Kind", width=135),
}
for visit in shown.visits:
    column_config[matrix.evidence_header(visit)] = st.column_config.TextColumn(
        matrix.evidence_header(visit), width="large"
    )
selection = common.dataframe(
    # Priority in words: a checkbox would look editable.
    visible.assign(Priority=visible["Priority"].map({True: "Priority", False: ""})),
    style=lambda safe: safe.style.apply(colour),
    hide_index=True,
    column_config=column_config,
    # The area code and the report paragraph stay in the workbook; on screen the words and statuses need the room.
    column_order=[c for c in visible.columns if c not in ("Area", "Source")],
    row_height=72,
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
this_state.download_button(
    f"Download the matrix of {iso3} (.xlsx)",
    data=lambda: matrix.matrix_bytes([matrix.state_matrix(engine, who, iso3, followup, level)]),
    file_name=f"tracking-matrix-{iso3}-{followup}-{level.value}-{dt.date.today():%Y-%m-%d}.xlsx",
    mime=XLSX,
    on_click="ignore",
    icon=":material/download:",
    key="matrix:download",
)
every_state.download_button(
    "Download the matrix of every State (.xlsx)",
    data=lambda: matrix.matrix_bytes(matrix.all_matrices(engine, who, level)),
    file_name=f"tracking-matrix-all-{level.value}-{dt.date.today():%Y-%m-%d}.xlsx",
    mime=XLSX,
    on_click="ignore",
    icon=":material/download:",
    key="matrix:download-all",
)
st.caption(
    "Edit the status and evidence cells of the workbook and import it on the Import / Export page: "
    "only those cells are read, and the check lists every problem by sheet and cell before anything is written."
)
