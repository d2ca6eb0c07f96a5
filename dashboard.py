"""Streamlit entry point: `streamlit run dashboard.py` (or `tracker dashboard`)."""

import streamlit as st

st.set_page_config(page_title="Follow-up Visit Progress Tracker", layout="wide")
st.title("Follow-up Visit Progress Tracker")
st.info("The dashboard pages are being built; use the `tracker` command line meanwhile.")
