"""Reports: the report to the Committee on a State's follow-up or on a period, previewed and downloaded."""

import datetime as dt

import pandas as pd
import streamlit as st

from tracker.models import Confidentiality
from tracker.services.people.access import effective_level
from tracker.services.presentation.frames import rows_of
from tracker.services.reports import documents as reports
from tracker.services.reports import snapshots
from tracker.ui import common

FORMATS = {"docx": "Word (DOCX)", "html": "Web page (HTML)", "md": "Markdown"}

st.title("Reports")
st.caption(
    "Reports to the Counter-Terrorism Committee. A report counts only material at or below the "
    "confidentiality level chosen below (Committee unless you choose another), so its numbers are those "
    "of the State progress page viewed at that same level, not at your clearance. The command line "
    "writes the same files: `tracker report --level`."
)
who, database = common.actor(), common.url()

common.followup_visits_or_stop(database, who, "to report on")

levels = who.clearance.visible_levels()
level_column, format_column = st.columns(2)
level = level_column.selectbox(
    "Confidentiality level",
    levels,
    index=levels.index(effective_level(who, Confidentiality.committee).value),
    format_func=common.label,
    key="reports:level",
    help="The report holds only material at or below this level; you may choose up to your own clearance.",
)
fmt = format_column.radio(
    "Format", list(FORMATS), format_func=common.named(FORMATS), horizontal=True, key="reports:format"
)
if fmt == "docx":
    # The browser that draws the charts starts while the report is being chosen, not once asked for.
    reports.keep_chart_browser()
# Only the follow-ups the chosen level shows: a report at that level can be written on each of them.
followups = common.followup_visits(database, who, level)
if followups.empty:
    st.info(
        f"No follow-up visit with its baseline is visible at level {common.label(level)}; choose a higher level.",
        icon=":material/info:",
    )
    st.stop()

by_state = "A State's follow-up visit"
scope = st.radio(
    "Report on", [by_state, "Every follow-up visit that started in a period"], horizontal=True, key="reports:scope"
)
if scope == by_state:
    names = common.visit_names(followups.sort_values("start_date", ascending=False))
    followup = st.selectbox("Follow-up visit", list(names), format_func=common.named(names), key="reports:followup")
    period = None
else:
    # The year of the latest follow-up visit: the latest period with data, and quick to write.
    this_year = dt.date.today().year
    period = st.date_input(
        "Follow-up visits that started between",
        value=reports.latest_period(followups["start_date"]),
        # Streamlit offers only ten years either side by default; visits go back further.
        min_value=dt.date(1990, 1, 1),
        max_value=dt.date(this_year + 5, 12, 31),
        format="YYYY-MM-DD",
        key="reports:period",
    )
    sort = st.radio(
        "Summary across States in order of",
        list(reports.PERIOD_SORTS),
        format_func=common.named({"state": "State name", "index": "Implementation index, highest first"}),
        horizontal=True,
        key="reports:sort",
    )


# The period's first and last day, once both are chosen.
days: tuple[dt.date, dt.date] | None = (
    (period[0], period[1]) if isinstance(period, tuple) and len(period) == 2 else None
)
incomplete_period = period is not None and days is None
if incomplete_period:
    st.caption("Choose the last day of the period too.")
# What the form above asks for: a report written for another choice is not this form's preview.
form: tuple = ((scope, followup) if period is None else (scope, days, sort)) + (level, fmt)
if st.session_state.get("reports:last", {}).get("form") not in (None, form):
    del st.session_state["reports:last"]
confirmed = True
if days is not None:
    start, end = days
    in_period = followups[(followups["start_date"] >= start) & (followups["start_date"] <= end)]
    estimate = reports.estimate_period_report(in_period["visit_id"].nunique(), fmt)
    if not estimate.visits:
        st.caption(f"No follow-up visit started in {common.date_span(start, end)}: choose another period.")
    elif estimate.large:
        st.warning(
            f"This report covers {estimate.visits_text}: about {estimate.pages} pages, "
            f"written in {estimate.duration}. A shorter period gives a shorter report.",
            icon=":material/warning:",
        )
        confirmed = st.checkbox("Write the full report anyway", key="reports:confirm-large")
    else:
        st.caption(
            f"{estimate.visits_text.capitalize()}: about {estimate.pages} pages, written in {estimate.duration}."
        )

