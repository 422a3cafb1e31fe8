"""Universe hygiene flags and preparation of features for clustering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cluster_core.data import build_market_data
from cluster_core.errors import DataError, ParameterError
from cluster_core.features import (
    DEFAULT_FEATURES,
    Flag,
    PrepConfig,
    Scaling,
    apply_hygiene,
    compute_features,
    prepare_features,
    screen_universe,
)
from tests.conftest import make_long


@pytest.fixture(scope="module")
def recent(hourly):
    return compute_features(hourly, lookback_days=90)


def test_stablecoins_are_flagged_pegged_and_depegged_ust_is_not(hourly, recent):
    flags = screen_universe(hourly, recent)
    pegged = set(flags.loc[flags.flag == "pegged", "symbol"])
    assert {"USDC", "TUSD", "BUSD", "FDUSD"} <= pegged
    assert "BTC" not in pegged and "PAXG" not in pegged
    may22 = compute_features(hourly, lookback_days=30, as_of="2022-05-12", min_coverage=0.5)
    flags22 = screen_universe(hourly, may22)
    assert "UST" in may22.X.index
    assert "UST" not in set(flags22.loc[flags22.flag == "pegged", "symbol"])


def test_wrapped_duplicate_is_flagged_against_the_more_liquid_symbol():
    table = make_long(n_symbols=4, n_bars=24 * 40, seed=3)
    copy = table[table.symbol == "S1"].assign(symbol="WS1", volume_usd=lambda d: d.volume_usd / 100)
    copy["close"] *= 1 + np.random.default_rng(0).normal(0, 1e-5, len(copy))
    md = build_market_data(pd.concat([table, copy]), source="test")
    fs = compute_features(md, lookback_days=30, benchmark="S0")
    flags = screen_universe(md, fs)
    dup = flags[flags.flag == "duplicate"]
    assert dup["symbol"].tolist() == ["WS1"]
    assert "correlated with S1" in dup["detail"].item()


def test_late_listing_is_flagged(hourly):
    fs = compute_features(hourly, lookback_days=90, as_of="2023-05-15", min_coverage=0.5)
    flags = screen_universe(hourly, fs)
    late = flags[flags.flag == "late"].set_index("symbol")
    assert "ARB" in late.index  # listed 2023-03-23
    assert "days into the window" in late.loc["ARB", "detail"]
    assert "BTC" not in late.index


def test_apply_hygiene_moves_symbols_to_dropped_with_reason(hourly, recent):
    flags = screen_universe(hourly, recent)
    kept = apply_hygiene(recent, flags, [Flag.PEGGED])
    assert "USDC" not in kept.X.index and "BTC" in kept.X.index
    reason = kept.dropped.set_index("symbol").loc["USDC", "reason"]
    assert reason.startswith("excluded as pegged: vol")
    assert len(kept.X) == len(recent.X) - (flags.flag == "pegged").sum()
    assert apply_hygiene(recent, flags, []) is recent
    with pytest.raises(ParameterError, match="unknown flag 'fiat'"):
        apply_hygiene(recent, flags, ["fiat"])


def test_apply_hygiene_refuses_to_leave_fewer_than_three(hourly):
    fs = compute_features(hourly.select(["BTC", "USDC", "TUSD", "BUSD"]), lookback_days=90)
    with pytest.raises(DataError, match="leaves 1"):
        apply_hygiene(fs, screen_universe(hourly, fs), ["pegged"])


@pytest.mark.parametrize("scaling", list(Scaling))
def test_prepared_features_are_finite_centred_and_clipped(recent, scaling):
    prepared = prepare_features(recent.X, PrepConfig(scaling=scaling, clip=3.0))
    Z = prepared.Z
    assert list(Z.columns) == [f.value for f in DEFAULT_FEATURES]
    assert np.isfinite(Z.to_numpy()).all()
    assert Z.abs().max().max() <= 3.0
    assert (Z.median().abs() < 0.75).all()


def test_log_volume_and_no_zero_filling(recent):
    X = recent.X.copy()
    X.loc["BTC", "annualized_vol"] = np.nan
    prepared = prepare_features(X, PrepConfig(clip=None))
    assert prepared.raw.loc["ETH", "avg_daily_volume_usd"] == pytest.approx(np.log10(X.loc["ETH", "avg_daily_volume_usd"]))
    # the missing cell becomes the column median of the scaled values, not a raw 0
    assert prepared.Z.loc["BTC", "annualized_vol"] == pytest.approx(prepared.Z["annualized_vol"].median())
    assert any("missing value(s) set to their column's median" in n for n in prepared.notes)
    pd.testing.assert_frame_equal(X, X.copy())


def test_winsorize_limits_raw_extremes(recent):
    prepared = prepare_features(recent.X, PrepConfig(winsorize=0.05, clip=None, scaling="standard"))
    raw = prepared.raw["cvar_95"]  # the log of the loss magnitude (log_risk), then winsorised
    logged = np.log(-recent.X["cvar_95"])
    assert raw.min() >= logged.quantile(0.05) - 1e-12 and raw.max() <= logged.quantile(0.95) + 1e-12
    assert raw.min() > logged.min() and raw.max() < logged.max()
    plain = prepare_features(recent.X, PrepConfig(winsorize=0.05, log_risk=False))
    assert plain.raw["cvar_95"].min() >= recent.X["cvar_95"].quantile(0.05) - 1e-12


def test_skew_and_kurtosis_are_tamed_with_arcsinh(recent):
    features = ("kurtosis", "skewness", "annualized_vol")
    tamed = prepare_features(recent.X, PrepConfig(features=features, clip=None)).raw
    plain = prepare_features(recent.X, PrepConfig(features=features, clip=None, tame_moments=False)).raw
    assert np.allclose(tamed["kurtosis"], np.arcsinh(plain["kurtosis"]))
    assert np.allclose(tamed["skewness"], np.arcsinh(plain["skewness"]))
    assert tamed["annualized_vol"].equals(plain["annualized_vol"])


def test_all_nan_and_constant_columns_are_dropped_with_notes(recent):
    X = recent.X.copy()
    X["btc_corr"] = np.nan
    X["beta_btc"] = 1.0
    prepared = prepare_features(X)
    assert "btc_corr" not in prepared.Z.columns and "beta_btc" not in prepared.Z.columns
    assert any("no value: btc_corr" in n for n in prepared.notes)
    assert any("constant feature(s): beta_btc" in n for n in prepared.notes)


def _reference_preparation(X: pd.DataFrame, cfg: PrepConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The preparation written plainly, one column at a time with pandas: ``(raw, Z)``."""
    volume, risk = {"avg_daily_volume_usd", "amihud_illiquidity"}, {"annualized_vol", "downside_vol", "var_95", "cvar_95"}
    raw = pd.DataFrame(index=X.index)
    for col in dict.fromkeys(cfg.features):
        x = X[col].astype(float)
        if cfg.log_volume and col in volume:
            x = np.log10(x.where(x > 0))
        elif cfg.log_risk and col in risk:
            x = np.log(x.abs().where(x.abs() > 0))
        elif cfg.tame_moments and col in {"skewness", "kurtosis"}:
            x = np.arcsinh(x)
        if cfg.winsorize is not None:
            x = x.clip(x.quantile(cfg.winsorize), x.quantile(1 - cfg.winsorize))
        if x.notna().any() and x.nunique() > 1:
            raw[col] = x
    Z = pd.DataFrame(index=X.index)
    for col in raw:
        x = raw[col]
        if cfg.scaling == "standard":
            z = (x - x.mean()) / x.std(ddof=0)
        elif cfg.scaling == "robust":
            spread = (x.quantile(0.75) - x.quantile(0.25)) / 1.349
            z = (x - x.median()) / (spread if spread > 0 else x.std(ddof=0))
        else:
            z = pd.Series(stats.norm.ppf((x.rank() - 0.5) / x.count()), index=x.index)
        if cfg.clip is not None:
            z = z.clip(-cfg.clip, cfg.clip)
        Z[col] = z.fillna(z.median())
    return raw, Z


