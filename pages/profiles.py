"""Cluster profiles: statistics with names and reasons, z-score heatmap, members, stability."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_profile_heatmap
from pages._shared import cluster_result, download_csv, setup_page, show_messages, stability

session = setup_page()
result = cluster_result(session)
profile = result.profile

st.title("Cluster profiles")
st.caption("What each group is: its name, why (what sets it apart from the other clusters), its behaviour, "
           "the window's performance on top, and how sure the assignment is. Members are listed core first.")
show_messages(session.messages)

table = profile.table
st.dataframe(table, hide_index=True, width="stretch", key="profiles.table",
             column_config={"members": st.column_config.TextColumn("members", width="large"),
                            "confidence": st.column_config.ProgressColumn("confidence", min_value=0, max_value=1,
                                                                          format="%.2f")})
download_csv(table, "cluster_statistics.csv", "Download cluster statistics CSV", key="profiles.download")

st.subheader("Profile against the universe")
st.caption("z-score of each cluster's mean feature against all clustered symbols (volume in log10), clipped at ±3.")
st.plotly_chart(plot_profile_heatmap(profile.zscores), width="stretch", key="profiles.heatmap")

st.subheader("Stability")
with st.spinner("Refitting on 30 random 80 % subsets of the symbols..."):
    scores = stability(session, result)
stable = table[table["cluster"] >= 0][["cluster", "name", "size"]].assign(
    stability=lambda d: d["cluster"].map(scores)
)
st.dataframe(stable, hide_index=True, width="stretch", key="profiles.stability",
             column_config={"stability": st.column_config.ProgressColumn("stability", min_value=0, max_value=1,
                                                                          format="%.2f")})
st.caption("Share of resamples in which a cluster's members stay together: near 1 = a real group, "
           "near 1/k = chance.")

st.subheader("Members")
for _, row in table.iterrows():
    with st.expander(f"{row['name']} — {row['size']} symbol(s)"):
        st.write(row["reason"])
        st.write(f"**Core first:** {row['members']}")
        st.write(f"**Boundary (confidence < 60 %):** {row['boundary'] or 'none'}")
