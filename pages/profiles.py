"""Cluster profiles: statistics with names and reasons, z-score heatmap, core and boundary members."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_profile_heatmap
from cluster_core.interpretation import CONFIDENCE_MEANS, STABILITY_MEANS, TENTATIVE_MEANS
from pages._format import show_table
from pages._shared import cluster_result, download_csv, setup_page, show_messages

session = setup_page()
result = cluster_result(session)
profile = result.profile

st.title("Cluster profiles")
st.caption("What each group is: its name, why (what sets it apart from the other clusters, and for how many "
           f"members the name holds when not all), its behaviour, the window's performance on top. Stability: "
           f"{STABILITY_MEANS}; {TENTATIVE_MEANS}. Confidence: {CONFIDENCE_MEANS}. The same window and clusters as "
           "the Cluster map. How names are given: docs/methodology.md, Names.")
show_messages(session.messages)

table = profile.table
shown = table.drop(columns=["members"])
show_table(shown, key="profiles.table", hide_index=True, column_config={
    "core": st.column_config.TextColumn("core (confidence ≥ 60 %)", width="large"),
    "boundary": st.column_config.TextColumn("boundary (confidence < 60 %)", width="medium"),
    "stability": st.column_config.ProgressColumn("stability", min_value=0, max_value=1, format="percent")})
download_csv(table, "cluster_statistics.csv", "Download cluster statistics CSV", key="profiles.download")
st.caption("The CSV keeps every member in `members` (most confident first) next to the disjoint `core` and "
           "`boundary` lists, and raw values (fractions, USD).")

st.subheader("Profile against the universe")
st.caption("z-score of each cluster's mean feature against all clustered symbols (volume in log10), clipped at ±3.")
st.plotly_chart(plot_profile_heatmap(profile.zscores), width="stretch", key="profiles.heatmap")

st.subheader("Members")
for _, row in table.iterrows():
    label = f"{row['name']} — {row['size']} symbol(s), stability {row['stability']:.0%}" + (
        " (tentative)" if row["tentative"] else "")
    with st.expander(label):
        st.write(row["reason"])
        st.write(f"**Core (confidence ≥ 60 %):** {row['core'] or 'none'}")
        st.write(f"**Boundary (confidence < 60 %):** {row['boundary'] or 'none'}")
