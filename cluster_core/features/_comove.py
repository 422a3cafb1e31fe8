"""Co-movement helpers shared by the features, the coin view and the network: pair statistics and market modes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core._typing import FloatArray
from cluster_core.errors import DataError
from cluster_core.features._names import MarketMode

MIN_SHARED_BARS = 10  # a correlation on fewer shared bars is left empty
FULL_SPECTRUM_MAX = 2_000  # above this many symbols, only the largest eigenvalues are computed
TOP_EIGENVALUES = 30  # ... this many at first, doubled while all of them lie above the noise edge
BLOCK = 512  # columns at a time: a few bars x 512 float64 temporaries, whatever the universe's size


def pair_stats(R: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Correlation of each column of ``R`` with ``y``, and its regression slope on ``y``, on the rows both have.

    Vectorised by blocks of :data:`BLOCK` columns (``DataFrame.corrwith`` loops over columns
    in Python: 2.6 s for 5,000 symbols). Fewer than :data:`MIN_SHARED_BARS` shared rows give NaN.

    Parameters
    ----------
    R : array of shape (n_bars, n_series)
        NaN = missing.
    y : array of shape (n_bars,)

    Returns
    -------
    (correlation, slope) : arrays of shape (n_series,)
    """
    corr = np.full(R.shape[1], np.nan)
    slope = np.full(R.shape[1], np.nan)
    y_ok = ~np.isnan(y)
    for lo in range(0, R.shape[1], BLOCK):
        block = R[:, lo:lo + BLOCK]
        both = ~np.isnan(block) & y_ok[:, None]
        n = both.sum(axis=0)
        with np.errstate(all="ignore"):
            x = np.where(both, block, 0.0)
            z = np.where(both, y[:, None], 0.0)
            dx = np.where(both, x - x.sum(axis=0) / n, 0.0)
            dz = np.where(both, z - z.sum(axis=0) / n, 0.0)
            sxz, sxx, szz = (dx * dz).sum(axis=0), (dx * dx).sum(axis=0), (dz * dz).sum(axis=0)
            ok = n >= MIN_SHARED_BARS
            corr[lo:lo + BLOCK] = np.where(ok & (sxx > 0) & (szz > 0), sxz / np.sqrt(sxx * szz), np.nan)
            slope[lo:lo + BLOCK] = np.where(ok & (szz > 0), sxz / szz, np.nan)
    return corr, slope


def first_pc(scaled: FloatArray) -> FloatArray:
    """Time series of the first principal component of standardised returns (symbols x bars, no NaN).

    Power iteration on the symbols' correlation matrix, signed to move with the average
    symbol (the "market"); all zeros when every return is flat.
    """
    weights = np.ones(scaled.shape[0]) / np.sqrt(scaled.shape[0])
    for _ in range(100):
        new = scaled @ (weights @ scaled)
        norm = np.linalg.norm(new)
        if norm == 0:
            return np.zeros(scaled.shape[1])
        new /= norm
        done = np.abs(new - weights).max() < 1e-10
        weights = new
        if done:
            break
    series = weights @ scaled
    return -series if weights.sum() < 0 else series


def residual_returns(returns: pd.DataFrame, mode: MarketMode | str, benchmark: str) -> pd.DataFrame:
    """Return the returns after the market mode: as they are, or ``r_i - beta_i * f`` (BTC or first PC).

    Each beta is estimated on the bars the symbol and the factor both have; missing returns
    stay missing. The benchmark's own residual in BTC-residual mode is exactly zero.

    Parameters
    ----------
    returns : DataFrame
        Bars x symbols, NaN = missing.
    mode : MarketMode
    benchmark : str
        The factor's symbol in BTC-residual mode.

    Raises
    ------
    DataError
        BTC-residual mode without the benchmark in ``returns``; PC1 mode with fewer than 3
        symbols holding half the bars.
    """
    mode = MarketMode(mode)
    if mode is MarketMode.RAW:
        return returns
    R = returns.to_numpy(dtype=np.float64)
    if mode is MarketMode.BTC_RESIDUAL:
        if benchmark not in returns.columns:
            raise DataError(f"The BTC-residual market mode needs the benchmark {benchmark} in the window; it is not.")
        factor = R[:, returns.columns.get_loc(benchmark)]
    else:
        factor = _pc1_factor(R)
    _, beta = pair_stats(R, factor)
    out = R - np.nan_to_num(factor)[:, None] * np.nan_to_num(beta)[None, :]
    if mode is MarketMode.BTC_RESIDUAL:
        out[:, returns.columns.get_loc(benchmark)] = np.where(np.isnan(factor), np.nan, 0.0)
    return pd.DataFrame(out, index=returns.index, columns=returns.columns)


