"""Vectorised feature kernels over a block of symbols.

Arrays are symbol-major, shape ``(n_symbols, n_bars)`` with each symbol's bars
contiguous (:class:`MarketData` stores its frames this way), so reductions over time
run along the last axis. No loop over symbols or bars runs in Python.

Missing returns are zeroed and remembered as a sparse list of (row, bar) positions
(:class:`ReturnBlock`): sums, dot products and ``einsum`` then run over the dense
array unchanged, and the few terms a gap removes from a masked statistic are
subtracted with ``np.bincount`` over those positions. This keeps the number of
passes over the data small, which is what the speed depends on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cluster_core._typing import BoolArray, FloatArray, IntArray
from cluster_core.features._names import Feature

VAR_LEVEL = 0.05
ROUNDING_NOISE = 1e-12
# A variance below 1e-14 of the mean square is rounding noise (a constant price, or a
# constant return): such a series is treated as having zero variance.
FLAT_RATIO = 1e-14
# Raw-sum covariances are recomputed in two passes when mean^2 * n exceeds this many times
# the centred sum of squares (a mean over ~30 standard deviations: never in market data).
_CANCELLATION = 1e3
_SAMPLE_STRIDE = 16  # VaR pre-selection: every 16th bar estimates a safe threshold
_SAMPLE_LEVEL = 0.08
_MIN_BARS_FOR_PRESELECTION = 2000
# Raw power sums lose precision when the mean is large against the spread; such rows
# (a near-deterministic trend, never seen in market data) are recomputed in two passes.
_MAX_MEAN_TO_STD = 0.05


@dataclass
class ReturnBlock:
    """Simple returns of a block of symbols, with missing ones zeroed.

    Attributes
    ----------
    returns : array of shape (n_symbols, n_bars)
        ``close_t / close_t-1 - 1``; 0 where either close is missing.
    square : array of shape (n_symbols, n_bars)
        ``returns ** 2``.
    valid : bool array of shape (n_symbols, n_bars)
    gap_rows, gap_cols : int arrays
        Positions of the missing returns.
    n : float array of shape (n_symbols,)
        Number of valid returns per symbol.
    """

    returns: FloatArray
    square: FloatArray
    valid: BoolArray
    gap_rows: IntArray
    gap_cols: IntArray
    n: FloatArray

    @classmethod
    def from_close(cls, close: FloatArray) -> ReturnBlock:
        """Build from closes (bars along the last axis, the first one before the window)."""
        returns = np.divide(close[:, 1:], close[:, :-1])
        returns -= 1.0
        # |r| below 1e-12 is float rounding of an unchanged price, not a move: make it exactly 0
        # so that a constant price is flat whatever its scale.
        noise = returns < ROUNDING_NOISE
        noise &= returns > -ROUNDING_NOISE
        np.copyto(returns, 0.0, where=noise)
        return cls.from_returns(returns, np.isnan(returns))

    @classmethod
    def from_returns(cls, returns: FloatArray, missing: BoolArray) -> ReturnBlock:
        """Build from returns and their missing mask (``returns`` is modified in place)."""
        gap_rows, gap_cols = np.divmod(np.flatnonzero(missing), returns.shape[1])
        returns[gap_rows, gap_cols] = 0.0
        n = returns.shape[1] - np.bincount(gap_rows, minlength=returns.shape[0]).astype(np.float64)
        return cls(returns, np.square(returns), ~missing, gap_rows, gap_cols, n)

    def gap_sum(self, values: FloatArray) -> FloatArray:
        """Per row, the sum of ``values[bar]`` over that row's missing bars."""
        return np.bincount(self.gap_rows, weights=values[self.gap_cols], minlength=self.returns.shape[0])

    def gap_sum_2d(self, values: FloatArray, shift: int, keep: BoolArray) -> FloatArray:
        """Per row, the sum of ``values[row, gap + shift]`` over gaps where ``keep`` is True."""
        rows, cols = self.gap_rows[keep], self.gap_cols[keep] + shift
        return np.bincount(rows, weights=values[rows, cols], minlength=self.returns.shape[0])


