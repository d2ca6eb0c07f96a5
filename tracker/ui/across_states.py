"""The tracking matrix across States: every item of every State at its latest follow-up, filtered as
analysts ask ("every open CFT recommendation in every State"), each row opening its item."""

from pathlib import Path

import pandas as pd
import streamlit as st

from tracker.services.bundle import across_states
from tracker.services.bundle.matrix_model import LATEST_UPDATE_HEADER
from tracker.services.presentation.palette import STATUS_GROUP_COLOURS
from tracker.ui import common, tables

FINDINGS_PAGE = Path(__file__).resolve().parent / "findings.py"
NOT_ASSESSED = "none"

st.title("Matrix across States")
who, database = common.actor(), common.url()

with common.choices_in_url():
    pick_region, pick_state, pick_level = st.columns([2, 3, 1])
    with pick_level:
        level = common.viewing_level(who, key="across:level")
    every = common.items_across_states(database, who, level.value)
    if every.empty:
        st.info(
            "No State has a follow-up visit with items visible at this level. Record a visit with a baseline "
            "visit on the Visits and meetings page, or import a bundle on the Import / Export page.",
            icon=":material/info:",
        )
        st.stop()
    names = dict(zip(every["State"], every["State name"]))
    regions = common.url_multiselect(
        "Region",
        sorted({region for region in every["Region"] if region}),
        key="across:regions",
        param="region",
        container=pick_region,
        placeholder="Every region",
    )
    in_regions = every[every["Region"].isin(regions)] if regions else every
    states = common.url_multiselect(
        "State",
        sorted(dict.fromkeys(in_regions["State"]), key=lambda code: names[code]),
        key="across:states",
        param="states",
        container=pick_state,
        format_func=lambda code: f"{names.get(code, code)} ({code})",
        placeholder="Every State",
    )
    area_names = common.thematic_area_names(database)
    top_areas = every["Area"].str.split(".").str[0]
    by_area, by_kind, by_group, by_priority = st.columns([3, 2, 3, 1.5], vertical_alignment="bottom")
    areas = common.url_multiselect(
        "Thematic area",
        list(dict.fromkeys(top_areas)),
        key="across:areas",
        param="area",
        container=by_area,
        format_func=lambda code: area_names.get(code, code),
        placeholder="All areas",
    )
    kinds = common.url_multiselect(
        "Kind",
        sorted(set(every["kind_code"])),
        key="across:kinds",
        param="kind",
        container=by_kind,
        format_func=common.label,
        placeholder="Both kinds",
    )
    groups = common.url_multiselect(
        "Status group at the latest follow-up",
        [*STATUS_GROUP_COLOURS, NOT_ASSESSED],
        key="across:groups",
        param="group",
        container=by_group,
        format_func=lambda group: "Not assessed there" if group == NOT_ASSESSED else common.label(group),
        placeholder="All groups",
    )
    priority_only = by_priority.checkbox("Priority only", key="across:priority")

keep = pd.Series(True, index=every.index)
if regions:
    keep &= every["Region"].isin(regions)
if states:
    keep &= every["State"].isin(states)
if areas:
    keep &= top_areas.isin(areas)
if kinds:
    keep &= every["kind_code"].isin(kinds)
if groups:
    keep &= every["group_code"].replace("", NOT_ASSESSED).isin(groups)
if priority_only:
    keep &= every["Priority"] == "Yes"
visible = every[keep].reset_index(drop=True)

st.caption(
    f"{len(visible)} of {len(every)} items under follow-up in {visible['State'].nunique()} of "
    f"{every['State'].nunique()} States, each with its status at its State's latest follow-up visit, at level "
    f"{common.label(level.value).lower()}. Status colours: closed dark blue, progressing light blue, open red, "
    "excluded grey. Click a row to open the item with its whole evidence; click a column header to sort."
)


def colour(column: pd.Series) -> list[str]:
    if column.name != "Status":
        return [""] * len(column)
    return [
        f"background-color: {STATUS_GROUP_COLOURS[group]}; color: {'#ffffff' if group == 'closed' else '#000000'}"
        if group
        else ""
        for group in visible["group_code"]
    ]


if visible.empty:
    st.info("No item matches these filters.", icon=":material/filter_alt_off:")
    st.stop()

# At 1280 px the State, Id, Finding, status and evidence fit side by side; the rest follows sideways.
FINDING_WIDTH = 245
selection = common.dataframe(
    visible,
    style=lambda safe: safe.style.apply(colour),
    hide_index=True,
    column_config={
        "State": st.column_config.TextColumn("State", pinned=True, width=62),
        "Id": st.column_config.TextColumn("Id", width=105),
        "Finding": st.column_config.TextColumn("Finding", width=FINDING_WIDTH),
        "Status": st.column_config.TextColumn("Status", width=160),
        "Evidence": st.column_config.TextColumn("Evidence", width=200),
        "State name": st.column_config.TextColumn("State name", width=170),
        "Thematic area": st.column_config.TextColumn("Thematic area", width=170),
        LATEST_UPDATE_HEADER: st.column_config.TextColumn(LATEST_UPDATE_HEADER, width="large"),
    },
    column_order=[
        "State",
        "Id",
        "Finding",
        "Status",
        "Evidence",
        "State name",
        "Region",
        "Follow-up visit",
        "Thematic area",
        "Kind",
        "Priority",
        "Severity",
        "Status group",
        "Assessed on",
        "Raised at",
        LATEST_UPDATE_HEADER,
    ],
    row_height=tables.wrapped_row_height(visible["Finding"], FINDING_WIDTH),
    height=620,
    on_select="rerun",
    selection_mode="single-row",
    key=f"across:table:{level.value}",
)
rows = selection.selection.rows if selection else []
if rows:
    st.switch_page(FINDINGS_PAGE, query_params={"finding": str(visible.loc[rows[0], "Id"])})

common.every_state_matrix_download(who, level, icon=":material/download:", key="across:download")
st.caption(
    f"The workbook opens on the sheet {across_states.COMBINED_SHEET}: these rows for every State, with an "
    "autofilter; then the Summary and one sheet per State, whose status and evidence cells an import reads."
)
