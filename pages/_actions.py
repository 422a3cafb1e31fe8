"""Page-level controls of the pages that act on clusters (kept across pages and in the URL).

Every control that changes a page's numbers is drawn on that page: the Portfolio and the
Backtest pages show the same pick and weight controls, so a weighting chosen on one is seen
(and changed) on the other.
"""

from __future__ import annotations

import streamlit as st

from cluster_core.clustering import MAX_SMOOTHNESS
from cluster_core.strategies import BacktestConfig, PickRule, Strategy, Weighting
from pages._state import sync_state

MAX_WEIGHTS = tuple(round(0.05 * i, 2) for i in range(1, 21))  # 5 % to 100 % (the URL's value is rounded to these)
WEIGHTING_LABELS = {Weighting.EQUAL.value: "Equal", Weighting.INVERSE_VOL.value: "Inverse volatility"}


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
    state = st.session_state
    if backtest:
        cols = st.columns(3)
        cols[0].selectbox("Strategy", [s.value for s in Strategy], key="act.strategy",
                          help="diversified: 1-2 symbols per cluster; "
                          "rotation: best symbols of the best-momentum cluster")
        cols[1].number_input("Cost (bps of turnover)", 0.0, 1000.0, step=5.0, key="act.cost_bps")
        if state["act.strategy"] == Strategy.ROTATION.value:
            cols[2].number_input("Symbols held", 1, 10, key="act.top_n",
                                 help="Rotation holds these in equal weights: the maximum weight per holding does "
                                      "not apply (one symbol is a one-coin bet by design).")
    if picks or (backtest and state["act.strategy"] == Strategy.DIVERSIFIED.value):
        _pick_widgets(walk_forward=backtest)
    if peers:
        st.slider("Leader z-score above", 0.5, 4.0, step=0.1, key="act.peer_z")
    st.toggle("Include pegged coins", key="act.include_pegged",
              help="Stablecoins and gold tokens at rest (flagged pegged, or in the Stablecoins / pegged group) are "
                   "left out of portfolios, backtests and peer screens unless you ask for them: they are cash, "
                   "not risk to diversify.")
    sync_state()
    return BacktestConfig(strategy=Strategy(state["act.strategy"]), cost_bps=float(state["act.cost_bps"]),
                          per_cluster=int(state["act.per_cluster"]), top_n=int(state["act.top_n"]),
                          rule=PickRule(state["act.rule"]), weighting=Weighting(state["act.weighting"]),
                          include_noise=bool(state["act.include_noise"]),
                          min_holdings=int(state["act.min_holdings"]), keep_top=float(state["act.keep_top"]),
                          smoothness=float(state["act.smoothness"]),
                          include_pegged=bool(state["act.include_pegged"]), tiers=int(state["map.tiers"]),
                          max_weight=float(state["act.max_weight"]))


def _pick_widgets(*, walk_forward: bool) -> None:
    """Draw the diversified picks' controls: the same on the Portfolio and the Backtest page."""
    cols = st.columns(4)
    cols[0].selectbox("Per cluster", [1, 2, 3], key="act.per_cluster",
                      help="Symbols picked from each cluster (each tier of a continuum), unless 'At least N "
                           "holdings' asks for more.")
    cols[1].number_input("At least N holdings", 1, 50, key="act.min_holdings",
                         help="With fewer clusters than this (or no clear groups), more symbols are picked per "
                              "cluster, so a coarse clustering does not become a bet on two coins.")
    cols[2].selectbox("Pick by", [r.value for r in PickRule], key="act.rule",
                      help="sharpe: the best in-sample Sharpe ratio of the window (a backward-looking rank); "
                           "liquidity: the highest daily volume; centre: the most typical member.")
    cols[3].toggle("Include noise", key="act.include_noise", help="Treat noise points as one more group.")
    cols = st.columns(4)
    cols[0].selectbox("Weights", list(WEIGHTING_LABELS), format_func=WEIGHTING_LABELS.get, key="act.weighting",
                      help="Inverse volatility: 1 / annualised volatility, normalised, then capped at the maximum "
                           "weight.")
    cols[1].select_slider("Maximum weight per holding", MAX_WEIGHTS, key="act.max_weight",
                          format_func=lambda w: f"{w:.0%}",
                          help="No holding above this share; its excess goes to the others. With fewer holdings "
                               "than 1 / maximum, the rest is held in cash. Rotation does not use it.")
    if walk_forward:
        cols[2].slider("Keep a holding while in the top share of its group", 0.0, 1.0, step=0.05,
                       key="act.keep_top",
                       help="At a rebalance, a coin held stays while it still ranks in this top share of its "
                            "group by the pick rule (0.5 = its better half), so turnover follows real changes "
                            "rather than the month's reshuffle of a noisy ranking. 0 re-picks every month.")


def overriding_note(per_cluster: int, min_holdings: int, groups: int) -> str:
    """Say when 'At least N holdings' overrides 'Per cluster' ("" when it does not)."""
    needed = -(-min_holdings // max(groups, 1))
    if needed <= per_cluster:
        return ""
    return (f"'At least {min_holdings} holdings' overrides 'Per cluster = {per_cluster}': {groups} group(s) to pick "
            f"from, so {needed} per group.")
