"""Acting on clusters: accounting, costs, no look-ahead, picks, rotation, peers, stability, sectors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from cluster_core.clustering import ClusterConfig
from cluster_core.data import MarketData
from cluster_core.errors import DataError, ParameterError
from cluster_core.strategies import (
    BacktestConfig,
    align_labels,
    cap_weights,
    compare_with_sectors,
    diversified_picks,
    peer_laggards,
    rebalance_dates,
    simulate,
    stability_over_time,
    target_weights,
)
from cluster_core.walkforward import PEER_HISTORY_COLUMNS, run_backtest, run_peer_history, run_stability


def _two_assets() -> pd.DataFrame:
    index = pd.date_range("2024-01-01", "2024-04-30", freq="1D", tz="UTC")
    close = pd.DataFrame(np.nan, index=index, columns=["A", "B"])
    for day, a, b in [("2024-01-31", 100, 50), ("2024-02-29", 110, 50), ("2024-03-31", 99, 60), ("2024-04-30", 108.9, 54)]:
        close.loc[pd.Timestamp(day, tz="UTC")] = [a, b]
    return close.ffill().bfill()


def test_hand_computed_two_asset_three_month_example():
    """50/50 in January, all A in February, all B in March; 10 bps of turnover."""
    close = _two_assets()
    d = [pd.Timestamp(x, tz="UTC") for x in ("2024-01-31", "2024-02-29", "2024-03-31")]
    decisions = [(d[0], pd.Series({"A": 0.5, "B": 0.5})), (d[1], pd.Series({"A": 1.0})), (d[2], pd.Series({"B": 1.0}))]
    rows = simulate(close, decisions, pd.Timestamp("2024-04-30", tz="UTC"), cost_bps=10)
    assert rows["turnover"].tolist() == pytest.approx([1.0, 0.9523809523809523, 2.0], rel=1e-12)
    assert rows["gross_return"].tolist() == pytest.approx([0.05, -0.1, -0.1], rel=1e-12)
    assert rows["period_return"].tolist() == pytest.approx([0.049, -0.10095238095238096, -0.102], rel=1e-12)
    assert rows["equity"].tolist() == pytest.approx([1.049, 0.9431009523809524, 0.8469046552380952], rel=1e-12)
    assert rows["holdings"].tolist() == ["A;B", "A", "B"]
    assert rows["period_end"].iloc[-1] == pd.Timestamp("2024-04-30", tz="UTC")


def test_delisted_holding_exits_at_its_last_close():
    close = _two_assets()
    close.loc["2024-03-15":, "A"] = np.nan
    d0 = pd.Timestamp("2024-02-29", tz="UTC")
    rows = simulate(close, [(d0, pd.Series({"A": 1.0}))], pd.Timestamp("2024-04-30", tz="UTC"), cost_bps=0)
    assert rows["period_return"].iloc[0] == pytest.approx(0.0)  # last close 110 = entry


@pytest.fixture(scope="module")
def walk(hourly):
    sub = hourly.select(list(hourly.symbols[:60]) + ["BTC"]).between("2022-06-01", "2023-06-30")
    return sub


def test_costs_reduce_returns_by_exactly_turnover_times_rate(walk):
    free = run_backtest(walk, clustering=ClusterConfig(n_clusters=5), config=BacktestConfig(cost_bps=0))
    paid = run_backtest(walk, clustering=ClusterConfig(n_clusters=5), config=BacktestConfig(cost_bps=25))
    pd.testing.assert_series_equal(free.rows["holdings"], paid.rows["holdings"])
    np.testing.assert_allclose(free.rows["period_return"] - paid.rows["period_return"],
                               paid.rows["turnover"] * 25 / 1e4, rtol=0, atol=1e-15)


def test_equity_is_continuous_and_matches_the_curve(walk):
    result = run_backtest(walk, clustering=ClusterConfig(n_clusters=5))
    rows = result.rows
    expected = np.cumprod(1 + rows["period_return"].to_numpy())
    np.testing.assert_allclose(rows["equity"], expected, rtol=1e-12)
    assert list(result.csv_table().columns) == ["date", "holdings", "weights", "period_return", "equity"]
    assert result.curves["strategy"].iloc[0] == 1.0
    np.testing.assert_allclose(result.curves["strategy"].iloc[1:], rows["equity"], rtol=1e-12)
    assert (rows["period_end"].iloc[:-1].to_numpy() == rows["date"].iloc[1:].to_numpy()).all()
    for weights in rows["weights"]:
        assert sum(float(w) for w in weights.split(";")) == pytest.approx(1.0, abs=1e-5)
    assert set(result.metrics.columns) >= {"CAGR", "volatility", "sharpe", "sortino", "max_drawdown", "hit_rate"}


@pytest.mark.parametrize(("k", "smoothness"), [(5, 0.0), (5, 0.6), (None, 0.6), (None, 0.9)])
def test_no_look_ahead_perturbing_later_bars_changes_no_earlier_decision(walk, k, smoothness):
    """Smoothing, carried months (automatic k) and kept holdings use the months up to each decision only."""
    config = BacktestConfig(smoothness=smoothness)
    base = run_backtest(walk, clustering=ClusterConfig(n_clusters=k), config=config)
    cut = base.rows["date"].iloc[4]
    close = walk.close.copy()
    later = close.index > cut
    close.loc[later] = close.loc[later] * np.random.default_rng(0).uniform(0.2, 5, close.loc[later].shape)
    perturbed = MarketData(close, walk.volume_usd, walk.source)
    other = run_backtest(perturbed, clustering=ClusterConfig(n_clusters=k), config=config)
    assert not base.rows["holdings"].equals(other.rows["holdings"])  # the perturbation does change later months
    upto = base.rows["date"] <= cut
    pd.testing.assert_frame_equal(base.rows.loc[upto, ["date", "holdings", "weights"]],
                                  other.rows.loc[upto, ["date", "holdings", "weights"]])
    for date in base.rows.loc[upto, "date"]:
        pd.testing.assert_series_equal(base.labels[date], other.labels[date])
        pd.testing.assert_series_equal(base.names[date], other.names[date])


def test_rebalance_dates_are_month_ends_after_the_first_window(hourly):
    dates = rebalance_dates(hourly, 90)
    assert dates[0] == pd.Timestamp("2021-07-31 23:00", tz="UTC")
    assert dates[-1] == pd.Timestamp("2023-11-30 23:00", tz="UTC")
    assert all(d.month != (d + pd.Timedelta(hours=1)).month for d in dates)


def test_too_short_history_for_a_walk_forward(hourly):
    with pytest.raises(DataError, match="at least 2 month ends"):
        run_backtest(hourly.between("2023-10-01", "2023-12-30"), config=BacktestConfig())
    with pytest.raises(ParameterError, match="`cost_bps`"):
        run_backtest(hourly, config=BacktestConfig(cost_bps=-1))


def _toy():
    X = pd.DataFrame({
        "sharpe": [1.0, 2.0, 0.5, 3.0, 0.1, 0.2],
        "avg_daily_volume_usd": [5e6, 1e6, 9e6, 2e6, 3e6, 1e5],
        "annualized_vol": [0.5, 1.0, 0.25, 0.8, 0.6, 0.9],
        "momentum_30d": [0.1, 0.2, 0.0, -0.1, 0.5, 0.9],
    }, index=list("ABCDEF"))
    Z = (X - X.mean()) / X.std()
    labels = pd.Series([0, 0, 0, 1, 1, -1], index=X.index)
    names = pd.Series({0: "Calm", 1: "Wild", -1: "Noise / outliers"})
    return X, Z, labels, names


@pytest.mark.parametrize(("rule", "expected"), [("sharpe", ["B", "D"]), ("liquidity", ["C", "E"])])
def test_diversified_picks_rules(rule, expected):
    X, Z, labels, names = _toy()
    picks = diversified_picks(X, Z, labels, names, rule=rule, max_weight=1.0)
    assert picks["symbol"].tolist() == expected
    assert picks["weight"].sum() == pytest.approx(1.0)
    assert "F" not in picks["symbol"].tolist()


def test_inverse_vol_weights_and_noise_choice():
    X, Z, labels, names = _toy()
    picks = diversified_picks(X, Z, labels, names, per_cluster=2, weighting="inverse-vol", include_noise=True,
                              max_weight=1.0)
    assert len(picks) == 5 and picks["weight"].sum() == pytest.approx(1.0)
    w = picks.set_index("symbol")["weight"]
    assert w["B"] / w["A"] == pytest.approx(0.5)  # vol 1.0 vs 0.5


def test_few_clusters_give_more_picks_each_up_to_the_minimum_holdings():
    X, Z, labels, names = _toy()
    picks = diversified_picks(X, Z, labels, names, min_holdings=4)  # 2 clusters -> 2 picks each
    assert picks["symbol"].tolist() == ["B", "A", "D", "E"]
    assert picks["reason"].tolist()[1] == "best Sharpe #2 in its group (1.00)"
    one = pd.Series(0, index=labels.index)  # no clear groups: one cluster
    picks = diversified_picks(X, Z, one, pd.Series({0: "Whole market"}), min_holdings=3, max_weight=0.4)
    assert picks["symbol"].tolist() == ["D", "B", "A"] and picks["weight"].sum() == pytest.approx(1.0)
    assert len(diversified_picks(X, Z, labels, names, per_cluster=2, min_holdings=1)) == 4  # per_cluster wins
    small = diversified_picks(X, Z, labels, names, min_holdings=50)  # no more than the clusters hold
    assert sorted(small["symbol"]) == list("ABCDE")
    with pytest.raises(ParameterError, match="`min_holdings`"):
        diversified_picks(X, Z, labels, names, min_holdings=0)


def test_rotation_holds_the_best_symbols_of_the_best_momentum_cluster():
    X, Z, labels, names = _toy()
    weights = target_weights(BacktestConfig(strategy="rotation", top_n=1), X, Z, labels, names)
    assert weights.to_dict() == {"E": 1.0}  # cluster 1 (mean momentum 0.2) beats cluster 0 (0.1); noise F ignored
    two = target_weights(BacktestConfig(strategy="rotation", top_n=2), X, Z, labels, names)
    assert two.to_dict() == {"E": 0.5, "D": 0.5}


def test_peer_laggards_find_the_surging_leader_and_lagging_peers():
    X = pd.DataFrame({"momentum_30d": [0.05, 0.0, 0.02, 0.01, 0.9, -0.02, 0.3]}, index=list("ABCDEFG"))
    labels = pd.Series([0, 0, 0, 0, 0, 0, -1], index=X.index)
    table = peer_laggards(X, labels, pd.Series({0: "Majors"}), z_threshold=1.5)
    assert set(table["leader"]) == {"E"}
    assert set(table["peer"]) == {"B", "D", "F"}  # below the cluster median (0.02)
    assert table["gap"].iloc[0] == pytest.approx(0.92)
    assert "G" not in set(table["peer"])


def test_align_labels_undoes_a_renumbering_and_stability_over_time():
    rng = np.random.default_rng(0)
    index = [f"S{i}" for i in range(30)]
    first = pd.Series(rng.integers(0, 4, 30), index=index)
    renumbered = first.map({0: 2, 1: 3, 2: 0, 3: 1})
    pd.testing.assert_series_equal(align_labels(first, renumbered), first, check_names=False)
    moved = renumbered.copy()
    moved.iloc[0] = (moved.iloc[0] + 1) % 4
    dates = pd.date_range("2024-01-31", periods=3, freq="ME", tz="UTC")
    table, aligned = stability_over_time({dates[0]: first, dates[1]: renumbered, dates[2]: moved})
    assert np.isnan(table["ari_vs_previous"].iloc[0]) and table["ari_vs_previous"].iloc[1] == 1.0
    assert table["n_changed"].tolist() == [0, 0, 1] and table["changed"].iloc[2] == "S0"
    assert adjusted_rand_score(aligned[dates[2]], moved) == 1.0


def test_clusters_against_sectors():
    labels = pd.Series([0, 0, 0, 1, 1, 1, 1], index=list("ABCDEFG"))
    names = pd.Series({0: "Calm", 1: "Wild"})
    sectors = pd.Series(["DeFi", "DeFi", "DeFi", "Meme", "Meme", "Meme", "DeFi"], index=list("ABCDEFG"))
    out = compare_with_sectors(labels, names, sectors)
    assert out["crosstab"].loc["DeFi", "Calm"] == 3 and out["crosstab"].to_numpy().sum() == 7
    assert out["departures"]["symbol"].tolist() == ["G"]
    assert 0 < out["ari"] < 1


def test_user_sector_map_is_validated():
    from cluster_core.data import read_sector_map

    sectors = read_sector_map(b"Symbol,Sector\nbtc,Store of value\nETH, Platform\n")
    assert sectors.to_dict() == {"BTC": "Store of value", "ETH": "Platform"}
    with pytest.raises(DataError, match="needs the columns symbol and sector; missing sector"):
        read_sector_map(b"symbol,group\nBTC,x\n")
    with pytest.raises(DataError, match="more than one sector"):
        read_sector_map(b"symbol,sector\nBTC,a\nBTC,b\n")
    with pytest.raises(DataError, match="is empty"):
        read_sector_map(b"")


def _slow_return(close: pd.DataFrame, symbol: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
    series = close[symbol]
    return float(series.loc[:end].dropna().iloc[-1] / series.loc[:start].dropna().iloc[-1] - 1)


def test_peer_history_returns_match_a_slow_reference_and_use_no_later_bars(walk):
    history = run_peer_history(walk, clustering=ClusterConfig(n_clusters=5), z_threshold=1.0)
    table = history.table
    assert list(table.columns) == list(PEER_HISTORY_COLUMNS) and table["date"].nunique() >= 5
    for _, row in table.sample(12, random_state=0).iterrows():
        assert row["peer_next_return"] == pytest.approx(_slow_return(walk.close, row["peer"], row["date"],
                                                                     row["period_end"]), rel=1e-12)
    row = table.iloc[0]
    labels = run_stability(walk, clustering=ClusterConfig(n_clusters=5), months=None).months
    members = next(m for m in labels if m.date == row["date"]).labels
    group = members.index[members == row["cluster"]]
    expected = np.mean([_slow_return(walk.close, s, row["date"], row["period_end"]) for s in group])
    assert row["group_next_return"] == pytest.approx(expected, rel=1e-12)
    peers = table.drop_duplicates(["date", "peer"])
    assert history.summary["laggards"] == len(peers)
    assert history.summary["peer_beat_group"] == pytest.approx((peers["peer_vs_group"] > 0).mean())
    # the laggards of a month end depend on the bars up to it only
    cut = sorted(table["date"].unique())[3]
    close = walk.close.copy()
    later = close.index > cut
    close.loc[later] = close.loc[later] * np.random.default_rng(1).uniform(0.2, 5, close.loc[later].shape)
    other = run_peer_history(MarketData(close, walk.volume_usd, walk.source), clustering=ClusterConfig(n_clusters=5),
                             z_threshold=1.0).table
    pairs = ["date", "cluster_name", "leader", "peer", "gap"]
    pd.testing.assert_frame_equal(table.loc[table["date"] <= cut, pairs].reset_index(drop=True),
                                  other.loc[other["date"] <= cut, pairs].reset_index(drop=True))


def test_no_holding_above_the_maximum_weight_and_the_excess_goes_to_the_others():
    X, Z, labels, names = _toy()
    X = X.assign(annualized_vol=[0.05, 1.0, 0.25, 0.8, 0.6, 0.9])  # A: a calm coin inverse-vol would load on
    picks = diversified_picks(X, Z, labels, names, per_cluster=2, weighting="inverse-vol", include_noise=True,
                              max_weight=0.25)
    w = picks.set_index("symbol")["weight"]
    assert w.max() <= 0.25 + 1e-12 and w.sum() == pytest.approx(1.0) and w["A"] == pytest.approx(0.25)
    assert w["B"] / w["D"] == pytest.approx(0.8 / 1.0)  # the others keep their inverse-vol proportions
    few = diversified_picks(X, Z, labels, names, max_weight=0.25)  # two picks: half in cash
    assert few["weight"].tolist() == [0.25, 0.25]


@given(raw=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=30), cap=st.floats(0.02, 1.0))
def test_capped_weights_respect_the_cap_and_keep_the_order(raw, cap):
    weights = cap_weights(np.array(raw), cap)
    assert (weights <= cap + 1e-9).all() and (weights > 0).all()
    assert weights.sum() == pytest.approx(min(1.0, cap * len(raw)))  # cash only when too few for the cap
    order = np.argsort(raw, kind="stable")
    assert (np.diff(weights[order]) >= -1e-12).all()  # a larger raw weight never ends smaller
