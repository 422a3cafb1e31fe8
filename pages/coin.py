"""Coin: one symbol's group now and month by month, what behaves like it, what moves with it."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_group_history, plot_rolling_beta
from cluster_core.clustering import MAX_SMOOTHNESS
from cluster_core.coin import ROLLING_DAYS, coin_view, find_symbol, group_history
from cluster_core.errors import ClusterCoreError
from cluster_core.interpretation import CONFIDENCE_MEANS
from pages._format import format_value, show_table
from pages._shared import (
    cluster_result,
    download_csv,
    setup_page,
    show_messages,
    stability_result,
    sync_state,
    with_settings,
)

NEAREST = 10  # rows in the "behaves like" and "moves with" tables (the CSV has every symbol)

session = setup_page()
result = cluster_result(session)
fs = result.view.features
state = st.session_state

st.title("Coin")
symbols = sorted(result.clustering.labels.index)
wanted = str(state.get("coin.symbol") or "")
try:
    chosen = find_symbol(result, wanted) if wanted else None
except ClusterCoreError as exc:
    st.warning(str(exc))
    chosen = None
picked = st.selectbox("Coin", symbols, index=symbols.index(chosen) if chosen else None,
                      placeholder="Type a symbol, e.g. SOL", help="Any clustered symbol of this window.")
if picked != chosen:
    state["coin.symbol"] = picked or ""
    sync_state()
    st.rerun()
show_messages(session.messages)
if picked is None:
    st.info("Pick a coin above (or in the sidebar's look-up) to see its group, its neighbours and its history.")
    st.stop()

coin = coin_view(session.data, result, picked)
st.caption(f"Window {fs.window_start:%Y-%m-%d} → {fs.window_end:%Y-%m-%d} ({session.features.lookback_days} days) · "
           f"the window's own clustering, as on the Cluster map · benchmark {coin.benchmark}")
cols = st.columns([2.2, 1, 1, 1.3, 1.2])
cols[0].metric("Group", coin.cluster_name, help="Its cluster in this window's fit (the map's legend).")
cols[1].metric("Confidence", "–" if coin.confidence != coin.confidence else f"{coin.confidence:.0%}",
               help=f"As on every page, {CONFIDENCE_MEANS}.")
cols[2].metric("Tier", "–" if coin.tier is None else f"{coin.tier} of {result.tiers.n_tiers}",
               help="Its tier of the continuum (quantile cuts along its main axis), when its group is one.")
cols[3].metric("30-day momentum", f"{coin.peers['momentum_30d']:.1%}",
               f"{coin.peers['gap']:+.1%} vs its group's median", delta_color="off")
beta_now = coin.rolling["beta"].dropna()
cols[4].metric(f"{ROLLING_DAYS}-day beta to {coin.benchmark}", format_value("beta", beta_now.iloc[-1])
               if len(beta_now) else "–")

LABELS = {"cluster_name": st.column_config.TextColumn("group"),
          "behaviour_distance": st.column_config.NumberColumn("behaviour distance", format="%.2f"),
          "correlation": st.column_config.NumberColumn("correlation", format="%.2f"),
          "residual_correlation": st.column_config.NumberColumn(f"correlation after {coin.benchmark}'s beta",
                                                                format="%.2f")}
st.subheader("Behaves like")
st.caption("Nearest in the clustering's own feature space (the scaled, trait-weighted features): what \"behaves "
           "alike\" means for the clusters. Their return correlations beside it.")
near = coin.neighbours.head(NEAREST)
show_table(near[["symbol", "cluster_name", "behaviour_distance", "correlation", "residual_correlation"]],
           key="coin.behaviour", hide_index=True, column_config=LABELS, link="symbol")
st.subheader("Moves with")
st.caption(f"Highest correlation of the window's returns once {coin.benchmark}'s beta is removed from each (the "
           "market mode every coin shares): co-movement of their own. The raw correlation beside it.")
moves = coin.neighbours.dropna(subset=["residual_correlation"]).nlargest(NEAREST, "residual_correlation")
if moves.empty:
    moves = coin.neighbours.dropna(subset=["correlation"]).nlargest(NEAREST, "correlation")
show_table(moves[["symbol", "cluster_name", "residual_correlation", "correlation", "behaviour_distance"]],
           key="coin.comovement", hide_index=True, column_config=LABELS, link="symbol")
download_csv(with_settings(coin.neighbours), f"neighbours_{picked}.csv",
             f"Download {picked}'s neighbours CSV (every symbol)", key="coin.download")

st.subheader(f"Against {coin.peer_group} and the universe")
features = coin.features.copy()
for column in ("value", "group_median", "universe_median"):
    features[column] = [format_value(name, v) for name, v in features[column].items()]
features["universe_percentile"] = [format_value("universe_percentile", v) for v in features["universe_percentile"]]
show_table(features.reset_index(), key="coin.features", hide_index=True)
st.caption(f"{picked}'s 30-day momentum ranks {int(coin.peers['rank_in_group'])} of {int(coin.peers['group_size'])} "
           f"in {coin.peer_group} (z = {format_value('z', coin.peers['z_in_group'])}). The Peers page lists the "
           "leaders and laggards of every group, and what the month-by-month record says of laggards.")

st.subheader(f"{ROLLING_DAYS}-day beta and correlation to {coin.benchmark}")
if coin.rolling.dropna(how="all").empty:
    st.info(f"Too few shared bars with {coin.benchmark} for a {ROLLING_DAYS}-day beta.")
else:
    st.plotly_chart(plot_rolling_beta(coin.rolling, picked, coin.benchmark, ROLLING_DAYS), width="stretch",
                    key="coin.rolling")

st.subheader("Its group at every month end (published groups)")
cols = st.columns(2)
cols[0].slider("Smoothness over time", 0.0, MAX_SMOOTHNESS, step=0.05, key="act.smoothness",
               help="As on the Stability page: the weight of past months in each month's groups (0 = every month "
                    "clustered on its own). Names are the published groups' names.")
months = cols[1].number_input("Months shown", 2, 240, key="act.months")
sync_state()
walk = stability_result(session, float(state["act.smoothness"]), int(months))
history = group_history(walk.months, picked)
st.caption("Each month end's groups from the bars up to it, smoothed and named as on the Stability page. The "
           "last month end can differ from the map above: the map is the window's own fit at the as-of bar.")
st.plotly_chart(plot_group_history(history, picked), width="stretch", key="coin.history_chart")
show_table(history.assign(date=history["date"].dt.strftime("%Y-%m-%d")), key="coin.history", hide_index=True)
download_csv(with_settings(history, ("act.smoothness", "act.months")), f"group_history_{picked}.csv",
             "Download its month-by-month groups CSV",
             key="coin.download_history")
