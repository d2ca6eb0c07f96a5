"""Continuity: which earlier finding each follow-up finding restates, with both texts side by side."""

import pandas as pd
import streamlit as st

from tracker.errors import TrackerError
from tracker.services.continuity import suggestions as continuity
from tracker.services.presentation.frames import rows_of
from tracker.services.presentation.wording import label
from tracker.services.records.editing import Saved
from tracker.ui import common, review

st.title("Continuity")
st.caption(
    "A follow-up finding that restates an earlier one is the same gap seen again, not a new issue: its "
    "*continues* link decides whether it counts among the new gaps. Each finding of the follow-up visit "
    "with no link is compared with the State's earlier findings of a compatible kind (a shortfall or a "
    "recommendation with either, a technical-assistance need with another) by the words of its title and "
    "detail, a score from 0 to 1 that counts less in another thematic area; the whole visit is paired at "
    "once, so an earlier finding is suggested first for one finding only. Below each suggestion: the words "
    "both use, and how their areas and kinds relate. Accept or reject after a review of what changes; "
    "a rejected pair is never suggested again, and either can be undone."
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
        help=f"Candidates scoring below this are not suggested; the best of them is shown as 'possible, check'. "
        f"The default, {continuity.DEFAULT_MIN_SCORE}, was chosen by cross-validation on one evaluation set "
        "and checked on another written apart from it.",
    )
read_only = common.read_only_notice(who)


KEY = "review:continuity"
# The page lists findings with no link: a decision is reviewed and saved against that.
SHOWN = {"continues": None}


def propose(action: str, finding_id: str, baseline_id: str) -> None:
    """Run the accept or reject as a dry run and keep it for review: what changes, and the new gaps."""
    engine = common.engine()
    try:
        if action == "accept":
            decision = continuity.accept_link(engine, who, finding_id, baseline_id, dry_run=True, reviewed=SHOWN)
            text = decision.accepted_text()
        else:
            decision = continuity.reject_link(engine, who, finding_id, baseline_id, dry_run=True, reviewed=SHOWN)
            text = decision.rejected_text()
    except TrackerError as error:
        st.session_state["continuity:error"] = error.on_page()
        # Another analyst's decision may have moved the finding: the suggestions are read again.
        common.clear_caches()
        return
    st.session_state[f"{KEY}:review"] = {
        "changes": decision.changes,
        "payload": {"action": action, "pair": (finding_id, baseline_id), "text": text},
        "gaps": decision.gaps.in_words() if decision.gaps else "",
    }
    st.session_state.pop(f"{KEY}:saved", None)


def save(payload: dict) -> Saved:
    finding_id, baseline_id = payload["pair"]
    if payload["action"] == "accept":
        decision = continuity.accept_link(common.engine(), who, finding_id, baseline_id, reviewed=SHOWN)
    else:
        decision = continuity.reject_link(common.engine(), who, finding_id, baseline_id, reviewed=SHOWN)
    st.session_state[f"{KEY}:decision"] = (payload["action"], decision)
    return Saved(changes=decision.changes)


def pending_review() -> None:
    """The pending decision with what the new-gap count becomes, Confirm and Back."""
    pending = review.pending(KEY)
    if pending is not None:
        if pending["gaps"]:
            st.markdown(f"**If confirmed:** {pending['gaps']}")
        review.confirm(KEY, save, pending["payload"]["text"], moved=moved_since)


def moved_since(error, payload) -> None:
    """Another analyst decided meanwhile: nothing was saved; say what moved, over suggestions read again."""
    st.session_state["continuity:error"] = (
        f"{error.message[0].upper()}{error.message[1:]}. The suggestions below are read again."
    )


def saved_notice() -> None:
    """The last decision saved, with what changed and Undo."""
    done = st.session_state.get(f"{KEY}:saved")
    if not done:
        return
    with st.container(border=True, key="review-continuity-saved"):
        common.message(done["message"], "success")
        if not done["changes"]:
            return
        with st.expander(f"What was saved ({len(done['changes'])} change(s))"):
            review.show_changes(done["changes"], key=f"{KEY}:saved:table")
        if st.button("Undo", icon=":material/undo:", key=f"{KEY}:undo", help="Put back what this decision changed."):
            action, decision = st.session_state[f"{KEY}:decision"]
            try:
                continuity.undo_decision(common.engine(), who, action, decision)
            except TrackerError as error:
                common.message(error)
                return
            st.session_state[f"{KEY}:saved"] = {"message": "Undone: the link is as it was before.", "changes": []}
            common.clear_caches()
            st.rerun()


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
                    score = f"score {values['score']:.2f}"
                    shown = f"possible, check ({score})" if values["possible"] else score
                    st.markdown(f"##### {common.plain(values['baseline_id'])} · {shown}")
                    finding_text(values, "baseline_")
                    st.caption(f"Why: {common.plain(values['evidence'])}")
                    if not read_only:
                        accept, reject = st.columns(2)
                        pair = (finding_id, values["baseline_id"])
                        accept.button(
                            "Accept",
                            key=f"continuity:accept:{finding_id}:{values['baseline_id']}",
                            icon=":material/link:",
                            type="primary" if rank_at == 1 and not values["possible"] else "secondary",
                            on_click=propose,
                            args=("accept", *pair),
                            help=f"{finding_id} continues {values['baseline_id']}",
                        )
                        reject.button(
                            "Reject",
                            key=f"continuity:reject:{finding_id}:{values['baseline_id']}",
                            icon=":material/link_off:",
                            on_click=propose,
                            args=("reject", *pair),
                            help=f"{finding_id} does not restate {values['baseline_id']}; never suggest it again",
                        )
                    if rank_at < len(rows):
                        st.divider()
            # The review of a decision on this finding, across the whole width, right below the pair.
            pending = review.pending(KEY)
            if pending is not None and pending["payload"]["pair"][0] == finding_id and not read_only:
                pending_review()


with common.error_boundary():
    error = st.session_state.pop("continuity:error", None)
    if error:
        common.message(error)
    table = common.link_suggestions(database, who, followup, float(min_score))
    unlinked = table["finding_id"].nunique()
    suggested = table[(table["rank"] > 0) | table["possible"]]
    looks_new = table[(table["rank"] == 0) & ~table["possible"]]
    counts = st.columns(4)
    counts[0].metric("Findings with no link", unlinked)
    counts[1].metric("With a suggestion", table.loc[table["rank"] > 0, "finding_id"].nunique())
    counts[2].metric("Possible, check", int(table["possible"].sum()), help="Best candidate below the minimum score.")
    counts[3].metric("Look new", len(looks_new))
    saved_notice()
    pending = review.pending(KEY)
    if read_only:
        st.session_state.pop(f"{KEY}:review", None)
    elif pending is not None and pending["payload"]["pair"][0] not in set(suggested["finding_id"]):
        pending_review()

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
        st.caption(
            f"No earlier finding of the State of a compatible kind scores {min_score:g} or more against these, "
            "nor half as much."
        )
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
