"""Who is using the dashboard."""

import streamlit as st

from tracker.config import get_settings
from tracker.services.access import LOCAL_ADMIN, Actor


def current_actor() -> Actor:
    """The signed-in user; with TRACKER_AUTH off, the local administrator."""
    if not get_settings().auth:
        return LOCAL_ADMIN
    actor = st.session_state.get("actor")
    if actor is None:
        st.stop()
    return actor
