"""Reports page: a placeholder until the reports feature arrives."""

import streamlit as st

st.title("Reports")
st.info(
    "Placeholder: reports arrive with the reports feature. Until then, the State progress page "
    "shows every number a report to the Committee will hold.",
    icon=":material/construction:",
)
