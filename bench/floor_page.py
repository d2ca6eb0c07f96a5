"""The floor for a first draw: a chart-free Streamlit page with a title, four figures and one row per follow-up.

Served by `python -m bench.browser_pages` beside the dashboard, over the same database
(TRACKER_DATABASE_URL), so the landing pages are measured against what Streamlit itself costs.
"""

import streamlit as st

from tracker import db
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress.comparison import followup_visits


@st.cache_data
def rows():
    return followup_visits(db.get_engine(db.database_url()), LOCAL_ADMIN, level="committee")


st.title("Chart-free floor")
table = rows()
states, visits, regions, years = st.columns(4)
states.metric("States", table["state"].nunique(), border=True)
visits.metric("Follow-up visits", len(table), border=True)
regions.metric("Regions", table["region"].nunique(), border=True)
years.metric("Years", len({d.year for d in table["start_date"]}), border=True)
st.dataframe(table, hide_index=True)
