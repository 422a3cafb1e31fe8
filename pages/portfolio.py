"""Portfolio: one or two symbols per cluster, weighted and capped, against the universe and BTC."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cluster_core.charts import group_colours, plot_weights
from cluster_core.interpretation import pegged_members, tiered_groups
from cluster_core.pipeline import window_returns
from cluster_core.strategies import compare_portfolios, diversified_picks
from pages._actions import WEIGHTING_LABELS, overriding_note
from pages._format import show_table
from pages._shared import (
    PICK_KEYS,
    action_widgets,
    cluster_result,
    download_csv,
    setup_page,
    show_messages,
    with_settings,
)

session = setup_page()
result = cluster_result(session)
fs = result.view.features

st.title("Diversified portfolio")
config = action_widgets(picks=True)
st.caption(f"Picks from the current clusters ({result.clustering.n_clusters}) of the window "
           f"{fs.window_start:%Y-%m-%d} → {fs.window_end:%Y-%m-%d}. **In-sample**: the picks are ranked by this "
           "window's own performance and compared over the same window; the Backtest page walks the same rules "
           "forward month by month, out of sample. Why pegged coins are left out: docs/decisions.md.")
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
                              exclude=left_out, max_weight=config.max_weight)
except ValueError as exc:
    st.error(str(exc))
    st.stop()
note = overriding_note(config.per_cluster, config.min_holdings, int(picks["cluster"].nunique()))
if note:
    st.info(note)
if left_out:
    st.caption(f"{len(left_out)} pegged coin(s) left out: {', '.join(left_out)}. They are cash, not risk to "
               "diversify; 'Include pegged coins' picks from them too.")
cash = 1.0 - float(picks["weight"].sum())
summary = (f"{len(picks)} holdings, {WEIGHTING_LABELS[config.weighting.value].lower()} weights, none above "
           f"{config.max_weight:.0%}")
st.subheader(summary + (f"; {cash:.0%} in cash (too few picks for the maximum weight)" if cash > 1e-9 else ""))
st.plotly_chart(plot_weights(picks, config.max_weight, group_colours(labels, result.tiers)), width="stretch",
                key="portfolio.weights")
pick_label = {"sharpe": "in-sample Sharpe", "liquidity": "daily volume", "centre": "nearest the group's centre"}
st.caption(f"Picked by {pick_label[config.rule.value]} within each group (reason column).")
show_table(picks, key="portfolio.picks", hide_index=True, link="symbol")
download_csv(with_settings(picks, PICK_KEYS), "portfolio.csv", "Download portfolio CSV",
             key="portfolio.download")

st.subheader("Against the whole universe and BTC (in-sample)")
weights = pd.Series(picks["weight"].to_numpy(), index=picks["symbol"])
comparison = compare_portfolios(window_returns(session.data, fs), weights, fs.bars_per_year,
                                benchmark=fs.config.benchmark)
show_table(comparison, key="portfolio.comparison")
st.caption("Lower average pairwise correlation = more diversification (none for a single symbol: \"–\"). "
           "Portfolios rebalance every bar; a missing return counts as a flat position for that bar.")
