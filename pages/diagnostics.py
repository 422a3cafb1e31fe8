"""Diagnostics: the curves behind automatic k and eps, and each symbol's silhouette."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_k_curve, plot_k_distance, plot_silhouette
from cluster_core.clustering import diagnostic_curves
from pages._shared import cluster_result, setup_page, show_messages

session = setup_page()
result = cluster_result(session)
fit = result.clustering

st.title("Diagnostics")
show_messages(session.messages)
k_curve, k_distance = diagnostic_curves(result.prepared.Z, fit.config.min_samples, fit.config.random_state)
if fit.k_curve is not None:
    k_curve = fit.k_curve

left, right = st.columns(2)
with left:
    st.subheader("Elbow and silhouette")
    st.plotly_chart(plot_k_curve(k_curve, fit.config.n_clusters if fit.config.method.value != "dbscan" else None),
                    width="stretch", key="diagnostics.k_curve")
    st.caption("Automatic k: the best silhouette, kept only if it beats one Gaussian population of the data's "
               "shape (else: no clear groups); K-Means then splits clusters whose inner groups pass the same test "
               "and survive resampling, so the chosen k can exceed the curve's best.")
with right:
    st.subheader("k-distance")
    eps = fit.config.eps if fit.config.method.value == "dbscan" else None
    st.plotly_chart(plot_k_distance(k_distance, eps, fit.config.min_samples), width="stretch",
                    key="diagnostics.k_distance")
    st.caption("DBSCAN's automatic eps is the value of this curve (5th-95th percentile) with the best silhouette "
               "among those giving 2+ clusters and at most 20 % noise; else its knee.")
for note in fit.notes:
    st.info(note)

st.subheader("Silhouette per symbol")
st.plotly_chart(plot_silhouette(fit.silhouette_samples, fit.labels, result.profile.names), width="stretch",
                key="diagnostics.silhouette")
