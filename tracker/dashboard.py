"""Streamlit entry point (`tracker dashboard`, or `streamlit run dashboard.py` in a checkout): a router over tracker/ui."""

from pathlib import Path

import streamlit as st
from sqlalchemy.engine import make_url

from tracker.config import get_settings, serving_address_problem
from tracker.db import database_url
from tracker.ui import common
from tracker.ui.auth import current_actor, sign_out_button

UI = Path(__file__).resolve().parent / "ui"


def main() -> None:
    st.set_page_config(
        page_title="Follow-up Visit Progress Tracker", page_icon=":material/travel_explore:", layout="wide"
    )
    # `streamlit run` with another address (or none, which is every address) must not serve local mode.
    problem = serving_address_problem(st.get_option("server.address"))
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
                st.Page(UI / "ta_pipeline.py", title="TA pipeline", icon=":material/handshake:"),
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
        page = st.navigation(pages)

        with st.sidebar:
            st.caption("Database")
            # Plain text: a code block would make the browser load a syntax highlighter before the first page.
            st.text(make_url(database_url()).render_as_string(hide_password=True))
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
        page.run()


if __name__ == "__main__":
    main()
