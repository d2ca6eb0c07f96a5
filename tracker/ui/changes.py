"""Changes: what moved since a report issued to the Committee, chosen by the report or by a date."""

import datetime as dt

import pandas as pd
import streamlit as st

from tracker.errors import TrackerError
from tracker.models import Confidentiality
from tracker.services.presentation import charts
from tracker.services.presentation.frames import rows_of
from tracker.services.presentation.wording import day as day_words
from tracker.services.progress import comparison
from tracker.services.reports import snapshots
from tracker.ui import common

st.title("Changes")
st.caption(
    "What changed since a report was issued to the Committee: the items whose status moved, the items "
    "added and withdrawn, new follow-up visits and the implementation index then and now per thematic area. "
    "The changes are counted at the level the report was issued at and on its scope; the command line "
    "gives the same: `tracker reports diff`."
)
who, database = common.actor(), common.url()

with common.choices_in_url():
    level = common.viewing_level(who, key="changes:level")
issued = snapshots.listing(common.engine(), who)
issued = issued[issued["level"].map(lambda name: name in level.visible_levels())]
if issued.empty:
    st.info(
        f"No report has been issued to the Committee at or below the {common.label(level.value)} level yet. "
        "Issue one on the Reports page, or with `tracker report ... --issue TITLE`.",
        icon=":material/info:",
    )
    st.stop()

by_report = "An issued report"
chosen_by = st.radio("Changes since", [by_report, "A date"], horizontal=True, key="changes:by")
if chosen_by == by_report:
    names = {
        int(row.id): f"{row.id}: {row.title} ({snapshots.scope_words(row.scope)}, {common.label(row.level)}, "
        f"{row.issued_at[:10]})"
        for row in rows_of(issued)
    }
    snapshot_id = st.selectbox("Issued report", list(names), format_func=common.named(names), key="changes:snapshot")
else:
    scopes = {scope: snapshots.scope_words(scope) for scope in dict.fromkeys(issued["scope"])}
    scope_column, day_column = st.columns([3, 1])
    scope = scope_column.selectbox("Scope", list(scopes), format_func=common.named(scopes), key="changes:scope")
    day = day_column.date_input("Date", value=dt.date.today(), format="YYYY-MM-DD", key="changes:date")
    end_of_day = dt.datetime.combine(day, dt.time.max, dt.UTC)
    on_scope = issued[(issued["scope"] == scope) & (issued["issued_at"] <= end_of_day.strftime("%Y-%m-%dT%H:%M:%SZ"))]
    if on_scope.empty:
        st.info(f"No report on this scope had been issued by {day_words(day)}: choose a later date.")
        st.stop()
    snapshot_id = int(on_scope.iloc[0]["id"])
    st.caption(f"The last report on this scope issued by {day_words(day)}: {common.plain(on_scope.iloc[0]['title'])}.")

with common.error_boundary():
    result = snapshots.diff(common.engine(), who, snapshot_id)
    result = snapshots.described(common.engine(), who, result, Confidentiality(result["level"]))
    area_names = comparison.thematic_area_names(common.engine())
    # Titles as the items read now, at the report's level; a withdrawn item has none to show.
    titles: dict[str, str] = {}
    kind, _, rest = result["scope"].partition(":")
    followups = {change["followup"] for change in result["status_changes"]}
    followups |= {row["visit_id"] for row in result["added"] + result["followups_added"]}
    followups |= {rest.partition(":")[2]} if kind == "state" else set()
    for followup in sorted(followups):
        try:
            table = common.item_table(database, who, followup, result["level"])
        except TrackerError:
            continue  # a baseline visit, not a follow-up: its added items are listed without a title
        titles |= dict(zip(table["finding_id"], table["title"]))

    moved, added, withdrawn, new_visits = st.columns(4)
    moved.metric("Status changes", len(result["status_changes"]), border=True)
    added.metric("Items added", len(result["added"]), border=True)
    withdrawn.metric("Items withdrawn", len(result["withdrawn"]), border=True)
    new_visits.metric("Follow-up visits added", len(result["followups_added"]), border=True)
    st.caption(common.level_caption(Confidentiality(result["level"]), "Compared"))

    if result["status_changes"]:
        common.chart(charts.group_moves(result["status_changes"]), width="stretch")
        changes = pd.DataFrame(result["status_changes"])
        common.dataframe(
            pd.DataFrame(
                {
                    "Id": changes["finding_id"],
                    "Follow-up visit": changes["followup"],
                    "Item": changes["finding_id"].map(titles).fillna(""),
                    "Status then": changes["old_status"].map(common.label),
                    "Status now": changes["new_status"].map(common.label),
                    "Evidence": changes["evidence"],
                    "Assessed on": changes["assessed_on"].map(lambda value: day_words(value) if value else "—"),
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No reported item has changed status since then.")
    if result["added"]:
        st.subheader("Items added")
        added_rows = pd.DataFrame(result["added"])
        common.dataframe(
            pd.DataFrame(
                {
                    "Id": added_rows["finding_id"],
                    "Visit": added_rows["visit_id"],
                    "Kind": added_rows["kind"].map(common.label),
                    "Thematic area": added_rows["area"].map(lambda code: area_names.get(code, code)),
                    "Item": added_rows["finding_id"].map(titles).fillna(""),
                }
            ),
            hide_index=True,
            width="stretch",
        )
    if result["withdrawn"]:
        st.subheader("Items withdrawn")
        st.caption("In the issued report, and no longer counted now.")
        common.dataframe(
            pd.DataFrame(
                {
                    "Id": [w["finding_id"] for w in result["withdrawn"]],
                    "Item": [w["title"] for w in result["withdrawn"]],
                    "Why it is no longer counted": [w["reason"] for w in result["withdrawn"]],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    if result["followups_added"]:
        st.caption(
            "Follow-up visits added: " + ", ".join(common.plain(f["visit_id"]) for f in result["followups_added"])
        )
    st.subheader("Implementation index of the thematic areas that moved")
    moved_areas = snapshots.moved_areas(result["areas"])
    if moved_areas:
        common.dataframe(
            pd.DataFrame(
                {
                    "Thematic area": [area_names.get(a["area"], a["area"]) for a in moved_areas],
                    "At the issued report": [a["index_from"] for a in moved_areas],
                    "Now": [a["index_to"] for a in moved_areas],
                    # A number shown with its sign: as text, "+12.5" would be escaped as a formula.
                    "Change": [a["change"] for a in moved_areas],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                **{
                    name: st.column_config.NumberColumn(name, format="%.1f") for name in ("At the issued report", "Now")
                },
                "Change": st.column_config.NumberColumn("Change", format="%+.1f"),
            },
        )
    else:
        st.caption("No thematic area's implementation index moved.")
