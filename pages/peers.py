"""Peers: symbols surging inside their cluster, and the peers that lag them."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_laggards
from cluster_core.strategies import peer_laggards
from pages._shared import action_widgets, cluster_result, download_csv, setup_page, show_messages

session = setup_page()
result = cluster_result(session)

st.title("Peer laggards")
action_widgets(peers=True)
threshold = float(st.session_state["act.peer_z"])
st.caption(f"A leader's 30-day momentum is more than {threshold:g} standard deviations above its cluster's mean; "
           "its lagging peers are the members below the cluster median. Same behaviour, different recent move.")
show_messages(session.messages)
table = peer_laggards(result.view.features.X, result.clustering.labels, result.profile.names, threshold)
if table.empty:
    st.info("No symbol surges that far above its peers in this window. Lower the z-score threshold.")
else:
    st.plotly_chart(plot_laggards(table), width="stretch", key="peers.chart")
    st.dataframe(table, hide_index=True, width="stretch", key="peers.table", column_config={
        name: st.column_config.NumberColumn(name, format="percent")
        for name in ("leader_momentum", "peer_momentum", "gap")
    })
    download_csv(table, "peer_laggards.csv", "Download laggards CSV", key="peers.download")
