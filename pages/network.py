"""Network: who moves with whom, as the minimum spanning tree of the window's return correlations."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_network
from cluster_core.network import BACKBONE_ABOVE, tree_summary
from pages._format import show_table
from pages._shared import (
    MODE_LABELS,
    cluster_result,
    download_csv,
    network_layout,
    network_result,
    setup_page,
    show_messages,
    with_settings,
)

DOC = "docs/network.md"

session = setup_page()
result = cluster_result(session)
network = network_result(session)
layout = network_layout(session)
fs = result.view.features
spectrum = network.spectrum

st.title("Network")
show_messages(session.messages)
st.caption(f"Window {fs.window_start:%Y-%m-%d} → {fs.window_end:%Y-%m-%d} ({session.features.lookback_days} days) · "
           f"market mode: {MODE_LABELS[network.market_mode.value]} (sidebar, Analysis) · colours: the clusters of "
           f"the Cluster map · method: {DOC}")
cols = st.columns(4)
cols[0].metric("Symbols", f"{len(network.correlation):,}",
               help="Clustered symbols with returns of their own after the market mode." +
               (f" Left out: {', '.join(network.dropped)} (nothing left after the market mode)."
                if network.dropped else ""))
cols[1].metric("Tree links", f"{len(network.edges):,}",
               help="The minimum spanning tree keeps n - 1 of the n (n - 1) / 2 pairs: the strongest links that "
                    "connect every symbol without a cycle (Mantegna distance sqrt(2 (1 - correlation))).")
cols[2].metric("Independent drivers", spectrum.n_factors,
               help=f"Eigenvalues of this correlation matrix above the Marchenko-Pastur noise edge "
                    f"{spectrum.edge:.2f} for {spectrum.n_symbols} series of {spectrum.n_bars} bars: the market and "
                    f"sectors that move symbols together beyond chance. The spectrum is on Diagnostics.")
top = network.edges.iloc[0]
cols[3].metric("Strongest link", f"{top['source']}–{top['target']}", f"correlation {top['correlation']:.2f}",
               delta_color="off")
if network.market_mode.value == "raw":
    st.info("Raw returns: the market moves almost every coin together, so the tree is a star around the market's "
            "leaders. Choose the BTC-residual or PC1-residual market mode in the sidebar to see the co-movement "
            "that is left once the market is removed (sectors, pairs).")
if len(network.correlation) > BACKBONE_ABOVE:
    st.info(f"{len(network.correlation):,} symbols: only the backbone is drawn (the tree without its leaves); a hub's "
            f"hover says how many leaves hang on it. The CSV has every link.")
looked_up = st.session_state.get("coin.symbol") or None
st.plotly_chart(plot_network(network, layout, result.clustering.labels, result.profile.names,
                             fs.X["avg_daily_volume_usd"], result.tiers, looked_up),
                width="stretch", key="network.tree")
st.caption("Node size: average daily USD volume (log). Link width: correlation. Hover a node for the three symbols it "
           "moves with most (any pair, not only its links). A stable, seeded layout: the same window draws the "
           "same picture.")

edges, hubs = tree_summary(network, result.clustering.labels, result.profile.names)
left, right = st.columns([3, 2])
with left:
    st.subheader("Links of the tree")
    show_table(edges, key="network.edges", hide_index=True, link="source")
    download_csv(with_settings(edges), "network.csv", "Download links CSV", key="network.download",
                 summary=f"{len(edges)} links")
with right:
    st.subheader("Hubs")
    st.caption("Symbols with the most links: the ones the rest of the tree hangs on.")
    show_table(hubs, key="network.hubs", hide_index=True, link="symbol")
