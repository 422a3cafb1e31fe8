"""Entry point: page config and navigation. Each page builds the shared sidebar itself."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Crypto behaviour clusters", page_icon=":material/hub:", layout="wide")

PAGES = [
    st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data", default=True),
    st.Page("pages/features.py", title="Features", icon=":material/tune:", url_path="features"),
]

st.navigation(PAGES).run()
