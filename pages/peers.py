"""Peers: symbols surging inside their cluster, the peers that lag them, and whether laggards caught up."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_laggards, plot_peer_history
from cluster_core.interpretation import pegged_members, tiered_groups
from cluster_core.strategies import peer_laggards
from pages._format import show_table
from pages._shared import (
    PEER_VIEWS,
    action_widgets,
    cluster_result,
    download_csv,
    peer_history,
    setup_page,
    show_messages,
    with_settings,
)

PEER_KEYS = ("act.peer_z", "act.smoothness", "act.include_pegged", "map.tiers")  # the settings behind both views

session = setup_page()

st.title("Peer laggards")
view = st.segmented_control("View", list(PEER_VIEWS), key="peers.view",
                            help="Month by month: the laggards of every month end's groups, and how they did the "
                                 "month after (the walk-forward; the groups smoothed as on the Stability page).")
config = action_widgets(peers=True, walk=True)  # the smoothness moves the month-by-month record on both views
threshold = float(st.session_state["act.peer_z"])
st.caption(f"A leader's 30-day momentum is more than {threshold:g} standard deviations above its cluster's mean; "
           "its lagging peers are the members below the cluster median. Same behaviour, different recent move. "
           "Details: docs/pages.md, Peers.")
show_messages(session.messages)
percent = {name: st.column_config.NumberColumn(name, format="percent")
           for name in ("leader_momentum", "peer_momentum", "gap", "leader_next_return", "peer_next_return",
                        "group_next_return", "peer_vs_group")}
if view == PEER_VIEWS[1]:
    history = peer_history(session, config.smoothness, threshold, config.include_pegged)
    summary = history.summary
    if not summary["laggards"]:
        st.info("No month end had a symbol surging that far above its peers. Lower the z-score threshold.")
        st.stop()
    cols = st.columns(4)
    cols[0].metric("Laggards found", f"{int(summary['laggards']):,}",
                   help=f"Distinct (month, peer) pairs over {int(summary['months'])} month ends.")
    cols[1].metric("Laggards beat their group", f"{summary['peer_beat_group']:.0%}",
                   help="Share of laggards whose next-month return beat their group's mean.")
    cols[2].metric("Median laggard vs group", f"{summary['median_peer_vs_group']:+.1%}",
                   help="Next-month return minus the group's mean return, median over laggards.")
    cols[3].metric("Mean leader vs group", f"{summary['mean_leader_vs_group']:+.1%}",
                   help="Did the leaders keep running? Next-month return minus the group's, mean over leaders.")
    st.plotly_chart(plot_peer_history(history.table), width="stretch", key="peers.history_chart")
    st.caption("Decisions use the bars up to each month end only; the returns are those of the month that followed "
               "(the last month runs to the last bar). Catching up would show as laggards beating their group.")
    show_table(history.table, key="peers.history", hide_index=True, column_config=percent)
    download_csv(with_settings(history.table, PEER_KEYS), "peer_history.csv", "Download peer history CSV",
                 key="peers.download_history")
    st.stop()

result = cluster_result(session)
record = peer_history(session, config.smoothness, threshold, config.include_pegged).summary
if record["laggards"]:
    st.warning(f"**A screen, not a trade list.** On these settings, over {int(record['months'])} month ends, "
               f"laggards beat their group the month after in {record['peer_beat_group']:.0%} of cases (median "
               f"{record['median_peer_vs_group']:+.1%} against the group; {int(record['laggards']):,} laggards). "
               "The 'Month by month' view has the record.")
left_out = () if config.include_pegged else pegged_members(result.clustering.labels, result.profile.names,
                                                           result.view.pegged)
labels, names = tiered_groups(result.clustering.labels, result.profile.names, result.tiers)
table = peer_laggards(result.view.features.X, labels, names, threshold, left_out)
if left_out:
    st.caption(f"Pegged coins left out ({', '.join(left_out)}): a stablecoin's momentum is noise around its peg.")
if table.empty:
    st.info("No symbol surges that far above its peers in this window. Lower the z-score threshold.")
else:
    st.plotly_chart(plot_laggards(table), width="stretch", key="peers.chart")
    show_table(table, key="peers.table", hide_index=True, link="peer", column_config=percent)
    download_csv(with_settings(table, PEER_KEYS), "peer_laggards.csv", "Download laggards CSV", key="peers.download")
