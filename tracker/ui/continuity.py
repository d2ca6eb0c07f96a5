"""Continuity: which earlier finding each follow-up finding restates, with both texts side by side."""

import pandas as pd
import streamlit as st

from tracker.errors import TrackerError
from tracker.services import continuity
from tracker.services.frames import rows_of
from tracker.services.wording import label
from tracker.ui import common

st.title("Continuity")
st.caption(
    "A follow-up finding that restates an earlier one is the same gap seen again, not a new issue: its "
    "*continues* link decides whether it counts among the new gaps. Each finding of the follow-up visit "
    "with no link is compared with the State's earlier findings by the words of its title and detail "
    "(a score from 0 to 1; candidates in the same thematic area come first). Accept a suggestion to "
    "set the link; reject it and it is never suggested again."
)
who, database = common.actor(), common.url()
followups = common.followup_visits_or_stop(database, who, "to link to its baseline")
names = {
    row.visit_id: f"{row.visit_id} · {row.state_name} (baseline {row.baseline_visit_id})"
    for row in followups.itertuples()
}
choose, threshold = st.columns([3, 1])
with choose:
    followup = common.choice("Follow-up visit", names, None, "continuity:followup")
with threshold:
    min_score = st.number_input(
        "Minimum score",
        min_value=0.0,
        max_value=1.0,
        value=continuity.DEFAULT_MIN_SCORE,
        step=0.02,
        key="continuity:min_score",
        help=f"Candidates scoring below this are not shown. The default, {continuity.DEFAULT_MIN_SCORE}, "
        "keeps every restatement of the evaluation set among the first three suggestions.",
    )
read_only = common.read_only_notice(who)


def decide(action: str, finding_id: str, baseline_id: str) -> None:
    """Accept or reject one pair through the service, then say what was done."""
    try:
        if action == "accept":
            text = continuity.accept_link(common.engine(), who, finding_id, baseline_id).accepted_text()
        else:
            text = continuity.reject_link(common.engine(), who, finding_id, baseline_id).rejected_text()
    except TrackerError as error:
        st.session_state["continuity:error"] = str(error)
        return
    common.clear_caches()
    common.flash(text)


def finding_text(row, prefix: str = "") -> None:
    area, kind = row[f"{prefix}area"], label(row[f"{prefix}kind"])
    st.markdown(f"**{common.plain(row[f'{prefix}title'])}**")
    st.caption(f"{common.plain(area)} · {kind}")
    if row[f"{prefix}detail"]:
        st.markdown(common.plain(row[f"{prefix}detail"]))


def show_suggestions(frame: pd.DataFrame) -> None:
    heads = st.columns(2, gap="large")
    heads[0].caption("**Follow-up finding with no link**")
    heads[1].caption("**Earlier finding it may restate**, best first")
    for finding_id, rows in frame.groupby("finding_id", sort=False):
        first = rows.iloc[0]
        with st.container(border=True):
            later, earlier = st.columns(2, gap="large")
            with later:
                st.markdown(f"##### {common.plain(finding_id)}")
                finding_text(first)
            with earlier:
                for rank_at, row in enumerate(rows_of(rows, index=False), start=1):
                    values = row._asdict()
                    st.markdown(f"##### {common.plain(values['baseline_id'])} · score {values['score']:.2f}")
                    finding_text(values, "baseline_")
                    if not read_only:
                        accept, reject = st.columns(2)
                        pair = (finding_id, values["baseline_id"])
                        accept.button(
                            "Accept",
                            key=f"continuity:accept:{finding_id}:{values['baseline_id']}",
                            icon=":material/link:",
                            type="primary" if rank_at == 1 else "secondary",
                            on_click=decide,
                            args=("accept", *pair),
                            help=f"{finding_id} continues {values['baseline_id']}",
                        )
                        reject.button(
                            "Reject",
                            key=f"continuity:reject:{finding_id}:{values['baseline_id']}",
                            icon=":material/link_off:",
                            on_click=decide,
                            args=("reject", *pair),
                            help=f"{finding_id} does not restate {values['baseline_id']}; never suggest it again",
                        )
                    if rank_at < len(rows):
                        st.divider()


with common.error_boundary():
    error = st.session_state.pop("continuity:error", None)
    if error:
        common.message(error)
    table = common.link_suggestions(database, who, followup, float(min_score))
    unlinked = table["finding_id"].nunique()
    suggested = table[table["rank"] > 0]
    looks_new = table[table["rank"] == 0]
    counts = st.columns(3)
    counts[0].metric("Findings with no link", unlinked)
    counts[1].metric("With a suggestion", suggested["finding_id"].nunique())
    counts[2].metric("Look new", len(looks_new))

    links, new, evidence = st.tabs(["Suggested links", "Look new", "Evidence for unassessed baseline items"])
    with links:
        if suggested.empty:
            st.info(
                "No finding of this visit without a link has an earlier finding scoring "
                f"{min_score:g} or more; lower the minimum score to see weaker candidates.",
                icon=":material/info:",
            )
        else:
            show_suggestions(suggested)
    with new:
        st.caption(f"No earlier finding of the State scores {min_score:g} or more against these.")
        st.dataframe(
            looks_new[["finding_id", "area", "kind", "title"]].assign(kind=looks_new["kind"].map(label)),
            hide_index=True,
            column_config={
                "finding_id": "Id",
                "area": "Area",
                "kind": "Kind",
                "title": st.column_config.TextColumn("Title", width="large"),
            },
        )
    with evidence:
        st.caption(
            "Baseline shortfalls and recommendations with no assessment at this visit yet, beside the "
            "follow-up findings whose words look like evidence of what became of them. Record the "
            "status on the Findings page."
        )
        found = common.evidence_suggestions(database, who, followup, float(min_score))
        st.dataframe(
            found.assign(kind=found["kind"].map(label)),
            hide_index=True,
            column_config={
                "baseline_id": "Baseline item",
                "baseline_area": "Area",
                "baseline_title": st.column_config.TextColumn("Baseline title", width="medium"),
                "rank": None,
                "score": st.column_config.NumberColumn("Score", format="%.2f"),
                "finding_id": "Follow-up finding",
                "kind": "Kind",
                "title": st.column_config.TextColumn("Follow-up title", width="medium"),
            },
        )
