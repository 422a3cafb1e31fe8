"""AppTest of the pages that act on clusters: portfolio, backtest, peers, stability."""

from __future__ import annotations

import pytest

from tests.ui.conftest import frame_with, numbers, page

FAST = {"map": "pca", "autok": "0", "k": "6"}


def _run(name: str, **params: str):
    at = page(name)
    at.query_params.update({**FAST, **params})
    return at.run()


def test_portfolio_page_picks_and_compares():
    at = _run("portfolio.py", pick="2", weighting="inverse-vol")
    assert not at.exception and not at.error
    picks = frame_with(at, "symbol", "cluster", "cluster_name", "weight", "reason")
    # k = 6: two per cluster, the stablecoin group left out, one pick from the one-coin cluster (PAXG)
    assert len(picks) == 9 and abs(picks["weight"].sum() - 1) < 1e-9
    assert "Stablecoins / pegged" not in set(picks["cluster_name"])
    assert any(c.value.startswith("4 pegged coin(s) left out: BUSD, FDUSD, TUSD, USDC") for c in at.caption)
    comparison = frame_with(at, "annualized_vol", "avg_pairwise_corr")
    assert list(comparison.index) == ["Diversified (clusters)", "Equal-weight universe", "BTC"]
    at.toggle(key="act.include_pegged").set_value(True).run()
    picks = frame_with(at, "symbol", "cluster", "cluster_name", "weight", "reason")
    assert len(picks) == 11 and "Stablecoins / pegged" in set(picks["cluster_name"])
    assert at.query_params["pegged"] in ("1", ["1"])


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["diversified", "rotation"])
def test_backtest_page(strategy):
    at = _run("backtest.py", strategy=strategy, cost="20")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    rows = frame_with(at, "date", "holdings", "weights", "period_return", "equity", "turnover")
    assert len(rows) == 29
    assert (rows["cost"] == rows["turnover"] * 20 / 1e4).all()
    assert metrics["Turnover / month"] == f"{rows['turnover'].mean():.0%}"
    assert metrics["Cost drag / year"] == f"{rows['cost'].mean() * 12:.2%}"
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
    assert len(table) > 0 and (table["gap"] > 0).all()
    evidence = [w.value for w in at.warning if w.value.startswith("**A screen, not a trade list.**")]
    assert len(evidence) == 1 and "laggards beat their group the month after in" in evidence[0]


def test_keeping_holdings_lowers_the_backtests_turnover():
    at = _run("backtest.py", keep="0")
    churn = frame_with(at, "period_return", "turnover")["turnover"].mean()
    at.slider(key="act.keep_top").set_value(1.0).run()
    assert not at.exception
    assert frame_with(at, "period_return", "turnover")["turnover"].mean() < churn
    assert at.query_params["keep"] in ("1.0", ["1.0"])


def test_stability_page():
    at = _run("stability.py")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    table = frame_with(at, "date", "k", "ari_vs_previous", "silhouette", "carried")
    assert len(table) == 12
    assert table["ari_vs_previous"].iloc[0] == "–"  # no month before the first: a dash, not "None"
    assert metrics["Median ARI vs previous month"] == f"{numbers(table['ari_vs_previous']).median():.2f}"
    # clusters (k = 6) against the bundled sectors: the page shows the engine's figure
    from cluster_core.clustering import ClusterConfig
    from cluster_core.data import load_sample, load_sectors
    from cluster_core.pipeline import run_clustering
    from cluster_core.reduction import ReductionConfig
    from cluster_core.strategies import compare_with_sectors
    result = run_clustering(load_sample("hourly"), clustering=ClusterConfig(n_clusters=6), reduction=ReductionConfig("pca"))
    expected = compare_with_sectors(result.clustering.labels, result.profile.names, load_sectors())["ari"]
    assert metrics["Adjusted Rand index"] == f"{expected:.2f}" and 0 < expected < 0.5  # behaviour is not sector
    tradeoff = frame_with(at, "smoothness", "median_ari", "current_silhouette")
    assert {0.0, 0.6, 0.9} <= set(tradeoff["smoothness"])
    groups = frame_with(at, "cluster", "name", "status", "previous_name", "members")
    assert groups["size"].sum() > 100
    assert {b.label for b in at.get("download_button")} >= {"Download stability CSV", "Download trade-off CSV"}
    departures = frame_with(at, "symbol", "sector", "cluster_name", "sector_usual_cluster")
    assert len(departures) > 0


@pytest.mark.slow
def test_smoothness_zero_shows_the_independent_monthly_fits_and_lives_in_the_url():
    at = _run("stability.py", autok="1", months="12")
    smooth = frame_with(at, "date", "k", "ari_vs_previous", "carried")
    assert smooth["carried"].any()  # automatic k: months with a lone stablecoin have no group of their own
    at.slider(key="act.smoothness").set_value(0.0).run()
    assert not at.exception and not at.error
    independent = frame_with(at, "date", "k", "ari_vs_previous", "carried")
    assert not independent["carried"].any()
    assert (independent.loc[~independent["clear_groups"], "k"] == 1).all()
    assert (independent["k"] != smooth["k"]).any()  # the independent fits' own k, not the carried groups
    assert numbers(independent["ari_vs_previous"]).median() >= 0.55
    assert at.query_params["smooth"] in ("0.0", ["0.0"])


def test_peers_month_by_month_measures_whether_laggards_caught_up():
    at = _run("peers.py", peerview="Month by month", peerz="1.5")
    assert not at.exception and not at.error
    history = frame_with(at, "date", "leader", "peer", "peer_next_return", "group_next_return", "peer_vs_group")
    assert history["date"].nunique() > 10
    assert (history["peer_vs_group"] - (history["peer_next_return"] - history["group_next_return"])).abs().max() < 1e-12
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Laggards found"] == f"{len(history.drop_duplicates(['date', 'peer'])):,}"
    assert any(b.label == "Download peer history CSV" for b in at.get("download_button"))
    at.get("segmented_control")[0].set_value("This window").run()
    assert not at.exception
    assert len(frame_with(at, "leader", "peer", "gap")) > 0
    evidence = next(w.value for w in at.warning if w.value.startswith("**A screen, not a trade list.**"))
    assert f"in {metrics['Laggards beat their group']} of cases" in evidence  # the same record on both views
    assert "peerview" not in at.query_params


def test_the_backtest_headline_says_what_it_is_worth():
    """Intervals beside the CAGR, a verdict per benchmark, and a grey badge while the difference's interval spans 0."""
    from cluster_core.data import load_sample
    from cluster_core.strategies import assess_backtest
    from cluster_core.walkforward import run_backtest
    from pages import _sweeps

    _sweeps._SWEEPS.clear()  # no sweep kept in this process (a Robustness test may have run one that holds it)
    at = page("backtest.py")
    at.query_params["map"] = "pca"
    at.run()
    assert not at.exception
    assessment = assess_backtest(run_backtest(load_sample("hourly")).curves)
    verdicts = [i.value for i in at.info if i.value.startswith("**Verdict.**")]
    assert verdicts == [f"**Verdict.** {line}" for line in assessment.verdicts()]
    cagr = next(m for m in at.metric if m.label == "CAGR")
    GREY = 2  # MetricProto.MetricColor
    assert assessment.excess_cagr.spans_zero and cagr.proto.color == GREY
    interval = next(c.value for c in at.caption if c.value.startswith("95 % intervals"))
    assert f"CAGR {assessment.cagr.low:.0%} to {assessment.cagr.high:.0%}" in interval
    assert any("Not deflated yet" in c.value for c in at.caption)
