"""Entry point: page config and navigation. Each page builds the shared sidebar itself."""

from __future__ import annotations

import streamlit as st

from cluster_core.warmup import warm_up

st.set_page_config(page_title="Crypto behaviour clusters", page_icon=":material/hub:", layout="wide")
warm_up()  # once per process, in a thread; serve.py starts it earlier, when the server starts

PAGES = [
    st.Page("pages/cluster_map.py", title="Cluster map", icon=":material/scatter_plot:", default=True),
    st.Page("pages/profiles.py", title="Cluster profiles", icon=":material/badge:", url_path="profiles"),
    st.Page("pages/dendrogram.py", title="Dendrogram", icon=":material/account_tree:", url_path="dendrogram"),
    st.Page("pages/diagnostics.py", title="Diagnostics", icon=":material/monitoring:", url_path="diagnostics"),
    st.Page("pages/features.py", title="Features", icon=":material/tune:", url_path="features"),
    st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
]

st.navigation(PAGES).run()
