"""Backtest: monthly walk-forward with re-clustering, costs, equity against BTC and equal weight."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_equity, plot_turnover
from cluster_core.data import DataSource
from cluster_core.strategies import Strategy
from pages._actions import WEIGHTING_LABELS
from pages._format import show_table
from pages._shared import (
    BACKTEST_KEYS,
    action_widgets,
    backtest_result,
    download_csv,
    setup_page,
    show_messages,
    with_settings,
)
from pages._sweeps import rank_in_sweeps
from pages._verdict import headline, verdict

session = setup_page()
st.title("Backtest")
config = action_widgets(backtest=True)
if config.strategy is Strategy.DIVERSIFIED:
    holding = (f"{config.per_cluster} per group (at least {config.min_holdings} holdings), picked by "
               f"{config.rule.value}, "
               f"{WEIGHTING_LABELS[config.weighting.value].lower()} weights capped at {config.max_weight:.0%}, "
               f"kept while in the top {config.keep_top:.0%} of their group")
else:
    holding = (f"the {config.top_n} best-momentum symbol(s) of the best-momentum group, equal weights (the maximum "
               "weight does not apply)")
st.caption(f"At every month end: features from bars up to that bar only ({session.features.lookback_days}-day "
           f"lookback), universe choices, re-clustering with the sidebar's {session.clustering.method.label} "
           f"(smoothness {config.smoothness:g}); holdings: {holding}; held one month, {config.cost_bps:g} bps of "
           f"turnover in costs. A month whose market is one continuum is picked from per tier ({config.tiers}, as on "
           f"the map). Pegged coins {'included' if config.include_pegged else 'left out'}.")
show_messages(session.messages)
result = backtest_result(session, config)
rank = rank_in_sweeps(session, config)
if config.strategy is Strategy.ROTATION and config.top_n == 1:
    won, tried = rank.rotation_beats_btc if rank is not None else (0, 0)
    bundled = st.session_state.get("data.source") == DataSource.SAMPLE_HOURLY.value
    record = (f" In the Robustness page's sweep, rotation beat BTC in {won} of its {tried} settings." if tried
              else " On the bundled hourly data's default sweep (docs/backtest-statistics.md) it beat BTC in 0 of "
                   "its 180 settings." if bundled else "")
    st.warning("A one-symbol rotation is a bet on one coin a month: its result is that coin's luck more than the "
               "clusters'." + record + " Hold more symbols (top N), or read the Robustness page's spread.")
for note in result.notes:
    st.warning(note)
if result.pegged_note():
    st.info(result.pegged_note())

assessment = headline(result, rank)
verdict(assessment, rank, len(result.rows))

st.plotly_chart(plot_equity(result.curves), width="stretch", key="backtest.equity")
show_table(result.metrics, key="backtest.metrics")
st.subheader("Turnover and costs per month")
st.plotly_chart(plot_turnover(result.rows), width="stretch", key="backtest.turnover")
st.subheader("Rebalances")
show_table(result.rows, key="backtest.rows", hide_index=True)
download_csv(with_settings(result.csv_table(), BACKTEST_KEYS), "backtest.csv", "Download backtest CSV",
             key="backtest.download")
st.caption("period_return is over the holding period that starts at date, after costs; a symbol that stops "
           "trading exits at its last close (delisted coins stay in the history: no survivorship bias). The CSV's "
           "settings column records every setting behind it.")
