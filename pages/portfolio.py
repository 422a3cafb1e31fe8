"""Portfolio: one or two symbols per cluster, weighted, against the universe and BTC."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cluster_core.interpretation import pegged_members, tiered_groups
from cluster_core.pipeline import window_returns
from cluster_core.strategies import compare_portfolios, diversified_picks
from pages._shared import action_widgets, cluster_result, download_csv, setup_page, show_messages

session = setup_page()
result = cluster_result(session)
fs = result.view.features

st.title("Diversified portfolio")
config = action_widgets(picks=True)
st.caption(f"Picks from the current clusters ({result.clustering.n_clusters}) of the window "
           f"{fs.window_start:%Y-%m-%d} → {fs.window_end:%Y-%m-%d}. The comparison is in-sample over the same "
           "window: use the Backtest page for an out-of-sample walk-forward.")
show_messages(session.messages)
left_out = () if config.include_pegged else pegged_members(result.clustering.labels, result.profile.names,
                                                           result.view.pegged)
labels, names = tiered_groups(result.clustering.labels, result.profile.names, result.tiers)
if result.tiers is not None:
    st.caption(f"{result.profile.names[result.tiers.cluster]} is one continuum: the picks take each of its "
               f"{result.tiers.n_tiers} tiers (cuts along its main axis, as on the map) as a group to pick from.")
try:
    picks = diversified_picks(fs.X, result.prepared.Z, labels, names,
                              per_cluster=config.per_cluster, rule=config.rule, weighting=config.weighting,
                              include_noise=config.include_noise, min_holdings=config.min_holdings,
                              exclude=left_out)
except ValueError as exc:
    st.error(str(exc))
    st.stop()
if left_out:
    st.caption(f"{len(left_out)} pegged coin(s) left out: {', '.join(left_out)}. They are cash, not risk to "
               "diversify; 'Include pegged coins' picks from them too.")
st.dataframe(picks, hide_index=True, width="stretch", key="portfolio.picks",
             column_config={"weight": st.column_config.NumberColumn("weight", format="percent")})
download_csv(picks, "portfolio.csv", "Download portfolio CSV", key="portfolio.download")

st.subheader("Against the whole universe and BTC")
weights = pd.Series(picks["weight"].to_numpy(), index=picks["symbol"])
comparison = compare_portfolios(window_returns(session.data, fs), weights, fs.bars_per_year,
                                benchmark=fs.config.benchmark)
st.dataframe(comparison, width="stretch", key="portfolio.comparison", column_config={
    "annualized_vol": st.column_config.NumberColumn("annualised vol", format="percent"),
    "max_drawdown": st.column_config.NumberColumn("max drawdown", format="percent"),
    "avg_pairwise_corr": st.column_config.NumberColumn("avg pairwise corr", format="%.2f"),
    "total_return": st.column_config.NumberColumn("total return", format="percent"),
})
st.caption("Lower average pairwise correlation = more diversification. Portfolios rebalance every bar; "
           "a missing return counts as a flat position for that bar.")
