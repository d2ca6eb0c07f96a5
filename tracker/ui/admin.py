"""Admin page: a placeholder until user management and the audit log arrive."""

import streamlit as st

st.title("Admin")
st.info(
    "Placeholder: user management and the audit log arrive with the security feature.",
    icon=":material/construction:",
)
