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
    valid = ~np.isnan(returns)
    r = np.where(valid, returns, 0.0)
    v = valid.astype(np.float64)
    # Pairwise-complete Pearson correlation of every pair at once, by matrix products.
    n = v @ v.T
    sx = r @ v.T
    sxx = (r * r) @ v.T
    sxy = r @ r.T
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        var_x = sxx - sx * sx / n
        corr = cov / np.sqrt(var_x * var_x.T)
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
