"""Universe hygiene: flag pegged assets, near-duplicates and late listings; the user decides."""

from __future__ import annotations

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
    closes = data.close[list(X.index)].to_numpy().T[:, first : last + 1]
    rows: list[tuple[str, str, str]] = []
    pegged = _pegged(X, closes, peg_max_vol, peg_band, rows)
    _duplicates(data, X, first, last, pegged, duplicate_corr, rows)
    _late(X, closes, data.close.index[first : last + 1], late_share, rows)
    return pd.DataFrame(rows, columns=list(HYGIENE_COLUMNS))


def _pegged(X: pd.DataFrame, closes: np.ndarray, max_vol: float, band: float, rows: list) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        median = np.nanmedian(closes, axis=1)
        spread = np.nanmax(np.abs(closes / median[:, None] - 1.0), axis=1)
    vol = X[Feature.ANNUALIZED_VOL.value].to_numpy()
    pegged = (vol < max_vol) & (spread <= band)
    for i in np.flatnonzero(pegged):
        rows.append(
            (X.index[i], Flag.PEGGED.value, f"vol {vol[i]:.1%}/yr, within ±{spread[i]:.1%} of {median[i]:.4g} USD")
        )
    return pegged


def _duplicates(
    data: MarketData, X: pd.DataFrame, first: int, last: int, pegged: np.ndarray, threshold: float, rows: list
) -> None:
    candidates = [s for s, p in zip(X.index, pegged, strict=True) if not p]
    if len(candidates) < 2:
        return
    lo = max(first - 1, 0)
    close = data.close[candidates].to_numpy().T[:, lo : last + 1]
    returns = close[:, 1:] / close[:, :-1] - 1.0
    corr, n = _pairwise_corr(returns)
    volume = X.loc[candidates, Feature.AVG_DAILY_VOLUME_USD.value].fillna(0).to_numpy()
    i_idx, j_idx = np.nonzero(np.triu(corr > threshold, k=1) & (n >= 10))
    flagged: set[str] = set()
    for i, j in zip(i_idx, j_idx, strict=True):
        keep, copy = (i, j) if volume[i] >= volume[j] else (j, i)
        if candidates[copy] in flagged:
            continue
        flagged.add(candidates[copy])
        rows.append(
            (candidates[copy], Flag.DUPLICATE.value, f"returns {corr[i, j]:.3f} correlated with {candidates[keep]}")
        )


def _pairwise_corr(returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete Pearson correlation of every pair of rows, and the bars each pair shares.

    Rows without a gap (most of a universe) take one matrix product on centred rows;
    only the rows with gaps need the four products of the pairwise-complete formula, and
    only against the others (``m x k`` instead of ``k x k``): at 5,000 symbols that is the
    difference between one and four ``k x k x bars`` products.
    """
    k, bars = returns.shape
    valid = ~np.isnan(returns)
    gappy = np.flatnonzero(~valid.all(axis=1))
    if len(gappy) > k // 2:  # mostly gappy: the all-pairs formula is cheaper
        return _complete_pairs(returns, valid, np.arange(k))
    corr, n = np.full((k, k), np.nan), np.full((k, k), float(bars))
    full = np.flatnonzero(valid.all(axis=1))
    if len(full):
        z = returns[full] - returns[full].mean(axis=1, keepdims=True)
        norm = np.sqrt((z * z).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr[np.ix_(full, full)] = (z @ z.T) / np.outer(norm, norm)
    if len(gappy):
        block, shared = _complete_pairs(returns, valid, gappy)
        corr[gappy, :], corr[:, gappy] = block, block.T
        n[gappy, :], n[:, gappy] = shared, shared.T
    return corr, n


SPARSE_GAPS = 0.05  # below this share of missing returns, the pairwise sums are corrected sparsely


def _complete_pairs(returns: np.ndarray, valid: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correlation of ``rows`` against every row on the bars both have (``len(rows) x k``), and those bar counts.

    The pairwise-complete sums (bars shared, sum of x and x^2 over the bars where the
    other row is present, sum of xy) are, with few missing bars, each row's totals minus
    sparse corrections over the other row's missing bars: one dense ``len(rows) x k x
    bars`` product (sum of xy) instead of five, the same formula.
    """
    r = np.where(valid, returns, 0.0)
    if (~valid).mean() < SPARSE_GAPS:
        from scipy import sparse

        bars = returns.shape[1]
        missing = sparse.csr_matrix(~valid, dtype=np.float64)  # k x bars, a handful per row
        r2 = r * r
        count = missing.sum(axis=1).A1
        n = (missing[rows] @ missing.T).toarray()  # both missing
        n += bars
        n -= count[rows][:, None]
        n -= count[None, :]

        def totals_minus(total: np.ndarray, correction: np.ndarray) -> np.ndarray:
            return np.subtract(total, correction, out=np.asarray(correction))  # in place: k x k arrays are big

        sx = totals_minus(r[rows].sum(axis=1)[:, None], (missing @ r[rows].T).T)  # x where y is present
        sy = totals_minus(r.sum(axis=1)[None, :], missing[rows] @ r.T)
        sxx = totals_minus(r2[rows].sum(axis=1)[:, None], (missing @ r2[rows].T).T)
        syy = totals_minus(r2.sum(axis=1)[None, :], missing[rows] @ r2.T)
    else:
        v = valid.astype(np.float64)
        n = v[rows] @ v.T
        sx, sy = r[rows] @ v.T, v[rows] @ r.T
        sxx, syy = (r[rows] * r[rows]) @ v.T, v[rows] @ (r * r).T
    corr = r[rows] @ r.T  # sum of xy; becomes the correlation in place
    with np.errstate(invalid="ignore", divide="ignore"):
        # corr = (sxy - sx sy / n) / sqrt((sxx - sx^2 / n) (syy - sy^2 / n)), in place: a k x k
        # temporary is 200 MB at 5,000 symbols, and each pass over it costs more than the sparse sums.
        corr -= _over(sx * sy, n)
        sxx -= _over(np.square(sx, out=sx), n)
        syy -= _over(np.square(sy, out=sy), n)
        sxx *= syy
        corr /= np.sqrt(sxx, out=sxx)
    return corr, n


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
