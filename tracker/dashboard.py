"""Streamlit entry point (`tracker dashboard`, or `streamlit run dashboard.py` in a checkout): a router over tracker/ui."""

from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from tracker import logs
from tracker.config import get_settings, serving_address_problem, single_sign_on_problem
from tracker.db import database_name, database_url
from tracker.errors import TrackerError
from tracker.ui import common
from tracker.ui.auth import current_actor, return_to_address, sign_out_button

UI = Path(__file__).resolve().parent / "ui"


def main() -> None:
    st.set_page_config(
        page_title="Follow-up Visit Progress Tracker", page_icon=":material/travel_explore:", layout="wide"
    )
    # The reader's menu however the server was started (even without the checkout's settings): no Deploy
    # button, no developer options.
    st.set_option("client.toolbarMode", "viewer")
    try:
        # Each bad TRACKER_* value is named in one sentence before anything else is drawn.
        get_settings()
    except TrackerError as error:
        common.message(error)
        st.stop()
    # `streamlit run` with another address (or none, which is every address) must not serve local mode.
    problem = serving_address_problem(st.get_option("server.address")) or single_sign_on_problem()
    if problem:
        common.message(problem)
        st.stop()

    with common.error_boundary():
        actor = current_actor()
        pages = {
            "Progress": [
                st.Page(UI / "overview.py", title="Overview", icon=":material/public:"),
                st.Page(UI / "state_progress.py", title="State progress", icon=":material/insights:", default=True),
                st.Page(UI / "matrix.py", title="Tracking matrix", icon=":material/table_view:"),
                st.Page(UI / "across_states.py", title="Matrix across States", icon=":material/grid_on:"),
                st.Page(UI / "ta_pipeline.py", title="TA pipeline", icon=":material/handshake:"),
                st.Page(UI / "dossier.py", title="Dossier", icon=":material/assignment:"),
            ],
            "Records": [
                st.Page(UI / "findings.py", title="Findings", icon=":material/checklist:"),
                st.Page(UI / "continuity.py", title="Continuity", icon=":material/link:"),
                st.Page(UI / "visits.py", title="Visits and meetings", icon=":material/event:"),
                st.Page(UI / "import_export.py", title="Import / Export", icon=":material/swap_vert:"),
            ],
            "Committee": [
                st.Page(UI / "reports.py", title="Reports", icon=":material/description:"),
                st.Page(UI / "changes.py", title="Changes", icon=":material/difference:"),
            ],
        }
        if actor.is_admin:
            pages["Administration"] = [st.Page(UI / "admin.py", title="Admin", icon=":material/admin_panel_settings:")]
        every_page = [p for section in pages.values() for p in section]
        # One list, in the sections' order: Streamlit draws section headings inside the list, which
        # screen readers then cannot read as a list of pages. Expanded: every page listed, none behind "View more".
        page = st.navigation(every_page, expanded=True)
        return_to_address(every_page, page)

        with st.sidebar:
            # By name, in a caption that wraps: never the URL, which may carry a password.
            st.caption(f"Database: {common.plain(database_name(database_url()))}")
            if get_settings().auth:
                st.caption(
                    f"Signed in as **{actor.username}** ({actor.role.value}, cleared for {actor.clearance.value})"
                )
                sign_out_button()
            else:
                st.caption("Local mode: no login, full access.")
            if st.button(
                "Reload data",
                icon=":material/refresh:",
                help="Read the database again, e.g. after a command-line import.",
            ):
                common.clear_caches()

        common.show_flash()
        with logs.action(f"page {page.title}", actor.username, finished=(ScriptControlException,)):
            page.run()


if __name__ == "__main__":
    main()
