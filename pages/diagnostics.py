"""Diagnostics: the curves behind automatic k and eps, and each symbol's silhouette."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_k_curve, plot_k_distance, plot_silhouette, plot_spectrum
from cluster_core.clustering import diagnostic_curves
from pages._format import show_table
from pages._shared import MODE_LABELS, cluster_result, network_result, setup_page, show_messages

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
    st.caption("What the elbow and the silhouette would choose. K-Means' automatic k does not read this curve: it "
               "splits only where a view of the data has separate modes (the splits below), and a spread cut into "
               "slices can score well here. Hierarchical clustering's automatic k is the best silhouette of its "
               "tree's cuts on features; on a correlation distance, the same search for modes run on the symbols' "
               "loadings on the independent drivers (the spectrum below).")
with right:
    st.subheader("k-distance")
    eps = fit.config.eps if fit.config.method.value == "dbscan" else None
    st.plotly_chart(plot_k_distance(k_distance, eps, fit.config.min_samples), width="stretch",
                    key="diagnostics.k_distance")
    st.caption("DBSCAN's automatic eps is the value of this curve (5th-95th percentile) with the best silhouette "
               "among those giving 2+ clusters, at most 20 % noise and a silhouette above 0.25; else its knee.")
for note in fit.notes:
    st.info(note)
if fit.structure is not None:
    st.subheader("The search for separate modes")
    st.caption(f"Each split made, with its evidence: the dip test's p-value (a split of 100+ symbols needs < 0.001) "
               f"and how far apart the two sides' medians are, in pooled robust deviations. The strongest evidence "
               f"anywhere in the whole set: p = {fit.structure.root_p:.3g}. Method: docs/automatic-k.md.")
    show_table(fit.structure.splits_table(), key="diagnostics.splits", hide_index=True)

st.subheader("Silhouette per symbol")
st.plotly_chart(plot_silhouette(fit.silhouette_samples, fit.labels, result.profile.names), width="stretch",
                key="diagnostics.silhouette")

spectrum = network_result(session).spectrum
st.subheader("Independent drivers: the correlation spectrum against noise")
st.caption(f"Eigenvalues of the window's return correlation ({MODE_LABELS[session.features.market_mode.value]}; "
           f"{spectrum.n_symbols} symbols, {spectrum.n_bars} bars) against the Marchenko-Pastur density of pure "
           f"noise of that shape. **{spectrum.n_factors}** lie above its edge {spectrum.edge:.2f}: the market and "
           f"sectors that move coins together beyond chance. The Network page draws who moves with whom. "
           f"Method: docs/network.md." + ("" if spectrum.complete else
                                         f" Above 2,000 symbols only the largest {len(spectrum.eigenvalues)} are "
                                         "computed."))
st.plotly_chart(plot_spectrum(spectrum), width="stretch", key="diagnostics.spectrum")
