"""One coin looked up: neighbours, co-movement, rolling beta and its history, against slow references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cluster_core.coin import coin_view, find_symbol, group_history, neighbours, rolling_vs_benchmark
from cluster_core.data import MarketData
from cluster_core.errors import ParameterError
from cluster_core.features import FeatureConfig
from cluster_core.history import Month, MonthFit
from cluster_core.pipeline import run_clustering, window_returns
from cluster_core.reduction import ReductionConfig
from tests.conftest import run_cli

PCA = ReductionConfig("pca")


@pytest.fixture(scope="module")
def bundled(hourly):
    return run_clustering(hourly, reduction=PCA)


def test_every_other_symbol_once_nearest_in_behaviour_first(hourly, bundled):
    table = coin_view(hourly, bundled, "sol").neighbours
    clustered = set(bundled.clustering.labels.index)
    assert sorted(table["symbol"]) == sorted(clustered - {"SOL"})
    assert table["behaviour_distance"].is_monotonic_increasing
    Z = bundled.prepared.Z
    for symbol in ("AVAX", "BTC", "USDC"):  # the distance in the clustering's own space, by hand
        row = table.set_index("symbol").loc[symbol]
        assert row["behaviour_distance"] == pytest.approx(float(np.linalg.norm(Z.loc[symbol] - Z.loc["SOL"])))
    labels = bundled.clustering.labels
    assert (table["same_group"] == (labels[table["symbol"]].to_numpy() == labels["SOL"])).all()


def test_correlations_match_pandas_and_a_per_pair_regression(hourly, bundled):
    r = window_returns(hourly, bundled.view.features)
    table = neighbours(bundled, r, "SOL", "BTC").set_index("symbol")
    expected = r.corr(min_periods=10)["SOL"].drop("SOL")
    pd.testing.assert_series_equal(table["correlation"].sort_index(), expected.sort_index(), check_names=False,
                                   atol=1e-10)
    for symbol in ("AVAX", "ETH", "DOGE"):  # residuals after each coin's own BTC beta, the slow way
        def residual(name: str) -> pd.Series:
            pair = r[[name, "BTC"]].dropna()
            beta = np.polyfit(pair["BTC"], pair[name], 1)[0]
            return r[name] - beta * r["BTC"].fillna(0.0)  # as the features: no BTC return, nothing removed

        both = pd.concat([residual("SOL"), residual(symbol)], axis=1).dropna()
        assert table.loc[symbol, "residual_correlation"] == pytest.approx(both.corr().iloc[0, 1], abs=1e-9)
    assert np.isnan(table.loc["BTC", "residual_correlation"])  # the benchmark's residual is zero by construction


def test_rolling_beta_matches_a_slow_reference_and_ignores_the_future(hourly, bundled):
    fs = bundled.view.features
    rolling = rolling_vs_benchmark(hourly, "SOL", "BTC", fs.window_start, fs.window_end)
    assert rolling.index.min() >= fs.window_start.floor("D") and rolling.index.max() <= fs.window_end
    close = hourly.close[["SOL", "BTC"]].loc[: fs.window_end]
    r = (close / close.shift(1) - 1).dropna()
    for day in rolling.index[[5, 40, -1]]:
        last = r.index[r.index.floor("D") == day].max()
        window = r.loc[last - pd.Timedelta(days=30) + pd.Timedelta(microseconds=1): last]
        beta = window.cov().loc["SOL", "BTC"] / window["BTC"].var()
        assert rolling.loc[day, "beta"] == pytest.approx(beta, rel=1e-9)
        assert rolling.loc[day, "correlation"] == pytest.approx(window.corr().loc["SOL", "BTC"], rel=1e-9)
    future = hourly.close.copy()
    future.loc[future.index > fs.window_end] *= 3.0  # what happens after the window cannot move it
    shifted = MarketData(close=future, volume_usd=hourly.volume_usd, source=hourly.source)
    pd.testing.assert_frame_equal(rolling_vs_benchmark(shifted, "SOL", "BTC", fs.window_start, fs.window_end), rolling)


def test_a_coin_is_compared_with_its_tier_and_the_universe(hourly, bundled):
    coin = coin_view(hourly, bundled, "SOL")
    assert coin.cluster_name == bundled.profile.names[bundled.clustering.labels["SOL"]]
    assert 0 <= coin.confidence <= 1
    if bundled.tiers is not None:
        assert coin.peer_group == f"{coin.cluster_name} · tier {coin.tier} of {bundled.tiers.n_tiers}"
    X = bundled.view.features.X
    assert coin.features.loc["sharpe", "value"] == X.loc["SOL", "sharpe"]
    assert coin.features.loc["sharpe", "universe_median"] == X["sharpe"].median()
    assert coin.peers["rank_in_group"] <= coin.peers["group_size"]
    assert coin.peers["gap"] == pytest.approx(coin.peers["momentum_30d"] - coin.peers["group_median"])


def test_unknown_or_left_out_symbols_say_why(hourly, bundled):
    with pytest.raises(ParameterError, match=r"No symbol 'SOLL'.*Closest: SOL"):
        find_symbol(bundled, "SOLL")
    late = run_clustering(hourly, FeatureConfig(lookback_days=90, as_of=pd.Timestamp("2023-04-30", tz="UTC")),
                          reduction=PCA)
    assert "ARB" in set(late.view.features.dropped["symbol"])  # listed in March 2023: too little of the window
    with pytest.raises(ParameterError, match=r"arb is not clustered in this window: returns on 41%"):
        find_symbol(late, "arb")


def test_group_history_follows_the_published_groups_and_its_mates():
    dates = pd.date_range("2024-01-31", periods=3, freq="ME", tz="UTC")
    published = [pd.Series({"A": 0, "B": 0, "C": 1}), pd.Series({"A": 0, "B": 1, "C": 1}),
                 pd.Series({"B": 1, "C": 1})]
    months = []
    for date, labels in zip(dates, published, strict=True):
        X = pd.DataFrame({"annualized_vol": 1.0}, index=labels.index)
        fit = type("Fit", (), {"labels": labels})()
        months.append(Month(MonthFit(date, X, X, fit), labels, pd.Series({0: "Calm", 1: "Wild"}),
                            pd.Series(dtype=object), pd.Series(dtype=object), False, np.nan, np.nan))
    history = group_history(months, "B")
    assert history["cluster_name"].tolist() == ["Calm", "Wild", "Wild"]
    assert history["changed_group"].tolist() == [False, True, False]
    assert np.isnan(history["mates_kept"].iloc[0])
    assert history["mates_kept"].iloc[1] == 0.0 and history["mates_kept"].iloc[2] == 1.0  # {A} -> {C} -> {C}
    assert group_history(months, "A")["cluster_name"].iloc[-1] == "not in the universe"


def test_the_neighbours_cli_writes_every_other_symbol_once(tmp_path, hourly):
    out = tmp_path / "neighbours.csv"
    done = run_cli("neighbours", "--data", "sample", "--symbol", "SOL", "--lookback-days", "90", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "SOL is in" in done.stdout and "nearest in behaviour" in done.stdout
    table = pd.read_csv(out)
    assert list(table.columns) == ["symbol", "cluster", "cluster_name", "same_group", "behaviour_distance",
                                   "correlation", "residual_correlation"]
    assert table["symbol"].is_unique and "SOL" not in set(table["symbol"]) and len(table) == 143
    result = run_clustering(hourly, reduction=PCA)
    expected = window_returns(hourly, result.view.features).corr(min_periods=10)["SOL"]
    got = table.set_index("symbol")["correlation"]
    assert (got - expected[got.index]).abs().max() < 1e-9
    bad = run_cli("neighbours", "--data", "sample", "--symbol", "NOPE", "--out", str(out))
    assert bad.returncode == 2 and bad.stderr.startswith("error: No symbol 'NOPE'") and len(
        bad.stderr.strip().splitlines()) == 1
