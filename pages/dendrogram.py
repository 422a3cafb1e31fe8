"""Dendrogram: the hierarchical tree with its cut, and the correlation matrix it orders."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from cluster_core.charts import (
    DENDROGRAM_BRANCHES,
    DENDROGRAM_MAX_LEAVES,
    HEATMAP_MAX_SYMBOLS,
    dendrogram_branches,
    heatmap_sample,
    plot_correlation_heatmap,
    plot_dendrogram,
)
from cluster_core.clustering import ClusterConfig, ClusterMethod, fit_clusters
from cluster_core.pipeline import window_returns
from pages._format import show_table
from pages._shared import cluster_result, download_csv, setup_page, show_messages

session = setup_page()
result = cluster_result(session)
fit = result.clustering

st.title("Dendrogram")
show_messages(session.messages)
if fit.linkage_matrix is not None:
    tree, cut = fit.linkage_matrix, fit.config.cut_distance
    st.caption(f"{fit.config.linkage.value} linkage on {fit.config.distance.value} distance, cut into "
               f"{fit.n_clusters} clusters at height {cut:.3g} (dashed line).")
else:
    ward = ClusterConfig(method=ClusterMethod.HIERARCHICAL, n_clusters=2)
    tree = fit_clusters(result.prepared.Z, ward).linkage_matrix
    cut = None
    st.caption(f"Ward tree of the scaled features, coloured by the current {fit.config.method.value} clusters "
               "(choose Hierarchical in the sidebar to cut the tree itself).")
symbols = list(result.prepared.Z.index)
if len(symbols) > DENDROGRAM_MAX_LEAVES:
    st.info(f"{len(symbols):,} symbols: the tree is drawn down to its top {DENDROGRAM_BRANCHES} branches, each "
            "ending in one leaf labelled with its size and main cluster (hover for its first members). "
            "The table below lists every branch's members.")
st.plotly_chart(plot_dendrogram(tree, symbols, fit.labels, result.profile.names, cut, max_leaves=DENDROGRAM_MAX_LEAVES),
                width="stretch", key="dendrogram.tree")
if len(symbols) > DENDROGRAM_MAX_LEAVES:
    branches = dendrogram_branches(tree, symbols, fit.labels, result.profile.names)
    st.subheader("Branches and their members")
    show_table(branches, key="dendrogram.branches", hide_index=True,
                 column_config={"share": st.column_config.NumberColumn("share of main cluster", format="percent")})
    download_csv(branches, "dendrogram_branches.csv", "Download branches CSV", key="dendrogram.download")

st.subheader("Return correlations, grouped by cluster")
shown = heatmap_sample(fit.labels, HEATMAP_MAX_SYMBOLS)
st.caption("Rows and columns ordered by cluster, then by an average-linkage tree inside each cluster; "
           "boxes mark clusters." + (f" A seeded sample of {len(shown)} of the {len(fit.labels):,} symbols, each "
                                     f"cluster in proportion (more than {HEATMAP_MAX_SYMBOLS} would not be readable)."
                                     if len(shown) < len(fit.labels) else ""))
features = result.view.features
corr = window_returns(session.data, replace(features, X=features.X.loc[shown])).corr(min_periods=10)
st.plotly_chart(plot_correlation_heatmap(corr, fit.labels[shown], result.profile.names), width="stretch",
                key="dendrogram.corr")
