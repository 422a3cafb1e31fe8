"""Dendrogram: the hierarchical tree with its cut, and the correlation matrix it orders."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_correlation_heatmap, plot_dendrogram
from cluster_core.clustering import ClusterConfig, ClusterMethod, fit_clusters
from cluster_core.pipeline import window_returns
from pages._shared import cluster_result, setup_page, show_messages

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
st.plotly_chart(plot_dendrogram(tree, list(result.prepared.Z.index), fit.labels, result.profile.names, cut),
                width="stretch", key="dendrogram.tree")

st.subheader("Return correlations, grouped by cluster")
st.caption("Rows and columns ordered by cluster, then by an average-linkage tree inside each cluster; "
           "boxes mark clusters.")
corr = window_returns(session.data, result.view.features).corr(min_periods=10)
st.plotly_chart(plot_correlation_heatmap(corr, fit.labels, result.profile.names), width="stretch",
                key="dendrogram.corr")
