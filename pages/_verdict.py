"""The Backtest page's headline with what it is worth: intervals, the Sharpe tests, the sweep's deflation."""

from __future__ import annotations

import streamlit as st

from cluster_core.errors import ClusterCoreError
from cluster_core.strategies import DSR_CONFIDENCE, Assessment, BacktestResult, assess_backtest
from pages._sweeps import SweepRank

DOC = "docs/backtest-statistics.md"


def headline(result: BacktestResult, rank: SweepRank | None) -> Assessment | None:
    """Draw the five headline metrics; the badge against BTC is coloured only when its interval excludes zero."""
    metrics = result.metrics
    strategy = metrics.loc["strategy"]
    try:
        assessment = assess_backtest(result.curves, None if rank is None else rank.deflated_sharpe)
    except ClusterCoreError:
        assessment = None  # fewer than 4 months: no interval, the plain numbers only
    excess = strategy["CAGR"] - metrics.loc["BTC", "CAGR"]
    settled = assessment is not None and assessment.excess_cagr is not None and not assessment.excess_cagr.spans_zero
    cols = st.columns(5)
    cols[0].metric("CAGR", f"{strategy['CAGR']:.1%}", f"{excess:+.1%} vs BTC",
                   delta_color="normal" if settled else "off",
                   help="The badge is green or red only when the 95 % interval of the difference excludes zero; grey "
                        "means the months cannot tell the two apart.")
    cols[1].metric("Sharpe", f"{strategy['sharpe']:.2f}")
    cols[2].metric("Max drawdown", f"{strategy['max_drawdown']:.1%}")
    cols[3].metric("Turnover / month", f"{strategy['avg_turnover']:.0%}",
                   help="Sum of absolute weight changes at a rebalance, averaged over the months.")
    cols[4].metric("Cost drag / year", f"{strategy['cost_drag']:.2%}",
                   help="What trading costs took: the mean monthly cost times 12.")
    return assessment


def verdict(assessment: Assessment | None, rank: SweepRank | None, months: int) -> None:
    """Draw the intervals, the verdict lines and where the setting stands among the settings tried."""
    if assessment is None:
        st.info(f"{months} months: too few for intervals or a test of the Sharpe difference (4 or more needed).")
        return
    a = assessment
    parts = [f"CAGR {a.cagr.low:.0%} to {a.cagr.high:.0%}", f"Sharpe {a.sharpe.low:.2f} to {a.sharpe.high:.2f}"]
    if a.excess_cagr is not None:
        parts.append(f"CAGR minus BTC's {a.excess_cagr.low:+.0%} to {a.excess_cagr.high:+.0%}")
    st.caption(f"95 % intervals (circular block bootstrap of the {months} monthly returns, blocks of 3): "
               + "; ".join(parts) + f". Method: {DOC}.")
    for line in a.verdicts():
        (st.success if line.startswith("Beats") else st.info)(f"**Verdict.** {line}")
    if rank is None:
        st.caption("Not deflated yet: how many settings were tried changes what one good result means. Run a sweep "
                   "that holds this setting on the Robustness page: its rank, deflated Sharpe ratio and the "
                   "probability of backtest overfitting then show here.")
        return
    pbo = "" if rank.pbo is None else f"; the sweep's probability of backtest overfitting is {rank.pbo:.0%}"
    st.caption(f"Among the {rank.n_settings} settings of the Robustness page's sweep, this one's CAGR beats "
               f"{rank.beaten:.0%}; its deflated Sharpe ratio is {rank.deflated_sharpe:.2f} (the probability that its "
               f"Sharpe reflects skill once the settings tried are counted; {DSR_CONFIDENCE:.2f} or more to call it "
               f"skill){pbo}.")
