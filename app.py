"""Entry point: page config and navigation. Each page builds the shared sidebar itself."""

from __future__ import annotations

import streamlit as st

from cluster_core import offload
from cluster_core.reduction import warm_up_umap

offload.foreground()  # background warm-ups wait while analysts' pages run (and their browsers draw them)

st.set_page_config(page_title="Crypto behaviour clusters", page_icon=":material/hub:", layout="wide")
# serve.py warms everything before serving; under a plain `streamlit run app.py` at least
# umap-learn's compiled code loads in the background (a tiny fit that shares no data).
warm_up_umap()

PAGES = [
    st.Page("pages/cluster_map.py", title="Cluster map", icon=":material/scatter_plot:", default=True),
    st.Page("pages/coin.py", title="Coin", icon=":material/search:", url_path="coin"),
    st.Page("pages/profiles.py", title="Cluster profiles", icon=":material/badge:", url_path="profiles"),
    st.Page("pages/network.py", title="Network", icon=":material/hub:", url_path="network"),
    st.Page("pages/dendrogram.py", title="Dendrogram", icon=":material/account_tree:", url_path="dendrogram"),
    st.Page("pages/diagnostics.py", title="Diagnostics", icon=":material/monitoring:", url_path="diagnostics"),
    st.Page("pages/portfolio.py", title="Portfolio", icon=":material/pie_chart:", url_path="portfolio"),
    st.Page("pages/backtest.py", title="Backtest", icon=":material/trending_up:", url_path="backtest"),
    st.Page("pages/peers.py", title="Peers", icon=":material/group:", url_path="peers"),
    st.Page("pages/stability.py", title="Stability", icon=":material/timeline:", url_path="stability"),
    st.Page("pages/robustness.py", title="Robustness", icon=":material/grid_on:", url_path="robustness"),
    st.Page("pages/features.py", title="Features", icon=":material/tune:", url_path="features"),
    st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
]

st.navigation(PAGES, expanded=True).run()  # every page listed: no "View more" to find Features or Data behind
