"""Every page test starts with no cached read or engine from another test's database.

On PostgreSQL the tests of one process share a URL, so a read cached by one test would otherwise
be served to the next.
"""

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def fresh_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