def moment_features(block: ReturnBlock, periods: float) -> dict[Feature, FloatArray]:
    """Mean/variance-based features, skewness, kurtosis, downside volatility, Sortino.

    Conventions for a zero variance (constant price): Sharpe, trend strength,
    skewness, kurtosis and Sortino are 0.
    """
    r, sq, n = block.returns, block.square, block.n
    s1, s2 = r.sum(axis=1), sq.sum(axis=1)
    s3, s4 = np.einsum("ij,ij->i", sq, r), np.einsum("ij,ij->i", sq, sq)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        m2 = np.maximum(s2 - s1 * mean, 0.0)
        m3 = s3 - 3.0 * mean * s2 + 2.0 * n * mean**3
        m4 = s4 - 4.0 * mean * s3 + 6.0 * mean**2 * s2 - 3.0 * n * mean**4
        redo = np.flatnonzero(mean * mean * (n - 1.0) > _MAX_MEAN_TO_STD**2 * m2)
        if len(redo):
            m2[redo], m3[redo], m4[redo] = _central_moments(r[redo], block.valid[redo], mean[redo])
        flat = m2 <= FLAT_RATIO * s2
        m2 = np.where(flat, 0.0, m2)
        std = np.sqrt(m2 / (n - 1.0))
        skew = np.where(flat, 0.0, m3 / (m2 * np.sqrt(m2)) * (n * np.sqrt(n - 1.0)) / (n - 2.0))
        kurt = np.where(
            flat,
            0.0,
            (n - 1.0) / ((n - 2.0) * (n - 3.0)) * (n * (n + 1.0) * m4 / (m2 * m2) - 3.0 * (n - 1.0)),
        )
        negative = np.minimum(r, 0.0)
        downside = np.sqrt(np.einsum("ij,ij->i", negative, negative) / n) * np.sqrt(periods)
        sharpe = np.where(flat, 0.0, mean / std * np.sqrt(periods))
        trend = np.where(flat, 0.0, np.abs(mean) / std)
        sortino = np.where(downside > 0, mean * periods / downside, 0.0)
    return {
        Feature.ANNUALIZED_RETURN: mean * periods,
        Feature.ANNUALIZED_VOL: std * np.sqrt(periods),
        Feature.SHARPE: sharpe,
        Feature.SKEWNESS: np.where(n < 3, np.nan, skew),
        Feature.KURTOSIS: np.where(n < 4, np.nan, kurt),
        Feature.TREND_STRENGTH: trend,
        Feature.DOWNSIDE_VOL: downside,
        Feature.SORTINO: sortino,
    }


def _central_moments(r: FloatArray, valid: BoolArray, mean: FloatArray) -> tuple[FloatArray, ...]:
    dev = np.where(valid, r - mean[:, None], 0.0)
    dev2 = dev * dev
    return dev2.sum(axis=1), np.einsum("ij,ij->i", dev2, dev), np.einsum("ij,ij->i", dev2, dev2)


def tail_features(block: ReturnBlock) -> dict[Feature, FloatArray]:
    """VaR 95 % (5th percentile, linear interpolation as numpy and pandas) and CVaR 95 %.

    Only the lowest few percent of returns matter, so for long windows a threshold
    taken from every 16th bar (its 8th percentile) pre-selects the candidates, which
    are packed into a small padded array and partitioned there. Rows whose selection
    is too small (never seen in practice) are redone on all their returns.
    """
    r, valid = block.returns, block.valid
    n = block.n.astype(np.intp)
    k_low, k_high, frac = _order_positions(n)
    var95 = np.full(r.shape[0], np.nan)
    cvar95 = np.full(r.shape[0], np.nan)
    todo = n > 0
    if r.shape[1] >= _MIN_BARS_FOR_PRESELECTION:
        threshold = _sample_threshold(r, valid)
        selected = r <= threshold[:, None]
        selected &= valid
        ok = todo & (selected.sum(axis=1) >= k_high + 1)
        rows = np.flatnonzero(ok)
        var95[rows], cvar95[rows] = _var_cvar(r[rows], selected[rows], k_low[rows], k_high[rows], frac[rows])
        todo &= ~ok
    rows = np.flatnonzero(todo)
    if len(rows):
        var95[rows], cvar95[rows] = _var_cvar(r[rows], valid[rows], k_low[rows], k_high[rows], frac[rows])
    return {Feature.VAR_95: var95, Feature.CVAR_95: cvar95}


