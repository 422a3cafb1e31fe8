"""Cluster profiles: statistics with names and reasons, z-score heatmap, members, stability."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_profile_heatmap
from pages._shared import cluster_result, download_csv, setup_page, show_messages

session = setup_page()
result = cluster_result(session)
profile = result.profile

st.title("Cluster profiles")
st.caption("What each group is: its name, why (what sets it apart from the other clusters, and for how many "
           "members the name holds when not all), its behaviour, the window's performance on top. confidence is "
           "the cluster's stability: the mean agreement of its members' cluster-mates over 20 refits on 80 % of "
           "the symbols that redo every automatic choice (1 = found again whole every time).")
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

st.subheader("Members")
for _, row in table.iterrows():
    with st.expander(f"{row['name']} — {row['size']} symbol(s)"):
        st.write(row["reason"])
        boundary = set(row["boundary"].split(", ")) if row["boundary"] else set()
        core = [m for m in row["members"].split(", ") if m not in boundary]
        st.write(f"**Core (confidence ≥ 60 %):** {', '.join(core) or 'none'}")
        st.write(f"**Boundary (confidence < 60 %):** {row['boundary'] or 'none'}")
