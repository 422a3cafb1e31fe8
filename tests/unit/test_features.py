"""The vectorised feature engine against a slow per-symbol pandas reference and hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cluster_core.data import build_market_data
from cluster_core.errors import DataError, ParameterError
from cluster_core.features import FEATURE_INFO, Feature, MarketMode, compute_features
from tests.conftest import assert_matches_reference, make_market
from tests.reference import reference_features


@pytest.mark.parametrize(
    ("lookback", "as_of"),
    [(90, None), (60, "2022-05-20"), (30, "2022-11-15 13:00"), (400, "2022-12-01"), (7, "2023-03-11")],
    ids=["last-90d", "luna-crash", "ftx-crash", "400d", "usdc-depeg-week"],
)
def test_engine_matches_reference_on_bundled_hourly(hourly, lookback, as_of):
    result = compute_features(hourly, lookback_days=lookback, as_of=as_of, min_coverage=0.0)
    as_of_ts = None if as_of is None else pd.Timestamp(as_of, tz="UTC")
    assert_matches_reference(result.X, reference_features(hourly, lookback, as_of=as_of_ts))


def test_engine_matches_reference_on_bundled_daily(daily):
    result = compute_features(daily, lookback_days=365, min_coverage=0.0)
    assert_matches_reference(result.X, reference_features(daily, 365))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("freq", ["1h", "1D"])
def test_engine_matches_reference_on_synthetic_gappy_markets(seed, freq):
    n_bars = 24 * 60 if freq == "1h" else 400
    md = make_market(n_symbols=7, n_bars=n_bars, freq=freq, seed=seed)
    lookback = 40 if freq == "1h" else 300
    result = compute_features(md, lookback_days=lookback, min_coverage=0.0)
    assert_matches_reference(result.X, reference_features(md, lookback))


def test_long_window_uses_preselected_var_path_and_matches(hourly):
    # 2,000+ bars switch VaR to the pre-selection path
    result = compute_features(hourly.select(["BTC", "ETH", "SOL", "USDC", "LUNA", "FTT"]), lookback_days=200,
                              as_of="2022-12-31", min_coverage=0.0)
    reference = reference_features(hourly.select(["BTC", "ETH", "SOL", "USDC", "LUNA", "FTT"]), 200,
                                   as_of=pd.Timestamp("2022-12-31", tz="UTC"))
    assert_matches_reference(result.X, reference)


def _seven_day_market() -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=8, freq="1D", tz="UTC")
    coin = [100.0, 110.0, 99.0, 99.0, 108.9, 108.9, 114.345, 108.62775]
    return pd.concat(
        [
            pd.DataFrame({"timestamp": index, "symbol": "COIN", "close": coin, "volume_usd": [1e6] * 8}),
            pd.DataFrame({"timestamp": index, "symbol": "BTC", "close": np.arange(100.0, 108.0), "volume_usd": 5e6}),
            pd.DataFrame({"timestamp": index, "symbol": "FLAT", "close": [1.0] * 8, "volume_usd": [0.0] * 8}),
        ]
    )


def test_hand_computed_seven_day_window():
    """Returns 0.1, -0.1, 0, 0.1, 0, 0.05, -0.05 (the first from the bar before the window); P = 365."""
    md = build_market_data(_seven_day_market(), source="hand")
    fs = compute_features(md, lookback_days=7)
    coin = fs.X.loc["COIN"]
    expected = {
        "annualized_return": 5.214285714285715,
        "annualized_vol": 1.4290772913883647,
        "sharpe": 3.648707978012846,
        "trend_strength": 0.19098210422376913,
        "skewness": -0.25599728864037163,
        "kurtosis": -0.9677682209144409,
        "downside_vol": 0.8073324682469512,
        "sortino": 6.458659745975609,
        "var_95": -0.085,
        "cvar_95": -0.1,
        "max_drawdown": -0.1,
        "btc_corr": 0.15336593029897885,
        "beta_btc": 56.29387160797862,
        "autocorr_1": -0.46625240412015684,
        "avg_daily_volume_usd": 1e6,
        "amihud_illiquidity": (0.1 + 0.1 + 0.1 + 0.05 + 0.05) / 7 / 1e6 * 1e6,
    }
    for name, value in expected.items():
        assert coin[name] == pytest.approx(value, rel=1e-9), name
    assert np.isnan(coin["momentum_30d"])  # no close 30 days before
    assert fs.n_bars == 7 and fs.bars_per_year == 365
    assert fs.window_start == pd.Timestamp("2024-01-02", tz="UTC")


def test_constant_price_gives_finite_conventional_values():
    md = build_market_data(_seven_day_market(), source="hand")
    flat = compute_features(md, lookback_days=7).X.loc["FLAT"]
    for name in ("annualized_return", "annualized_vol", "sharpe", "skewness", "kurtosis", "trend_strength",
                 "var_95", "cvar_95", "max_drawdown", "btc_corr", "beta_btc", "downside_vol", "sortino", "autocorr_1"):
        assert flat[name] == 0.0, name
    assert flat["avg_daily_volume_usd"] == 0.0
    assert np.isnan(flat["amihud_illiquidity"])  # never traded: no price impact to measure


def test_stablecoin_in_bundled_data_has_finite_features(hourly):
    x = compute_features(hourly, lookback_days=90).X.loc["USDC"]
    assert np.isfinite(x.drop("momentum_30d")).all()
    assert x["annualized_vol"] < 0.05


def test_missing_benchmark_gives_nan_and_a_warning(hourly):
    fs = compute_features(hourly.select(["ETH", "SOL", "ADA", "XRP"]), lookback_days=30)
    assert fs.X["btc_corr"].isna().all() and fs.X["beta_btc"].isna().all()
    assert fs.warnings == ("Benchmark BTC is not in the data: btc_corr and beta_btc are NaN.",)
    assert fs.X["annualized_vol"].notna().all()


def test_other_benchmark(hourly):
    fs = compute_features(hourly, lookback_days=30, benchmark="eth")
    assert fs.X.loc["ETH", "btc_corr"] == pytest.approx(1.0)
    assert fs.config.benchmark == "ETH"


def test_coverage_rule_drops_and_explains(hourly):
    fs = compute_features(hourly, lookback_days=90, as_of="2023-08-31")
    dropped = fs.dropped.set_index("symbol")["reason"]
    assert "no return in the window" in dropped["LUNA_OLD"]
    assert "returns on 39% of the window" in dropped["FDUSD"]  # listed 2023-07-26
    assert "FDUSD" not in fs.X.index and "BTC" in fs.X.index
    assert "not listed yet" in dropped["ORDI"] and "FTT" in dropped.index  # FTT halted
    assert set(fs.dropped["symbol"]).isdisjoint(fs.X.index)
    assert len(fs.X) + len(fs.dropped) == hourly.n_symbols


def test_daily_and_hourly_annualise_with_365_days(hourly, daily):
    h = compute_features(hourly, lookback_days=365, as_of="2023-06-30").X.loc["BTC", "annualized_vol"]
    d = compute_features(daily, lookback_days=365, as_of="2023-06-30").X.loc["BTC", "annualized_vol"]
    assert h == pytest.approx(d, rel=0.25)  # same asset, same year, two bar sizes
    assert compute_features(daily, lookback_days=30).bars_per_year == 365


def test_btc_residual_mode_removes_the_market(hourly):
    raw = compute_features(hourly, lookback_days=90)
    resid = compute_features(hourly, lookback_days=90, market_mode="btc-residual")
    assert resid.X.loc["BTC", "annualized_vol"] == 0.0
    assert resid.X.loc["BTC", "sharpe"] == 0.0
    assert (resid.X["annualized_vol"] <= raw.X["annualized_vol"] + 1e-12).all()
    # exposure features are kept raw
    pd.testing.assert_series_equal(resid.X["btc_corr"], raw.X["btc_corr"])
    pd.testing.assert_series_equal(resid.X["max_drawdown"], raw.X["max_drawdown"])


def test_pc1_residual_mode_is_deterministic_and_lowers_correlation_spread(hourly):
    a = compute_features(hourly, lookback_days=90, market_mode=MarketMode.PC1_RESIDUAL)
    b = compute_features(hourly, lookback_days=90, market_mode="pc1-residual")
    pd.testing.assert_frame_equal(a.X, b.X)
    raw = compute_features(hourly, lookback_days=90)
    assert a.X["annualized_vol"].median() < raw.X["annualized_vol"].median()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lookback_days": 3}, ParameterError, r"`lookback_days` must be an int in \[7, 3650\]; got 3"),
        ({"lookback_days": 90.5}, ParameterError, "`lookback_days`"),
        ({"min_coverage": 1.5}, ParameterError, "`min_coverage`"),
        ({"market_mode": "pca"}, ParameterError, "`market_mode` must be one of"),
        ({"as_of": "not a date"}, ParameterError, "`as_of` must be a date"),
        ({"as_of": "2020-01-01"}, DataError, "before the first bar"),
        ({"lookback_days": 2000}, DataError, "before the data's first bar"),
        ({"flavour": 1}, ParameterError, "Unknown feature option"),
    ],
)
def test_bad_parameters(hourly, kwargs, error, match):
    with pytest.raises(error, match=match):
        compute_features(hourly, **kwargs)


def test_too_few_symbols_after_coverage(hourly):
    with pytest.raises(DataError, match="Only 0 symbol"):
        compute_features(hourly.select(["LUNA_OLD", "BTT", "GXS", "BTC"]), lookback_days=30, min_coverage=1.0)


def test_every_feature_has_a_definition(hourly):
    fs = compute_features(hourly, lookback_days=30)
    assert list(fs.X.columns) == [f.value for f in FEATURE_INFO]
    assert set(FEATURE_INFO) == set(Feature)
