"""Universe hygiene: flag pegged assets, near-duplicates and late listings; the user decides."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum

import numpy as np
import pandas as pd

from cluster_core._validation import check_float
from cluster_core.data import MarketData
from cluster_core.errors import DataError, ParameterError
from cluster_core.features._engine import FeatureSet, window_bounds
from cluster_core.features._names import Feature

__all__ = ["Flag", "HYGIENE_COLUMNS", "apply_hygiene", "screen_universe"]

HYGIENE_COLUMNS = ("symbol", "flag", "detail")


class Flag(StrEnum):
    """Groups of symbols a user may want out of a clustering."""

    PEGGED = "pegged"
    DUPLICATE = "duplicate"
    LATE = "late"


def screen_universe(
    data: MarketData,
    features: FeatureSet,
    *,
    peg_max_vol: float = 0.10,
    peg_band: float = 0.05,
    duplicate_corr: float = 0.99,
    late_share: float = 0.05,
) -> pd.DataFrame:
    """Flag symbols of ``features.X`` that distort a behavioural clustering.

    Parameters
    ----------
    data : MarketData
        The data the features were computed from.
    features : FeatureSet
    peg_max_vol : float, default=0.10
        ``pegged``: annualised volatility below this (10 %/year)...
    peg_band : float, default=0.05
        ...and every close of the window within +/- 5 % of the window's median close
        (stablecoins, gold tokens at rest; a depegged coin like UST in May 2022 fails it).
    duplicate_corr : float, default=0.99
        ``duplicate``: return correlation above this with a more liquid symbol
        (wrapped or bridged copies); pegged symbols are not compared.
    late_share : float, default=0.05
        ``late``: first price more than this share of the window after its start.

    Returns
    -------
    DataFrame
        Columns ``symbol``, ``flag`` (:class:`Flag` value), ``detail`` (a readable
        reason); one row per flag, a symbol may have several.
    """
    check_float("peg_max_vol", peg_max_vol, 0.0, 10.0)
    check_float("peg_band", peg_band, 0.0, 1.0)
    check_float("duplicate_corr", duplicate_corr, 0.0, 1.0)
    check_float("late_share", late_share, 0.0, 1.0)
    X = features.X
    first, last = window_bounds(data, features.config.lookback_days, features.config.as_of)
    # Symbol-major prices of X's symbols from the bar before the window (its first return) on:
    # a view of the loaded array when X holds every symbol in order, as it usually does.
    lo = max(first - 1, 0)
    positions = data.close.columns.get_indexer(X.index)
    prices = data.close.to_numpy().T
    prices = prices[:, lo : last + 1] if np.array_equal(positions, np.arange(prices.shape[0])) else \
        prices[positions, lo : last + 1]
    closes = prices[:, first - lo :]
    rows: list[tuple[str, str, str]] = []
    pegged = _pegged(X, closes, peg_max_vol, peg_band, rows)
    _duplicates(X, prices, pegged, duplicate_corr, rows)
    _late(X, closes, data.close.index[first : last + 1], late_share, rows)
    return pd.DataFrame(rows, columns=list(HYGIENE_COLUMNS))


def _pegged(X: pd.DataFrame, closes: np.ndarray, max_vol: float, band: float, rows: list) -> np.ndarray:
    vol = X[Feature.ANNUALIZED_VOL.value].to_numpy()
    calm = np.flatnonzero(vol < max_vol)  # the band is checked for these only (a few, not thousands)
    median, spread = np.full(len(vol), np.nan), np.full(len(vol), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a symbol without prices in the window
        median[calm] = np.nanmedian(closes[calm], axis=1)
        spread[calm] = np.nanmax(np.abs(closes[calm] / median[calm, None] - 1.0), axis=1)
    pegged = (vol < max_vol) & (spread <= band)
    for i in np.flatnonzero(pegged):
        rows.append(
            (X.index[i], Flag.PEGGED.value, f"vol {vol[i]:.1%}/yr, within ±{spread[i]:.1%} of {median[i]:.4g} USD")
        )
    return pegged


def _duplicates(X: pd.DataFrame, prices: np.ndarray, pegged: np.ndarray, threshold: float, rows: list) -> None:
    candidates = [s for s, p in zip(X.index, pegged, strict=True) if not p]
    if len(candidates) < 2:
        return
    close = prices[~pegged] if pegged.any() else prices
    returns = close[:, 1:] / close[:, :-1] - 1.0
    volume = X.loc[candidates, Feature.AVG_DAILY_VOLUME_USD.value].fillna(0).to_numpy()
    flagged: set[str] = set()
    for i, j, corr in _correlated_pairs(returns, threshold, min_bars=10):
        keep, copy = (i, j) if volume[i] >= volume[j] else (j, i)
        if candidates[copy] in flagged:
            continue
        flagged.add(candidates[copy])
        rows.append((candidates[copy], Flag.DUPLICATE.value, f"returns {corr:.3f} correlated with {candidates[keep]}"))


BLOCK_CELLS = 2_000_000  # pairs computed at a time (each of the six block arrays is 8 MB)
SCREEN_MARGIN = 1e-3  # float32 candidates: pairs within this of the threshold are checked in float64


def _correlated_pairs(returns: np.ndarray, threshold: float, min_bars: int) -> list[tuple[int, int, float]]:
    """Pairs ``i < j`` of rows whose pairwise-complete correlation exceeds ``threshold`` on ``min_bars`` shared bars.

    In row order of ``i`` then ``j``. The upper triangle of the correlation matrix is
    computed a block of rows at a time and only the pairs above the threshold are kept,
    so memory is a few blocks, not ``k x k`` (800 MB of temporaries at 5,000 symbols,
    19 GB at 20,000). The blocks are computed in float32 on centred returns (errors near
    1e-6, a thousand times below :data:`SCREEN_MARGIN`) to find candidates above
    ``threshold - SCREEN_MARGIN``; each candidate's correlation is then computed in float64
    from its two rows, so the flags and values are those of the float64 formula.
    """
    k = len(returns)
    sums = _PairSums(returns, np.float32)
    step = max(1, BLOCK_CELLS // k)
    pairs = []
    for lo in range(0, k, step):
        hi = min(lo + step, k)
        corr, n = sums.correlation(slice(lo, hi), slice(lo, k))
        above = (corr > threshold - SCREEN_MARGIN) & (n >= min_bars)
        above &= np.arange(lo, k)[None, :] > np.arange(lo, hi)[:, None]
        for i, j in zip(*np.nonzero(above), strict=True):
            exact, shared = _pair_corr(returns[lo + i], returns[lo + j])
            if exact > threshold and shared >= min_bars:
                pairs.append((lo + int(i), lo + int(j), exact))
    return pairs


def _pair_corr(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Pearson correlation of two return rows on the bars both have (float64), and the number of those bars."""
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    x, y = x - x.mean(), y - y.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        return float((x @ y) / np.sqrt((x @ x) * (y @ y))), int(both.sum())


