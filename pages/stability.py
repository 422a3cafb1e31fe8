"""Stability: how the published groups hold month to month, what that costs in fit, and sectors."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_ari_over_time, plot_migrations, plot_sector_crosstab, plot_tradeoff
from cluster_core.data import load_sectors, read_sector_map
from cluster_core.errors import ClusterCoreError
from cluster_core.strategies import compare_with_sectors
from pages._format import show_table
from pages._shared import (
    action_widgets,
    cluster_result,
    download_csv,
    setup_page,
    show_messages,
    stability_result,
    with_settings,
)

WALK_KEYS = ("act.smoothness", "act.months")  # the settings behind the month-by-month table

session = setup_page()

st.title("Cluster stability over time")
config = action_widgets(walk=True)
months = st.number_input("Months shown", 2, 240, key="act.months",
                         help="The last N month ends; the smoothing's history always starts at the first one.")
st.caption("At every month end the sidebar's clustering is fitted on bars up to it (the month's own fit); with "
           f"smoothness {config.smoothness:g} each coin's group also weighs where the past months put it, and a "
           "month whose own fit finds no clear groups keeps last month's. Groups keep their number and name month "
           "to month (Hungarian alignment on shared members). Method: docs/methodology.md, Groups over time; why 0.6: "
           "docs/decisions.md.")
show_messages(session.messages)
result = stability_result(session, config.smoothness, int(months))
table, now = result.table, result.months[-1]
ari = table["ari_vs_previous"].dropna()
cols = st.columns(4)
cols[0].metric("Median ARI vs previous month", f"{ari.median():.2f}" if len(ari) else "–",
               help="Adjusted Rand index between consecutive months' groups (1 = identical, 0 = chance).")
cols[1].metric("Silhouette this month", f"{now.silhouette:.2f}" if now.silhouette == now.silhouette else "–",
               None if now.own_silhouette != now.own_silhouette else
               f"{now.silhouette - now.own_silhouette:+.2f} vs its own fit", delta_color="off")
cols[2].metric("Months with groups carried", f"{int(table['carried'].sum())} of {len(table)}",
               help="Months whose own fit found no clear groups: last month's groups are kept and marked.")
cols[3].metric("Changed group this month", int(table["n_changed"].iloc[-1]))
if now.carried:
    st.info(f"{now.date:%Y-%m}: this month's own fit finds no clear groups; the groups shown are last month's "
            "(new symbols placed in the nearest one). Set smoothness to 0 to see the month on its own.")
st.plotly_chart(plot_ari_over_time(table), width="stretch", key="stability.ari")
with st.expander("Month by month"):
    show_table(table, key="stability.table", hide_index=True)

st.subheader("What stability costs")
left, right = st.columns([3, 2])
left.plotly_chart(plot_tradeoff(result.tradeoff, result.smoothness), width="stretch", key="stability.tradeoff")
right.dataframe(result.tradeoff, hide_index=True, width="stretch", key="stability.tradeoff_table", column_config={
    "current_vs_independent": st.column_config.NumberColumn("vs own fit", format="percent"),
    **{name: st.column_config.NumberColumn(format="%.2f") for name in
       ("smoothness", "median_ari", "median_ari_with_groups", "median_silhouette", "current_silhouette")},
})
right.caption("Each point re-publishes the same monthly fits with another smoothness (the chosen one outlined). "
              "Up = steadier groups; left = groups that fit this month's behaviour less well.")
download_csv(result.tradeoff, "smoothness_tradeoff.csv", "Download trade-off CSV", key="stability.download_tradeoff")

st.subheader(f"Published groups at {now.date:%Y-%m-%d} (smoothed; names kept while still true)")
st.caption("The Cluster map shows one window's own fit with fresh names; own_fit_name is the name that fit gives "
           "these members at this month end, so the two pages can be read side by side.")
show_table(now.groups(), key="stability.groups", hide_index=True)
named = table[(table["new_groups"] != "") | (table["renamed_groups"] != "")]
if len(named):
    with st.expander(f"Name changes ({len(named)} month(s))"):
        show_table(named[["date", "k", "new_groups", "renamed_groups"]], key="stability.names", hide_index=True)
if len(result.months) >= 2:
    before = result.months[-2]
    st.subheader(f"Migrations {before.date:%Y-%m} → {now.date:%Y-%m}")
    st.plotly_chart(plot_migrations(before.labels, now.labels, before.names, now.names), width="stretch",
                    key="stability.sankey")
    st.write("Changed group this month: " + (table["changed"].iloc[-1] or "none"))
download_csv(with_settings(table, WALK_KEYS), "stability.csv", "Download stability CSV", key="stability.download")

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
    show_table(comparison["departures"], key="stability.departures", hide_index=True)
    download_csv(comparison["departures"], "sector_departures.csv", "Download departures CSV",
                 key="stability.download_departures")