def _order_positions(n: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    position = VAR_LEVEL * (np.maximum(n, 1) - 1)
    low = np.floor(position).astype(np.intp)
    high = np.minimum(low + 1, np.maximum(n - 1, 0))
    return low, high, position - low


def _sample_threshold(r: FloatArray, valid: BoolArray) -> FloatArray:
    sample = np.where(valid[:, ::_SAMPLE_STRIDE], r[:, ::_SAMPLE_STRIDE], np.inf)
    m = valid[:, ::_SAMPLE_STRIDE].sum(axis=1)
    k = np.floor(_SAMPLE_LEVEL * np.maximum(m - 1, 0)).astype(np.intp)
    sample.partition(np.unique(k), axis=1)
    return sample[np.arange(len(k)), k]


def _var_cvar(
    r: FloatArray, selected: BoolArray, k_low: IntArray, k_high: IntArray, frac: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Order statistics k_low/k_high of each row's selected returns, packed row-wise with +inf padding."""
    counts = selected.sum(axis=1)
    packed = np.full((len(counts), int(counts.max(initial=1))), np.inf)
    values = r[selected]  # row-major: grouped by symbol
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    packed[np.repeat(np.arange(len(counts)), counts), np.arange(len(values)) - starts] = values
    packed.partition(np.unique(np.concatenate([k_low, k_high])), axis=1)
    rows = np.arange(len(counts))
    x_low, x_high = packed[rows, k_low], packed[rows, k_high]
    var95 = x_low + frac * (x_high - x_low)
    below = packed <= var95[:, None]
    cvar95 = np.where(below, packed, 0.0).sum(axis=1) / below.sum(axis=1)
    return var95, cvar95


def benchmark_features(block: ReturnBlock, bench: FloatArray, bench_valid: BoolArray) -> dict[Feature, FloatArray]:
    """Pearson correlation and beta with the benchmark, on bars where both returns exist.

    ``bench`` is zero where ``bench_valid`` is False. Conventions: 0 when either series
    is constant on those bars; NaN with fewer than 3 shared bars.
    """
    cov, var_x, var_y, n = _paired_moments(block, bench, bench_valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where((var_x > 0) & (var_y > 0), cov / np.sqrt(var_x * var_y), 0.0)
        beta = np.where(var_y > 0, cov / var_y, 0.0)
    few = n < 3
    return {
        Feature.BTC_CORR: np.where(few, np.nan, np.clip(corr, -1.0, 1.0)),
        Feature.BETA_BTC: np.where(few, np.nan, beta),
    }


def _paired_moments(
    block: ReturnBlock, bench: FloatArray, bench_valid: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r, sq = block.returns, block.square
    bench_gaps = ~bench_valid
    n = bench_valid.sum() - block.gap_sum(bench_valid.astype(np.float64))
    sx = r.sum(axis=1) - r[:, bench_gaps].sum(axis=1)
    sxx = sq.sum(axis=1) - sq[:, bench_gaps].sum(axis=1)
    sy = bench.sum() - block.gap_sum(bench)
    syy = (bench * bench).sum() - block.gap_sum(bench * bench)
    sxy = r @ bench
    cov, var_x, var_y, n = _centred(sxy, sx, sy, sxx, syy, n)
    # Raw sums lose digits when a mean dwarfs the spread: redo those rows in two passes.
    redo = np.flatnonzero((_cancels(sx, var_x, n) | _cancels(sy, var_y, n)) & (n >= 2))
    if len(redo):
        pair = block.valid[redo] & bench_valid[None, :]
        x = np.where(pair, r[redo], np.nan)
        y = np.where(pair, bench[None, :], np.nan)
        cov[redo], var_x[redo], var_y[redo] = _two_pass(x, y)
    return cov, var_x, var_y, n


def _cancels(s: FloatArray, var: FloatArray, n: FloatArray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return s * s / n > _CANCELLATION * var


def _two_pass(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Centred cross and square sums of rows with NaN for excluded bars (flat ones set to 0)."""
    dx = x - np.nanmean(x, axis=1, keepdims=True)
    dy = y - np.nanmean(y, axis=1, keepdims=True)
    cov, var_x, var_y = np.nansum(dx * dy, axis=1), np.nansum(dx * dx, axis=1), np.nansum(dy * dy, axis=1)
    var_x = np.where(var_x <= FLAT_RATIO * np.nansum(x * x, axis=1), 0.0, var_x)
    var_y = np.where(var_y <= FLAT_RATIO * np.nansum(y * y, axis=1), 0.0, var_y)
    cov = np.where((var_x == 0.0) | (var_y == 0.0), 0.0, cov)
    return cov, var_x, var_y


def _centred(
    sxy: FloatArray, sx: FloatArray, sy: FloatArray, sxx: FloatArray, syy: FloatArray, n: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Covariance and variances (times n) from raw sums; rounding-level variances become 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        var_x = sxx - sx * sx / n
        var_y = syy - sy * sy / n
    var_x = np.where(var_x <= FLAT_RATIO * sxx, 0.0, var_x)
    var_y = np.where(var_y <= FLAT_RATIO * syy, 0.0, var_y)
    cov = np.where((var_x == 0.0) | (var_y == 0.0), 0.0, cov)  # a flat series co-moves with nothing
    return cov, var_x, var_y, n


def autocorr_feature(block: ReturnBlock) -> dict[Feature, FloatArray]:
    """Lag-1 autocorrelation: Pearson corr of (r_t, r_t-1) over consecutive bars that both exist."""
    r, sq, valid = block.returns, block.square, block.valid
    last = r.shape[1] - 1
    before_gap = block.gap_cols < last  # gap at t-1: drop the pair (t-1, t) from the "now" sums
    after_gap = block.gap_cols > 0  # gap at t+1: drop the pair (t, t+1) from the "before" sums
    sxy = np.einsum("ij,ij->i", r[:, 1:], r[:, :-1])
    sx = r.sum(axis=1) - r[:, 0] - block.gap_sum_2d(r, 1, before_gap)
    sy = r.sum(axis=1) - r[:, last] - block.gap_sum_2d(r, -1, after_gap)
    sxx = sq.sum(axis=1) - sq[:, 0] - block.gap_sum_2d(sq, 1, before_gap)
    syy = sq.sum(axis=1) - sq[:, last] - block.gap_sum_2d(sq, -1, after_gap)
    # Pairs lost: every gap at t >= 1 kills (t-1, t); a gap at t <= last-1 also kills (t, t+1)
    # unless t+1 is itself a gap (already counted).
    lost = np.bincount(block.gap_rows[after_gap], minlength=r.shape[0]) + block.gap_sum_2d(
        valid.view(np.uint8), 1, before_gap
    )
    n = last - lost
    cov, var_x, var_y, n = _centred(sxy, sx, sy, sxx, syy, n)
    redo = np.flatnonzero((_cancels(sx, var_x, n) | _cancels(sy, var_y, n)) & (n >= 2))
    if len(redo):
        pair = valid[redo, 1:] & valid[redo, :-1]
        cov[redo], var_x[redo], var_y[redo] = _two_pass(
            np.where(pair, r[redo, 1:], np.nan), np.where(pair, r[redo, :-1], np.nan)
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where((var_x > 0) & (var_y > 0), cov / np.sqrt(var_x * var_y), 0.0)
    return {Feature.AUTOCORR_1: np.where(n < 3, np.nan, np.clip(corr, -1.0, 1.0))}


def liquidity_features(block: ReturnBlock, volume: FloatArray, bars_per_day: float) -> dict[Feature, FloatArray]:
    """Average daily USD volume and Amihud illiquidity (per USD million traded).

    ``avg_daily_volume_usd`` = mean volume per bar over bars with a known volume,
    times bars per day; Amihud = mean of ``|r| / volume`` over bars with a valid
    return and a positive volume, times 1e6.
    """
    traded = volume > 0  # False where the volume is missing (NaN) or zero
    known = traded.sum(axis=1) + (volume == 0).sum(axis=1)
    traded &= block.valid
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_daily = np.add.reduce(volume, axis=1, where=volume > 0) / known * bars_per_day
        impact = np.abs(block.returns)
        np.divide(impact, volume, out=impact, where=traded)
        np.copyto(impact, 0.0, where=~traded)
        amihud = impact.sum(axis=1) / traded.sum(axis=1) * 1e6
    return {
        Feature.AVG_DAILY_VOLUME_USD: np.where(known > 0, avg_daily, np.nan),
        Feature.AMIHUD: amihud,
    }


def drawdown_feature(close: FloatArray, block_size: int = 64) -> dict[Feature, FloatArray]:
    """Maximum drawdown over the window's bars (last axis), missing bars skipped.

    A running maximum (``accumulate``) is slow and holds the GIL, so it runs only where
    needed: bars are cut into blocks of ``block_size``; in a block with no new high the
    running max is the carried peak and the block's worst ratio is ``min / peak``
    exactly; blocks with a new high get bounds, and only those that could hold the
    answer are scanned bar by bar.
    """
    n_rows, n_bars = close.shape
    n_blocks = -(-n_bars // block_size)
    padded = np.full((n_rows, n_blocks * block_size), np.nan)
    padded[:, :n_bars] = close
    tiles = padded.reshape(n_rows, n_blocks, block_size)
    with np.errstate(invalid="ignore", divide="ignore"):
        tile_max = np.fmax.reduce(tiles, axis=2)
        tile_min = np.fmin.reduce(tiles, axis=2)
        carry = np.fmax.accumulate(tile_max, axis=1)
        carry = np.concatenate([np.full((n_rows, 1), np.nan), carry[:, :-1]], axis=1)
        new_high = ~(tile_max <= carry)  # also True where carry is NaN (nothing seen yet)
        exact = np.where(new_high, np.nan, tile_min / carry)
        best = np.fmin.reduce(exact, axis=1)
        lower = tile_min / np.fmax(carry, tile_max)  # no bar of the tile can do worse
        # Tiles with a new high whose lower bound could beat the best exact value are scanned.
        scan = new_high & ~np.isnan(tile_min) & ~(lower >= best[:, None])
        rows, cols = np.nonzero(scan)
        if len(rows):
            seg = tiles[rows, cols]
            start = carry[rows, cols]
            running = np.fmax.accumulate(np.concatenate([start[:, None], seg], axis=1), axis=1)[:, 1:]
            worst = np.fmin.reduce(seg / running, axis=1)
            exact[rows, cols] = worst
        result = np.fmin.reduce(exact, axis=1)
    return {Feature.MAX_DRAWDOWN: result - 1.0}


def residualise(block: ReturnBlock, factor: FloatArray, factor_valid: BoolArray) -> ReturnBlock:
    """Residual returns ``r - beta * f`` (beta = cov(r, f) / var(f) on shared bars), same gaps.

    Where the factor is missing, the residual is the return itself (nothing to remove).
    """
    cov, _, var_f, _ = _paired_moments(block, factor, factor_valid)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(var_f > 0, cov / var_f, 0.0)
    resid = block.returns - beta[:, None] * factor[None, :]
    # A symbol that is the factor (BTC against itself) leaves rounding noise: make it exactly 0.
    explained = np.einsum("ij,ij->i", resid, resid) <= 1e-20 * block.square.sum(axis=1)
    resid[explained] = 0.0
    return ReturnBlock.from_returns(resid, ~block.valid)