def _pc1_factor(R: FloatArray) -> FloatArray:
    valid = ~np.isnan(R)
    keep = valid.sum(axis=0) >= 0.5 * len(R)
    if keep.sum() < 3:
        raise DataError("The first principal component needs at least 3 symbols with half the window's returns.")
    sub = R[:, keep].T
    mean = np.nanmean(sub, axis=1, keepdims=True)
    std = np.nanstd(sub, axis=1, keepdims=True)
    scaled = np.nan_to_num((sub - mean) / np.where(std > 0, std, 1.0))
    return first_pc(scaled)


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Eigenvalues of a correlation matrix against the Marchenko-Pastur law for its shape.

    Attributes
    ----------
    eigenvalues : array
        Descending; all N of them, or the largest :data:`TOP_EIGENVALUES` above
        :data:`FULL_SPECTRUM_MAX` symbols (``complete`` is False then).
    n_symbols, n_bars : int
    complete : bool
    """

    eigenvalues: FloatArray
    n_symbols: int
    n_bars: int
    complete: bool = True

    @property
    def q(self) -> float:
        """``N / T``."""
        return self.n_symbols / self.n_bars

    @property
    def edge(self) -> float:
        """Upper Marchenko-Pastur edge ``(1 + sqrt(q))^2`` for unit-variance noise."""
        return float((1 + np.sqrt(self.q)) ** 2)

    @property
    def lower_edge(self) -> float:
        """Lower edge ``(1 - sqrt(q))^2``."""
        return float((1 - np.sqrt(self.q)) ** 2)

    @property
    def n_factors(self) -> int:
        """Eigenvalues above the upper edge: the independent drivers beyond noise."""
        return int((self.eigenvalues > self.edge).sum())

    def density(self, x: FloatArray) -> FloatArray:
        """Marchenko-Pastur density at ``x`` (for q <= 1; its point mass at 0 for q > 1 is left out)."""
        x = np.asarray(x, dtype=np.float64)
        lo, hi, q = self.lower_edge, self.edge, self.q
        inside = (x > lo) & (x < hi)
        out = np.zeros_like(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[inside] = np.sqrt((hi - x[inside]) * (x[inside] - lo)) / (2 * np.pi * q * x[inside])
        return out


def marchenko_pastur(correlation: pd.DataFrame | FloatArray, n_bars: int) -> Spectrum:
    """Compute the eigenvalues of ``correlation`` (T = ``n_bars`` observations) with the noise band of its shape."""
    n = len(correlation)
    if n < 2 or n_bars < 2:
        raise DataError(f"The spectrum needs at least 2 symbols and 2 bars; got {n} and {n_bars}.")
    matrix = np.asarray(correlation, dtype=np.float64)
    if n <= FULL_SPECTRUM_MAX:
        values, complete = np.linalg.eigvalsh(matrix)[::-1], True
    else:
        from scipy.sparse.linalg import eigsh

        k, edge = TOP_EIGENVALUES, (1 + np.sqrt(n / n_bars)) ** 2
        while True:
            values = np.sort(eigsh(matrix, k=k, which="LA", return_eigenvectors=False))[::-1]
            if values[-1] <= edge or k >= n // 4:
                break
            k *= 2
        complete = False
    return Spectrum(np.asarray(values, dtype=np.float64), n, int(n_bars), complete)