def _pairwise_corr(returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete Pearson correlation of every pair of rows, and the bars each pair shares (k x k)."""
    every = slice(0, len(returns))
    return _PairSums(returns).correlation(every, every)


SPARSE_GAPS = 0.05  # below this share of missing returns, the pairwise sums are corrected sparsely


class _PairSums:
    """Rows of returns (NaN = missing) prepared for pairwise-complete correlations of any two blocks of rows.

    The pairwise-complete sums (bars shared, sum of x and x^2 over the bars where the
    other row is present, sum of xy) are, with few missing bars, each row's totals minus
    sparse corrections over the other row's missing bars: one dense product (sum of xy)
    instead of five, the same formula.
    """

    def __init__(self, returns: np.ndarray, dtype: type = np.float64) -> None:
        valid = ~np.isnan(returns)
        self.bars = returns.shape[1]
        self.sparse = (~valid).mean() < SPARSE_GAPS
        # Sparse: the rows are held once, as bars x rows in C order (the corrections gather the
        # few bars some row lacks as contiguous runs); BLAS reads a block of rows as its
        # transpose, without a copy.
        r = np.array(returns.T if self.sparse else returns, dtype=dtype)
        invalid = ~(valid.T if self.sparse else valid)
        np.copyto(r, 0.0, where=invalid)
        if dtype is not np.float64:  # centred first: less cancellation in the sums of the shorter float
            axis = 0 if self.sparse else 1
            with np.errstate(invalid="ignore", divide="ignore"):  # a row without returns: zeros below
                mean = r.sum(axis=axis, dtype=np.float64) / (~invalid).sum(axis=axis)
            r -= np.expand_dims(mean, axis).astype(dtype)
            np.copyto(r, 0.0, where=invalid)
        if self.sparse:
            from scipy import sparse

            self.rT = r
            self.missing = sparse.csr_matrix(~valid, dtype=dtype)  # a handful per row
            self.count = self.missing.sum(axis=1).A1
            self.total, self.total2 = r.sum(axis=0), np.einsum("ij,ij->j", r, r)
        else:
            self.r = r
            self.r2 = r * r
            self.v = valid.astype(dtype)

    def _rows(self, rows: slice) -> np.ndarray:
        return self.rT[:, rows].T if self.sparse else self.r[rows]

    def correlation(self, rows: slice, cols: slice) -> tuple[np.ndarray, np.ndarray]:
        """Return the correlation of ``rows`` against ``cols`` (``len(rows) x len(cols)``) and the bars they share."""
        x, y = self._rows(rows), self._rows(cols)
        if self.sparse:
            miss_x, miss_y = self.missing[rows], self.missing[cols]
            n = (miss_x @ miss_y.T).toarray()  # both missing
            n += self.bars
            n -= self.count[rows][:, None]
            n -= self.count[cols][None, :]

            def totals_minus(total: np.ndarray, correction: np.ndarray) -> np.ndarray:
                return np.subtract(total, correction, out=np.asarray(correction))  # in place: the blocks are big

            x_where_y_missing, x2_where_y_missing = _on_missing_bars(miss_y, self.rT[:, rows])
            y_where_x_missing, y2_where_x_missing = _on_missing_bars(miss_x, self.rT[:, cols])
            sx = totals_minus(self.total[rows][:, None], x_where_y_missing.T)  # x where y is present
            sy = totals_minus(self.total[cols][None, :], y_where_x_missing)
            sxx = totals_minus(self.total2[rows][:, None], x2_where_y_missing.T)
            syy = totals_minus(self.total2[cols][None, :], y2_where_x_missing)
        else:
            vx, vy, x2, y2 = self.v[rows], self.v[cols], self.r2[rows], self.r2[cols]
            n = vx @ vy.T
            sx, sy, sxx, syy = x @ vy.T, vx @ y.T, x2 @ vy.T, vx @ y2.T
        corr = x @ y.T  # sum of xy; becomes the correlation in place
        with np.errstate(invalid="ignore", divide="ignore"):
            # corr = (sxy - sx sy / n) / sqrt((sxx - sx^2 / n) (syy - sy^2 / n)), in place: each
            # pass over a temporary costs more than the sparse sums.
            corr -= _over(sx * sy, n)
            sxx -= _over(np.square(sx, out=sx), n)
            syy -= _over(np.square(sy, out=sy), n)
            sxx *= syy
            corr /= np.sqrt(sxx, out=sxx)
        return corr, n


def _on_missing_bars(missing: object, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``missing @ values`` and ``missing @ values**2`` reading only the bars some row of ``missing`` lacks.

    ``missing`` is a sparse rows x bars 0/1 matrix, ``values`` a bars x columns block: the
    product touches only the bars with a 1, usually a few hundred of thousands, so neither
    the whole block nor its square is copied (600 MB of copies at 5,000 symbols otherwise).
    """
    from scipy import sparse

    bars = np.unique(missing.indices)  # type: ignore[attr-defined]
    on_bars = sparse.csr_matrix(
        (missing.data, np.searchsorted(bars, missing.indices), missing.indptr),  # type: ignore[attr-defined]
        shape=(missing.shape[0], len(bars)),  # type: ignore[attr-defined]
    )
    block = values[bars]
    return on_bars @ block, on_bars @ np.square(block)


def _over(values: np.ndarray, n: np.ndarray) -> np.ndarray:
    values /= n
    return values


def _late(X: pd.DataFrame, closes: np.ndarray, index: pd.DatetimeIndex, share: float, rows: list) -> None:
    seen = ~np.isnan(closes)
    first_pos = seen.argmax(axis=1)
    late = first_pos > share * closes.shape[1]
    for i in np.flatnonzero(late):
        days = (index[first_pos[i]] - index[0]) / pd.Timedelta(days=1)
        detail = f"first bar {index[first_pos[i]]:%Y-%m-%d}, {days:.0f} days into the window"
        rows.append((X.index[i], Flag.LATE.value, detail))


def apply_hygiene(features: FeatureSet, flags: pd.DataFrame, drop: Iterable[Flag | str]) -> FeatureSet:
    """Remove the symbols of the chosen flag groups; they join ``dropped`` with their reason.

    Parameters
    ----------
    features : FeatureSet
    flags : DataFrame
        As :func:`screen_universe` returns.
    drop : iterable of Flag
        Groups to remove; the others stay.

    Raises
    ------
    ParameterError
        For an unknown flag.
    DataError
        If fewer than 3 symbols would remain.
    """
    groups = []
    for flag in drop:
        try:
            groups.append(Flag(flag).value)
        except ValueError:
            raise ParameterError(f"`drop` has an unknown flag {flag!r}; use pegged, duplicate or late.") from None
    chosen = flags[flags["flag"].isin(groups)]
    if chosen.empty:
        return features
    reasons = chosen.groupby("symbol", sort=False)["detail"].agg("; ".join)
    out = [s for s in features.X.index if s not in reasons.index]
    if len(out) < 3:
        raise DataError(
            f"Excluding {', '.join(groups)} symbols leaves {len(out)}; at least 3 are needed. Keep some groups."
        )
    flag_of = chosen.groupby("symbol", sort=False)["flag"].first()
    extra = pd.DataFrame(
        {"symbol": reasons.index, "reason": [f"excluded as {flag_of[s]}: {reasons[s]}" for s in reasons.index]}
    )
    return replace(features, X=features.X.loc[out], dropped=pd.concat([features.dropped, extra], ignore_index=True))
