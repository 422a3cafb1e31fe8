"""compute_features: every behavioural feature for every symbol over one window."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cluster_core._typing import FloatArray
from cluster_core._validation import check_enum, check_float, check_int
from cluster_core.data import MarketData
from cluster_core.errors import DataError, ParameterError
from cluster_core.features import _kernels as k
from cluster_core.features._comove import first_pc
from cluster_core.features._names import FEATURE_INFO, Feature, MarketMode

__all__ = ["FeatureConfig", "FeatureSet", "compute_features", "window_bounds"]

MIN_WINDOW_BARS = 5
MOMENTUM_DAYS = 30
# Blocks of ~300k cells keep each temporary near 2.4 MB: cache-friendly, and under the 4 MB
# above which numpy asks for huge pages (whose first-touch faults cost more than the work).
_BLOCK_CELLS = 300_000
_THREADS = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class FeatureConfig:
    """Parameters of :func:`compute_features` (hashable: part of the cache key).

    Parameters
    ----------
    lookback_days : int, default=90
        Window length in days, 7..3650. The window is the bars with timestamp in
        ``(as_of - lookback_days, as_of]``.
    as_of : Timestamp or None, default=None
        End of the window; ``None`` means the last bar. Nothing after it is read.
    benchmark : str, default="BTC"
        Symbol for ``btc_corr`` and ``beta_btc`` (and the BTC market mode).
    min_coverage : float, default=0.8
        Minimum share of the window's bars with a return; symbols below are dropped
        and listed with the reason.
    market_mode : {"raw", "btc-residual", "pc1-residual"}, default="raw"
        Return-based features on raw returns, or on residuals after removing the
        benchmark's beta or the first principal component of all returns.
    """

    lookback_days: int = 90
    as_of: pd.Timestamp | None = None
    benchmark: str = "BTC"
    min_coverage: float = 0.8
    market_mode: MarketMode = MarketMode.RAW

    def validated(self) -> FeatureConfig:
        """Return a copy with every field checked and normalised; raise :class:`ParameterError`."""
        as_of = self.as_of
        if as_of is not None:
            try:
                as_of = pd.Timestamp(as_of)
            except (TypeError, ValueError):
                raise ParameterError(f"`as_of` must be a date; got {self.as_of!r}.") from None
            as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
        return FeatureConfig(
            lookback_days=check_int("lookback_days", self.lookback_days, 7, 3650),
            as_of=as_of,
            benchmark=str(self.benchmark).strip().upper() or "BTC",
            min_coverage=check_float("min_coverage", self.min_coverage, 0.0, 1.0),
            market_mode=check_enum("market_mode", self.market_mode, MarketMode),
        )


@dataclass(frozen=True, eq=False)
class FeatureSet:
    """Features of the symbols that passed the coverage rule.

    Attributes
    ----------
    X : DataFrame of shape (n_symbols, n_features)
        Index ``symbol``, one column per :class:`Feature`, float64.
    dropped : DataFrame
        Columns ``symbol``, ``reason``: symbols left out and why.
    coverage : Series
        Share of the window's bars with a return, for every symbol with a price.
    window_start, window_end : Timestamp
        First and last bar of the window.
    n_bars : int
        Bars in the window.
    bars_per_year : float
    config : FeatureConfig
    warnings : tuple of str
    """

    X: pd.DataFrame
    dropped: pd.DataFrame
    coverage: pd.Series
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    n_bars: int
    bars_per_year: float
    config: FeatureConfig
    warnings: tuple[str, ...] = field(default=())


def window_bounds(data: MarketData, lookback_days: int, as_of: pd.Timestamp | None) -> tuple[int, int]:
    """Row positions ``(first, last)`` of the window's bars, inclusive.

    Raises
    ------
    DataError
        If ``as_of`` is before the first bar, the window starts before the data, or
        it holds fewer than 5 bars.
    """
    index = data.close.index
    end_ts = index[-1] if as_of is None else as_of
    last = int(index.searchsorted(end_ts, side="right")) - 1
    if last < 0:
        raise DataError(f"`as_of` {end_ts:%Y-%m-%d %H:%M} is before the first bar ({index[0]:%Y-%m-%d %H:%M}).")
    start_ts = index[last] - pd.Timedelta(days=lookback_days)
    if start_ts < index[0] - data.interval:
        raise DataError(
            f"A {lookback_days}-day lookback ending {index[last]:%Y-%m-%d} starts {start_ts:%Y-%m-%d}, before the "
            f"data's first bar ({index[0]:%Y-%m-%d}). Shorten the lookback or move the as-of date later."
        )
    first = int(index.searchsorted(start_ts, side="right"))
    if last - first + 1 < MIN_WINDOW_BARS:
        raise DataError(
            f"The window holds {last - first + 1} bars; at least {MIN_WINDOW_BARS} are needed. Lengthen the lookback."
        )
    return first, last


def compute_features(data: MarketData, config: FeatureConfig | None = None, **overrides: object) -> FeatureSet:
    """Compute every :class:`Feature` for every symbol over the window, vectorised.

    Parameters
    ----------
    data : MarketData
    config : FeatureConfig, optional
        Defaults to ``FeatureConfig()``; keyword ``overrides`` replace its fields.

    Returns
    -------
    FeatureSet

    Raises
    ------
    ParameterError
        For a config value out of its domain.
    DataError
        For a window outside the data, or fewer than 3 symbols passing the coverage rule.

    Notes
    -----
    Definitions (r = simple returns of the window's bars, the first one from the bar
    before the window; a missing bar gives a missing return; P = bars per year):

    ``annualized_return = mean(r) * P``; ``annualized_vol = std(r, ddof=1) * sqrt(P)``;
    ``sharpe = mean(r) / std(r) * sqrt(P)``; ``skewness``, ``kurtosis``: pandas' sample
    skew and excess kurtosis; ``var_95``: 5th percentile of r; ``cvar_95``: mean of r at
    or below it; ``momentum_30d = close(t) / close(t - 30 days) - 1``;
    ``trend_strength = |mean(r)| / std(r)``; ``max_drawdown = min(close / cummax(close) - 1)``;
    ``btc_corr``: Pearson corr with the benchmark's r; ``avg_daily_volume_usd``: mean USD
    volume per day. Extras: ``beta_btc``, ``downside_vol``, ``sortino``, ``autocorr_1``,
    ``amihud_illiquidity`` (see :data:`FEATURE_INFO`). A zero variance gives 0 for the
    ratios, skewness and kurtosis instead of a division by zero.

    Examples
    --------
    >>> from cluster_core.data import load_sample
    >>> fs = compute_features(load_sample("daily"), lookback_days=90)
    >>> fs.X.loc["BTC", "annualized_vol"] > 0
    True
    """
    cfg = _merge(config, overrides).validated()
    first, last = window_bounds(data, cfg.lookback_days, cfg.as_of)
    n_bars = last - first + 1
    # Symbol-major views (symbols x bars): MarketData stores each symbol's bars contiguously.
    close_all = data.close.to_numpy().T
    # The bar before the window gives the first return; at the data's start there is none
    # and the blocks prepend a NaN bar.
    close = close_all[:, max(first - 1, 0) : last + 1]
    pad_front = first == 0
    volume = data.volume_usd.to_numpy().T[:, first : last + 1]
    warnings: list[str] = []
    bench, bench_valid = _benchmark_returns(data, cfg.benchmark, close, pad_front, warnings)
    factor = _factor(close, pad_front, bench, bench_valid, cfg.market_mode)
    columns = _run_blocks(close, pad_front, volume, bench, bench_valid, factor, data.bars_per_year, data.interval)
    columns[Feature.MOMENTUM_30D] = _momentum(close_all, data.close.index, last, data.interval)
    X = pd.DataFrame({f.value: columns[f] for f in FEATURE_INFO}, index=pd.Index(data.symbols, name="symbol"))
    coverage = pd.Series(columns["coverage"], index=X.index, name="coverage")
    return _filter(X, coverage, data, cfg, first, last, n_bars, warnings)


def _merge(config: FeatureConfig | None, overrides: dict[str, object]) -> FeatureConfig:
    base = config or FeatureConfig()
    unknown = set(overrides) - set(FeatureConfig.__dataclass_fields__)
    if unknown:
        raise ParameterError(f"Unknown feature option(s): {', '.join(sorted(unknown))}.")
    return FeatureConfig(**{**base.__dict__, **overrides})  # type: ignore[arg-type]


def _benchmark_returns(
    data: MarketData, benchmark: str, close: FloatArray, pad_front: bool, warnings: list[str]
) -> tuple[FloatArray, np.ndarray]:
    n = close.shape[1] - (0 if pad_front else 1)
    if benchmark not in data.symbols:
        warnings.append(f"Benchmark {benchmark} is not in the data: btc_corr and beta_btc are NaN.")
        return np.zeros(n), np.zeros(n, dtype=bool)
    row = _padded(close[data.symbols.index(benchmark)][None, :], pad_front)[0]
    returns = row[1:] / row[:-1] - 1.0
    valid = ~np.isnan(returns)
    if valid.sum() < 3:
        warnings.append(f"Benchmark {benchmark} has fewer than 3 returns in the window: btc_corr and beta_btc are NaN.")
    return np.where(valid, returns, 0.0), valid


def _padded(close: FloatArray, pad_front: bool) -> FloatArray:
    """Return closes with a leading NaN bar when the window starts at the data's first bar."""
    return np.hstack([np.full((close.shape[0], 1), np.nan), close]) if pad_front else close


