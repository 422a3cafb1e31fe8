"""Feature engine against a seed-style per-symbol pandas loop, on 2 years of hourly bars."""

from __future__ import annotations

import gc
import time

import numpy as np
import pandas as pd

from benchmarks._harness import Row, best_of, peak_memory_mb
from benchmarks._synthetic import synthetic_market
from cluster_core.data import MarketData
from cluster_core.features import compute_features
from cluster_core.features._hygiene import _correlated_pairs

LOOKBACK = 730  # the whole 2 years: every bar is in the window
SIZES = (100, 1000, 5000)
BASELINE_CAP = 1000  # the loop is linear in symbols: above this, time a subset and scale


def seed_style_features(data: MarketData, lookback_days: int) -> pd.DataFrame:
    """What a first prototype does: a pandas loop over symbols, one Series at a time."""
    end = data.close.index[-1]
    start = end - pd.Timedelta(days=lookback_days)
    periods = data.bars_per_year
    btc = data.close["BTC"].pct_change(fill_method=None).loc[start:end].iloc[1:]
    rows = {}
    for symbol in data.symbols:
        close = data.close[symbol]
        r = close.pct_change(fill_method=None).loc[start:end].iloc[1:]
        window = close.loc[start:end].iloc[1:]
        clean = r.dropna()
        var95 = clean.quantile(0.05)
        rows[symbol] = {
            "annualized_return": clean.mean() * periods,
            "annualized_vol": clean.std() * np.sqrt(periods),
            "sharpe": clean.mean() / clean.std() * np.sqrt(periods),
            "skewness": clean.skew(),
            "kurtosis": clean.kurt(),
            "var_95": var95,
            "cvar_95": clean[clean <= var95].mean(),
            "momentum_30d": window.iloc[-1] / close.asof(end - pd.Timedelta(days=30)) - 1,
            "trend_strength": abs(clean.mean()) / clean.std(),
            "max_drawdown": (window / window.cummax() - 1).min(),
            "btc_corr": r.corr(btc),
            "avg_daily_volume_usd": data.volume_usd[symbol].loc[start:end].resample("1D").sum().mean(),
            "beta_btc": r.cov(btc) / btc.var(),
            "downside_vol": np.sqrt((clean.clip(upper=0) ** 2).mean()) * np.sqrt(periods),
            "autocorr_1": r.autocorr(1),
            "amihud_illiquidity": (r.abs() / data.volume_usd[symbol].loc[start:end].iloc[1:]).mean() * 1e6,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def run() -> list[Row]:
    rows = []
    for n in SIZES:
        data = synthetic_market(n)
        matrix_mb = data.close.to_numpy().nbytes / 2**20
        compute_features(data, lookback_days=LOOKBACK)  # warm-up
        engine = best_of(lambda data=data: compute_features(data, lookback_days=LOOKBACK), repeat=3)
        peak = peak_memory_mb(lambda data=data: compute_features(data, lookback_days=LOOKBACK))
        subset = data if n <= BASELINE_CAP else data.select(list(data.symbols[:BASELINE_CAP]))
        start = time.perf_counter()
        seed_style_features(subset, LOOKBACK)
        baseline = (time.perf_counter() - start) * n / subset.n_symbols
        note = f"peak = {peak / matrix_mb:.2f}x the {matrix_mb:,.0f} MB price matrix"
        if subset is not data:
            note += f"; baseline timed on {BASELINE_CAP} symbols, scaled x{n / BASELINE_CAP:g}"
        rows.append(Row("features, 17 per symbol, 2y hourly window", f"{n:,} symbols x 17,520 bars",
                        engine, baseline, peak, note))
        del data, subset
        gc.collect()
    rows.append(_duplicate_screen())
    return rows


def _all_pairs_corr(returns: np.ndarray) -> np.ndarray:
    """The previous duplicate screen: the pairwise-complete formula on every pair (four k x k products)."""
    valid = ~np.isnan(returns)
    r, v = np.where(valid, returns, 0.0), valid.astype(np.float64)
    n, sx, sxx, sxy = v @ v.T, r @ v.T, (r * r) @ v.T, r @ r.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sxy - sx * sx.T / n) / np.sqrt((sxx - sx * sx / n) * (sxx - sx * sx / n).T)


def _duplicate_screen(k: int = 5000, bars: int = 960, gappy: int = 250) -> Row:
    """Hygiene's duplicate screen at 5,000 symbols x 40 days of hourly bars, 5 % of the symbols with gaps."""
    rng = np.random.default_rng(0)
    returns = rng.standard_normal((k, bars)) * 0.01
    for i in rng.choice(k, gappy, replace=False):
        start = rng.integers(0, bars - 60)
        returns[i, start : start + rng.integers(5, 60)] = np.nan
    for copy, source in rng.choice(k, (20, 2), replace=False):  # wrapped / bridged copies to find
        returns[copy] = returns[source] * rng.uniform(0.5, 2) + rng.standard_normal(bars) * 1e-4
    engine = best_of(lambda: _correlated_pairs(returns, 0.99, min_bars=10), repeat=2)
    baseline = best_of(lambda: _all_pairs_corr(returns), repeat=1)
    every = _all_pairs_corr(returns)
    with np.errstate(invalid="ignore"):
        expected = list(zip(*np.nonzero(np.triu(every > 0.99, 1)), strict=True))
    flags_equal = [(i, j) for i, j, _ in _correlated_pairs(returns, 0.99, min_bars=10)] == expected
    return Row("hygiene duplicate screen (pairwise-complete correlations)", f"{k:,} symbols x {bars} bars, "
               f"{gappy} with gaps", engine, baseline,
               note=f"blocks of the upper triangle in float32, candidates re-checked in float64; baseline: four k x k "
                    f"products in float64; same pairs: {flags_equal}")
