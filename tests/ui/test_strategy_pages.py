"""AppTest of the pages that act on clusters: portfolio, backtest, peers, stability."""

from __future__ import annotations

import pytest

from tests.ui.conftest import frame_with, page

FAST = {"map": "pca", "autok": "0", "k": "6"}


def _run(name: str, **params: str):
    at = page(name)
    at.query_params.update({**FAST, **params})
    return at.run()


def test_portfolio_page_picks_and_compares():
    at = _run("portfolio.py", pick="2", weighting="inverse-vol")
    assert not at.exception and not at.error
    picks = frame_with(at, "symbol", "cluster", "cluster_name", "weight", "reason")
    assert len(picks) == 12 and abs(picks["weight"].sum() - 1) < 1e-9
    comparison = frame_with(at, "annualized_vol", "avg_pairwise_corr")
    assert list(comparison.index) == ["Diversified (clusters)", "Equal-weight universe", "BTC"]


@pytest.mark.parametrize("strategy", ["diversified", "rotation"])
def test_backtest_page(strategy):
    at = _run("backtest.py", strategy=strategy, cost="20")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rebalances"] == "29"
    rows = frame_with(at, "date", "holdings", "weights", "period_return", "equity", "turnover")
    assert (rows["cost"] == rows["turnover"] * 20 / 1e4).all()
    assert any(b.label == "Download backtest CSV" for b in at.get("download_button"))


def test_changing_costs_changes_the_result():
    at = _run("backtest.py", cost="0")
    free = frame_with(at, "period_return", "turnover")["period_return"].sum()
    at.number_input(key="act.cost_bps").set_value(100.0).run()
    paid = frame_with(at, "period_return", "turnover")["period_return"].sum()
    assert paid < free


def test_peers_page():
    at = _run("peers.py", peerz="1.0")
    assert not at.exception
    table = frame_with(at, "leader", "peer", "gap")
    assert (table["gap"] > 0).all()


def test_stability_page():
    at = _run("stability.py")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Months"] == "29"
    assert -1 <= float(metrics["Adjusted Rand index"]) <= 1
    departures = frame_with(at, "symbol", "sector", "cluster_name", "sector_usual_cluster")
    assert len(departures) > 0
