"""Page-level controls of the pages that act on clusters (kept across pages and in the URL)."""

from __future__ import annotations

import streamlit as st

from cluster_core.clustering import MAX_SMOOTHNESS
from cluster_core.strategies import BacktestConfig, PickRule, Strategy, Weighting
from pages._state import sync_state


def action_widgets(
    *, picks: bool = False, backtest: bool = False, peers: bool = False, walk: bool = False
) -> BacktestConfig:
    """Page-level controls of the strategy pages (kept across pages and in the URL).

    ``walk``: the smoothness of the monthly clusters (Backtest, Stability).
    """
    if walk or backtest:
        st.slider("Smoothness over time", 0.0, MAX_SMOOTHNESS, step=0.05, key="act.smoothness",
                  help="Weight of past months in each month's groups (0 = every month clustered on its own). A "
                       "coin changes group only when the monthly fits agree it moved; a month whose own fit finds "
                       "no clear groups keeps last month's. The Stability page shows what each value costs.")
    cols = st.columns(4)
    if backtest:
        cols[0].selectbox("Strategy", [s.value for s in Strategy], key="act.strategy",
                          help="diversified: 1-2 symbols per cluster; "
                          "rotation: best symbols of the best-momentum cluster")
        cols[1].number_input("Cost (bps of turnover)", 0.0, 1000.0, step=5.0, key="act.cost_bps")
    strategy = st.session_state["act.strategy"]
    if picks or (backtest and strategy == Strategy.DIVERSIFIED.value):
        cols[2 if backtest else 0].selectbox("Per cluster", [1, 2, 3], key="act.per_cluster")
        cols[3 if backtest else 1].selectbox("Pick by", [r.value for r in PickRule], key="act.rule")
        st.number_input("At least N holdings", 1, 50, key="act.min_holdings",
                        help="With fewer clusters than this (or no clear groups), more symbols are picked per "
                             "cluster, so a coarse clustering does not become a bet on two coins.")
        if backtest:
            st.slider("Keep a holding while in the top share of its group", 0.0, 1.0, step=0.05,
                      key="act.keep_top",
                      help="At a rebalance, a coin held stays while it still ranks in this top share of its "
                           "group by the pick rule (0.5 = its better half), so turnover follows real changes "
                           "rather than the month's reshuffle of a noisy ranking. 0 re-picks every month.")
        if picks:
            cols[2].selectbox("Weights", [w.value for w in Weighting], key="act.weighting")
            cols[3].toggle("Include noise", key="act.include_noise")
    elif backtest:
        cols[2].number_input("Symbols held", 1, 10, key="act.top_n")
    if peers:
        cols[0].slider("Leader z-score above", 0.5, 4.0, step=0.1, key="act.peer_z")
    st.toggle("Include pegged coins", key="act.include_pegged",
              help="Stablecoins and gold tokens at rest (flagged pegged, or in the Stablecoins / pegged group) are "
                   "left out of portfolios, backtests and peer screens unless you ask for them: they are cash, "
                   "not risk to diversify.")
    sync_state()
    state = st.session_state
    return BacktestConfig(strategy=Strategy(strategy), cost_bps=float(state["act.cost_bps"]),
                          per_cluster=int(state["act.per_cluster"]), top_n=int(state["act.top_n"]),
                          rule=PickRule(state["act.rule"]), weighting=Weighting(state["act.weighting"]),
                          include_noise=bool(state["act.include_noise"]),
                          min_holdings=int(state["act.min_holdings"]), keep_top=float(state["act.keep_top"]),
                          smoothness=float(state["act.smoothness"]),
                          include_pegged=bool(state["act.include_pegged"]), tiers=int(state["map.tiers"]))