if st.button(
    "Generate report",
    type="primary",
    icon=":material/description:",
    disabled=incomplete_period or not confirmed,
):
    with common.error_boundary():
        bar = st.progress(0.0, text="Reading the comparison…")

        def advance(step: str):
            return lambda done, total, item: bar.progress(done / total, text=f"{step}: {item}")

        if days is None:
            visit = followups.set_index("visit_id").loc[followup]
            document, content = reports.render_built(
                lambda: reports.build_state_report(common.engine(), who, str(visit["state"]), followup, level),
                fmt,
                tabs=1,
                progress=advance("Drawing charts"),
            )
            name = f"report-{followup}-{level}.{fmt}"
        else:
            start, end = days
            document = reports.build_period_report(
                common.engine(), who, start, end, level, progress=advance("Reading"), sort=reports.period_sort(sort)
            )
            name = f"report-{start}-to-{end}-{level}.{fmt}"
            bar.progress(0.0, text="Drawing the charts…" if fmt == "docx" else "Writing…")
            content = reports.render(document, fmt, progress=advance("Drawing charts"))
        preview = content if fmt == "html" else reports.render(document, "html")
        bar.empty()
        # Kept for the reruns that follow (a download, a change of option) until the next report.
        st.session_state["reports:last"] = {
            "name": name,
            "data": content,
            "mime": reports.MEDIA_TYPES[fmt],
            "preview": preview.decode("utf-8"),
            "title": document.title,
            "level": document.level.value,
            "format": fmt,
            "scope": document.scope_key,
            "reported": document.reported,
            "issued": None,
            "form": form,
        }


def issue_to_committee(last: dict) -> None:
    """Keep the report just written, byte for byte, as issued to the Committee."""
    if last["issued"] is not None:
        st.success(
            f"Issued to the Committee as report {last['issued']}: it is in the archive below.",
            icon=":material/verified:",
        )
        return
    if not who.can_write:
        st.caption("Issuing a report to the Committee needs the analyst role.")
        return
    with st.form("reports:issue", border=True):
        title = st.text_input(
            "Title of the issued report",
            value=last["title"],
            help="How the archive and the next report's first section name this report.",
        )
        st.caption(
            "Issuing keeps this file, what it counts and every item's status, so that the next report on the "
            "same scope and level opens with what changed since. An issued report is never changed."
        )
        if st.form_submit_button("Issue to the Committee", type="primary", icon=":material/send:"):
            with common.error_boundary():
                last["issued"] = snapshots.issue(
                    common.engine(),
                    who,
                    title=title,
                    scope=last["scope"],
                    level=Confidentiality(last["level"]),
                    fmt=last["format"],
                    content=last["data"],
                    reported=last["reported"],
                )
                st.rerun()


def archive(who) -> None:
    """The reports issued to the Committee that the reader is cleared for, each downloadable as issued."""
    st.divider()
    st.subheader("Issued reports")
    issued = snapshots.listing(common.engine(), who)
    if issued.empty:
        st.caption("No report has been issued to the Committee yet.")
        return
    shown = pd.DataFrame(
        {
            "Id": issued["id"],
            "Issued (UTC)": issued["issued_at"].str.replace("T", " ").str.rstrip("Z"),
            "Title": issued["title"],
            "Scope": issued["scope"].map(snapshots.scope_words),
            "Level": issued["level"].map(common.label),
            "Format": issued["format"].map(FORMATS.get),
            "Issued by": issued["issued_by"],
            "SHA-256": issued["sha256"],
        }
    )
    common.dataframe(shown, hide_index=True, width="stretch")
    names = {int(row.id): f"{row.id}: {row.title}" for row in rows_of(issued)}
    chosen = st.selectbox(
        "Download an issued report", list(names), format_func=common.named(names), key="reports:archive"
    )
    with common.error_boundary():
        snapshot = snapshots.get(common.engine(), who, chosen)
        st.download_button(
            f"Download {snapshot.file_name} as issued",
            data=snapshot.content,
            file_name=snapshot.file_name,
            mime=reports.MEDIA_TYPES[snapshot.format],
            icon=":material/download:",
            on_click="ignore",
            key="reports:archive-download",
        )
        st.caption(
            f"SHA-256 {snapshot.sha256}; its {snapshot.seal_kind} seal was checked against the copy kept "
            "when it was issued."
        )


last = st.session_state.get("reports:last")
if last:
    st.divider()
    st.subheader(last["title"])
    st.download_button(
        f"Download {last['name']}",
        data=last["data"],
        file_name=last["name"],
        mime=last["mime"],
        icon=":material/download:",
        on_click="ignore",
        key="reports:download",
    )
    st.caption(f"Confidentiality level {last['level']}. The preview below is the HTML version of the report.")
    issue_to_committee(last)
    st.iframe(last["preview"], height=900)

archive(who)
