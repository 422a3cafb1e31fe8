"""Stability: how clusters change month to month, and how they compare with sectors."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_ari_over_time, plot_migrations, plot_sector_crosstab
from cluster_core.data import load_sectors, read_sector_map
from cluster_core.errors import ClusterCoreError
from cluster_core.strategies import BacktestConfig, aligned_names, compare_with_sectors, stability_over_time
from pages._shared import backtest_result, cluster_result, download_csv, setup_page, show_messages

session = setup_page()

st.title("Cluster stability")
st.caption("The sidebar's clustering refitted at every month end on data up to it; labels aligned month to month "
           "by the Hungarian method on shared members.")
show_messages(session.messages)
history = backtest_result(session, BacktestConfig())
table, aligned = stability_over_time(history.labels)
dates = sorted(aligned)
st.plotly_chart(plot_ari_over_time(table), width="stretch", key="stability.ari")
cols = st.columns(3)
cols[0].metric("Median ARI vs previous month", f"{table['ari_vs_previous'].median():.2f}")
cols[1].metric("Months", len(table))
cols[2].metric("Changed group last month", int(table["n_changed"].iloc[-1]))
if len(dates) >= 2:
    before, now = dates[-2], dates[-1]
    st.subheader(f"Migrations {before:%Y-%m} → {now:%Y-%m}")
    st.plotly_chart(plot_migrations(aligned[before], aligned[now], aligned_names(history, aligned, before),
                                    aligned_names(history, aligned, now)), width="stretch", key="stability.sankey")
    st.write("Changed group this month: " + (table["changed"].iloc[-1] or "none"))
download_csv(table, "stability.csv", "Download stability CSV", key="stability.download")

st.subheader("Clusters against sectors")
upload = st.file_uploader(
    "Your own sector map (CSV: symbol, sector)", type=["csv", "txt"], key="stability.sectors_file",
    help="Without a file, the bundled coarse sector labels are used (bundled data only).",
)
sectors = None
if upload is not None:
    try:
        sectors = read_sector_map(upload.getvalue(), upload.name)
    except ClusterCoreError as exc:
        st.error(f"{exc} Using the bundled sectors instead.")
if sectors is None and "bundled" in session.data.source:
    sectors = load_sectors()
if sectors is None:
    st.info("Upload a sector map: the bundled sector labels only cover the bundled data.")
else:
    result = cluster_result(session)
    comparison = compare_with_sectors(result.clustering.labels, result.profile.names, sectors)
    if comparison["crosstab"].empty:
        st.warning("None of the clustered symbols has a sector in the map.")
        st.stop()
    cols = st.columns(2)
    cols[0].metric("Adjusted Rand index", f"{comparison['ari']:.2f}",
                   help="0 = unrelated to sectors, 1 = the same grouping")
    cols[1].metric("Adjusted mutual information", f"{comparison['ami']:.2f}")
    st.plotly_chart(plot_sector_crosstab(comparison["crosstab"]), width="stretch", key="stability.sectors")
    st.markdown("**Behaving unlike their sector** (not in the cluster most of their sector is in):")
    st.dataframe(comparison["departures"], hide_index=True, width="stretch", key="stability.departures")
    download_csv(comparison["departures"], "sector_departures.csv", "Download departures CSV",
                 key="stability.download_departures")