@pytest.mark.parametrize("scaling", list(Scaling))
@pytest.mark.parametrize("options", [{}, {"winsorize": 0.05, "clip": 3.0},
                                     {"log_volume": False, "log_risk": False, "tame_moments": False}])
def test_preparation_equals_a_plain_column_by_column_reference(recent, scaling, options):
    X = recent.X.copy()
    X.iloc[:7, X.columns.get_loc("annualized_vol")] = np.nan  # gaps: the scaled median fills them
    X["btc_corr"] = np.nan  # no value: dropped
    X["beta_btc"] = 0.5  # constant: dropped
    features = (*dict.fromkeys([f.value for f in DEFAULT_FEATURES] + ["skewness", "kurtosis", "amihud_illiquidity"]),
                "btc_corr", "beta_btc")
    cfg = PrepConfig(features=features, scaling=scaling, trait_weights=False, **options)
    prepared = prepare_features(X, cfg)
    raw, Z = _reference_preparation(X, cfg)
    pd.testing.assert_frame_equal(prepared.raw, raw, rtol=1e-12, check_names=False)
    pd.testing.assert_frame_equal(prepared.Z, Z, rtol=1e-12, check_names=False)


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        (PrepConfig(features=("nope",)), ParameterError, "unknown: nope"),
        (PrepConfig(features=()), ParameterError, "none given"),
        (PrepConfig(scaling="minmax"), ParameterError, "`scaling` must be one of"),
        (PrepConfig(clip=0.1), ParameterError, "`clip`"),
        (PrepConfig(winsorize=0.4), ParameterError, "`winsorize`"),
    ],
)
def test_bad_preparation_options(recent, config, error, match):
    with pytest.raises(error, match=match):
        prepare_features(recent.X, config)