def _factor(
    close: FloatArray, pad_front: bool, bench: FloatArray, bench_valid: np.ndarray, mode: MarketMode
) -> tuple[FloatArray, np.ndarray] | None:
    if mode is MarketMode.RAW:
        return None
    if mode is MarketMode.BTC_RESIDUAL:
        return bench, bench_valid
    block = k.ReturnBlock.from_close(_padded(close, pad_front))
    keep = block.n >= 0.5 * block.returns.shape[1]
    if keep.sum() < 3:
        raise DataError("The first principal component needs at least 3 symbols with half the window's returns.")
    sub = block.returns[keep]
    std = sub.std(axis=1, keepdims=True)
    scaled = (sub - sub.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)
    series = first_pc(scaled)  # missing returns count as 0
    return series, np.ones(series.shape[0], dtype=bool)


def _run_blocks(
    close: FloatArray,
    pad_front: bool,
    volume: FloatArray,
    bench: FloatArray,
    bench_valid: np.ndarray,
    factor: tuple[FloatArray, np.ndarray] | None,
    periods: float,
    interval: pd.Timedelta,
) -> dict[object, FloatArray]:
    n_symbols = close.shape[0]
    width = max(8, _BLOCK_CELLS // max(1, close.shape[1]))
    starts = list(range(0, n_symbols, width))
    bars_per_day = pd.Timedelta(days=1) / interval

    def block(lo: int) -> dict[object, FloatArray]:
        hi = min(lo + width, n_symbols)
        c = _padded(close[lo:hi], pad_front)
        returns = k.ReturnBlock.from_close(c)
        out: dict[object, FloatArray] = {"coverage": returns.n / returns.returns.shape[1]}
        out.update(k.benchmark_features(returns, bench, bench_valid))
        out.update(k.liquidity_features(returns, volume[lo:hi], bars_per_day))
        out.update(k.drawdown_feature(c[:, 1:]))
        if factor is not None:
            returns = k.residualise(returns, *factor)
        out.update(k.moment_features(returns, periods))
        out.update(k.tail_features(returns))
        out.update(k.autocorr_feature(returns))
        return out

    if len(starts) > 1 and _THREADS > 1:
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            parts = list(pool.map(block, starts))
    else:
        parts = [block(lo) for lo in starts]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _momentum(close_all: FloatArray, index: pd.DatetimeIndex, last: int, interval: pd.Timedelta) -> FloatArray:
    """close(t) / close(t - 30 days) - 1, each the last close seen within one day (or one bar) before."""
    reach = max(1, int(pd.Timedelta(days=1) / interval))
    now = _last_seen(close_all, last, reach)
    then_pos = int(index.searchsorted(index[last] - pd.Timedelta(days=MOMENTUM_DAYS), side="right")) - 1
    if then_pos < 0:
        return np.full(close_all.shape[0], np.nan)
    return now / _last_seen(close_all, then_pos, reach) - 1.0


def _last_seen(close_all: FloatArray, pos: int, reach: int) -> FloatArray:
    lo = max(0, pos - reach + 1)
    block = close_all[:, lo : pos + 1][:, ::-1]
    seen = ~np.isnan(block)
    first = seen.argmax(axis=1)
    values = block[np.arange(block.shape[0]), first]
    return np.where(seen.any(axis=1), values, np.nan)


def _filter(
    X: pd.DataFrame,
    coverage: pd.Series,
    data: MarketData,
    cfg: FeatureConfig,
    first: int,
    last: int,
    n_bars: int,
    warnings: list[str],
) -> FeatureSet:
    index = data.close.index
    has_price = X[Feature.MAX_DRAWDOWN.value].notna().to_numpy()  # NaN only without any price
    keep = (coverage.to_numpy() >= cfg.min_coverage) & has_price & (coverage.to_numpy() * n_bars >= 4)
    reasons = []
    for symbol in X.index[~keep]:
        share = coverage[symbol]
        if share == 0:
            reasons.append("no return in the window (not listed yet, halted or delisted)")
        else:
            reasons.append(f"returns on {share:.0%} of the window's bars, below the {cfg.min_coverage:.0%} minimum")
    dropped = pd.DataFrame({"symbol": list(X.index[~keep]), "reason": reasons})
    kept = X.loc[keep]
    if len(kept) < 3:
        raise DataError(
            f"Only {len(kept)} symbol(s) have returns on at least {cfg.min_coverage:.0%} of the "
            f"{cfg.lookback_days}-day window ending {index[last]:%Y-%m-%d}; at least 3 are needed. "
            "Lower the minimum coverage, move the as-of date, or load more symbols."
        )
    return FeatureSet(
        X=kept,
        dropped=dropped,
        coverage=coverage[has_price],
        window_start=index[first],
        window_end=index[last],
        n_bars=n_bars,
        bars_per_year=data.bars_per_year,
        config=cfg,
        warnings=tuple(warnings),
    )
