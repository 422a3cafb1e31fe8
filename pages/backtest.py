"""Backtest: monthly walk-forward with re-clustering, costs, equity against BTC and equal weight."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_equity, plot_turnover
from pages._shared import action_widgets, backtest_result, download_csv, setup_page, show_messages

session = setup_page()
st.title("Backtest")
config = action_widgets(backtest=True)
st.caption("At every month end: features from bars up to that bar only, universe choices, re-clustering with the "
           f"sidebar settings ({session.clustering.method.value}, smoothness {config.smoothness:g}), holdings "
           f"chosen and held one month, {config.cost_bps:g} bps of turnover in costs. "
           f"Lookback {session.features.lookback_days} days. A month whose market is one continuum is picked "
           f"from per tier ({config.tiers}, as on the map). Pegged coins "
           f"{'included' if config.include_pegged else 'left out'}. One setting can look good by luck: the "
           "Robustness page runs this walk-forward over a grid of settings and shows where this one ranks.")
show_messages(session.messages)
result = backtest_result(session, config)
for note in result.notes:
    st.warning(note)
if result.pegged_note():
    st.info(result.pegged_note())

metrics = result.metrics
cols = st.columns(5)
strategy = metrics.loc["strategy"]
cols[0].metric("CAGR", f"{strategy['CAGR']:.1%}", f"{strategy['CAGR'] - metrics.loc['BTC', 'CAGR']:+.1%} vs BTC")
cols[1].metric("Sharpe", f"{strategy['sharpe']:.2f}")
cols[2].metric("Max drawdown", f"{strategy['max_drawdown']:.1%}")
cols[3].metric("Turnover / month", f"{strategy['avg_turnover']:.0%}",
               help="Sum of absolute weight changes at a rebalance, averaged over the months.")
cols[4].metric("Cost drag / year", f"{strategy['cost_drag']:.2%}",
               help="What trading costs took: the mean monthly cost times 12.")

st.plotly_chart(plot_equity(result.curves), width="stretch", key="backtest.equity")
st.dataframe(metrics, width="stretch", key="backtest.metrics", column_config={
    name: st.column_config.NumberColumn(name, format="percent")
    for name in ("CAGR", "volatility", "max_drawdown", "hit_rate", "avg_turnover", "cost_drag")
})
st.subheader("Turnover and costs per month")
st.plotly_chart(plot_turnover(result.rows), width="stretch", key="backtest.turnover")
st.subheader("Rebalances")
st.dataframe(result.rows, hide_index=True, width="stretch", key="backtest.rows")
download_csv(result.csv_table(), "backtest.csv", "Download backtest CSV", key="backtest.download")
st.caption("period_return is over the holding period that starts at date, after costs; a symbol that stops "
           "trading exits at its last close (delisted coins stay in the history: no survivorship bias).")