def test_prepare_needs_three_symbols(recent):
    with pytest.raises(DataError, match="at least 3"):
        prepare_features(recent.X.iloc[:2])


@pytest.mark.parametrize("gappy_rows", [3, 20, -1])  # few gappy rows: the one-product path; most: the all-pairs
def test_duplicate_screen_correlation_matches_pandas_pairwise_complete(gappy_rows):  # path; -1: every row, sparsely
    from cluster_core.features._hygiene import _pairwise_corr

    rng = np.random.default_rng(gappy_rows + 1)
    returns = rng.standard_normal((24, 300)) * 0.01
    returns[1] = returns[0] * 2 + rng.standard_normal(300) * 1e-4  # a near duplicate
    returns[5] = 0.0  # constant: no correlation
    if gappy_rows < 0:  # a few missing bars on every row: the sparse corrections
        returns[rng.integers(0, 24, 60), rng.integers(0, 300, 60)] = np.nan
    for i in rng.choice(24, max(gappy_rows, 0), replace=False):
        start = rng.integers(0, 250)
        returns[i, start : start + rng.integers(5, 50)] = np.nan
    corr, shared = _pairwise_corr(returns)
    frame = pd.DataFrame(returns.T)
    expected = frame.corr(min_periods=1).to_numpy()
    np.testing.assert_allclose(corr, expected, rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(shared, frame.notna().astype(float).T.to_numpy() @ frame.notna().astype(float).to_numpy())
    assert corr[0, 1] > 0.99


@pytest.mark.parametrize(("block_rows", "gappy"), [(1, False), (7, True), (24, True), (100, False)])
def test_duplicate_pairs_by_blocks_equal_the_pairs_of_the_whole_matrix(monkeypatch, block_rows, gappy):
    from cluster_core.features import _hygiene

    rng = np.random.default_rng(block_rows)
    returns = rng.standard_normal((40, 200)) * 0.01
    for copy, source in ((3, 0), (17, 9), (39, 2), (25, 24)):  # near duplicates, across block borders
        returns[copy] = returns[source] * rng.uniform(0.5, 3) + rng.standard_normal(200) * 1e-4
    if gappy:  # late listings and scattered gaps: the dense path
        returns[rng.integers(0, 40, 400), rng.integers(0, 200, 400)] = np.nan
        returns[25, :120] = np.nan
    monkeypatch.setattr(_hygiene, "BLOCK_CELLS", block_rows * len(returns))
    corr, shared = _hygiene._pairwise_corr(returns)
    i, j = np.nonzero(np.triu((corr > 0.99) & (shared >= 10), k=1))
    pairs = _hygiene._correlated_pairs(returns, 0.99, min_bars=10)
    assert [(a, b) for a, b, _ in pairs] == list(zip(i.tolist(), j.tolist(), strict=True))
    assert {(a, b) for a, b, _ in pairs} >= {(0, 3), (9, 17), (2, 39), (24, 25)}
    np.testing.assert_allclose([c for _, _, c in pairs], corr[i, j], rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_float32_screen_flags_exactly_the_pairs_of_the_float64_formula_near_the_threshold(seed, gappy):
    from cluster_core.features import _hygiene

    rng = np.random.default_rng(seed)
    k, bars = 30, int(rng.integers(60, 400))
    base = rng.standard_normal((k, bars)) * 0.01 + rng.uniform(-0.01, 0.01, (k, 1))  # drifts: not centred
    for copy in range(1, k, 2):  # every odd row correlated with the one before at 0.985..0.995
        rho = rng.uniform(0.985, 0.995)
        base[copy] = rho * base[copy - 1] + np.sqrt(1 - rho**2) * base[copy] * rng.uniform(0.5, 2)
    if gappy:
        base[rng.integers(0, k, 3 * k), rng.integers(0, bars, 3 * k)] = np.nan
    corr, shared = _hygiene._pairwise_corr(base)
    i, j = np.nonzero(np.triu((corr > 0.99) & (shared >= 10), k=1))
    pairs = _hygiene._correlated_pairs(base, 0.99, min_bars=10)
    assert [(a, b) for a, b, _ in pairs] == list(zip(i.tolist(), j.tolist(), strict=True))
    np.testing.assert_allclose([c for _, _, c in pairs], corr[i, j], rtol=0, atol=1e-12)


def test_flags_read_the_prices_of_the_featured_symbols_whatever_else_the_market_holds(hourly):
    """X drops symbols short of history; the screen must read each remaining symbol's own prices."""
    from cluster_core.data import MarketData

    fs = compute_features(hourly, lookback_days=30, as_of="2022-05-12", min_coverage=0.5)
    kept = list(fs.X.index)
    assert len(kept) < hourly.close.shape[1]  # the view path is not taken here
    only = MarketData(close=hourly.close[kept], volume_usd=hourly.volume_usd[kept], source="kept")
    pd.testing.assert_frame_equal(screen_universe(hourly, fs), screen_universe(only, fs))
    assert {"pegged"} <= set(screen_universe(hourly, fs).flag)
