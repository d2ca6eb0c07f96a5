"""The team server: `tracker dashboard` serves this Streamlit app, the dashboard with its session routes.

`streamlit run tracker/app.py` does the same in a checkout.
"""

import streamlit as st

from tracker import logs, web

logs.configure()
app = st.App(web.DASHBOARD, routes=web.routes(), secrets=web.secrets_from_settings())
