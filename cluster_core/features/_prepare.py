"""Preparation of features for clustering: subset, log scale, winsorising, scaling, NaN handling."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from scipy import stats

from cluster_core._validation import check_enum, check_float
from cluster_core.errors import DataError, ParameterError
from cluster_core.features._names import DEFAULT_FEATURES, FEATURE_TRAIT, RISK_SCALES, VOLUME_LIKE, Feature

__all__ = ["PrepConfig", "Prepared", "Scaling", "describe_preparation", "prepare_features", "trait_weights"]


class Scaling(StrEnum):
    """How each feature column is put on a common scale."""

    STANDARD = "standard"
    ROBUST = "robust"
    QUANTILE = "quantile"


@dataclass(frozen=True)
class PrepConfig:
    """Parameters of :func:`prepare_features` (hashable).

    Parameters
    ----------
    features : tuple of str, default=DEFAULT_FEATURES
        Columns to use.
    scaling : {"standard", "robust", "quantile"}, default="robust"
        ``standard``: (x - mean) / std; ``robust``: (x - median) / (IQR / 1.349), so that a handful
        of pegged coins far from everything do not squeeze everyone else; ``quantile``:
        ranks mapped to standard-normal scores (outliers lose their leverage).
    clip : float or None, default=None
        Scaled values are clipped to +/- ``clip``; ``None`` keeps them. Off by default:
        after the logarithms below the tails are tame, and clipping piles the tail onto
        one value, a false mode the group search would read as a group.
    winsorize : float or None, default=None
        Raw values are first clipped to their ``[q, 1 - q]`` quantiles.
    log_volume : bool, default=True
        Volume-like features (average daily volume, Amihud) are replaced by their
        base-10 logarithm (non-positive values become missing).
    log_risk : bool, default=True
        Volatility and downside volatility are replaced by their logarithm, VaR and CVaR
        by the logarithm of their magnitude (:data:`RISK_SCALES`): risk spreads
        multiplicatively across coins, and a stablecoin at 1 % sits as far below a 30 %
        coin as that coin sits below one at 900 %.
    tame_moments : bool, default=True
        Skewness and kurtosis are replaced by ``arcsinh`` of themselves: a coin with one
        jump has excess kurtosis 80 where jump-free ones have 1, and on a linear scale that
        one value would squash every other difference in the column.
    trait_weights : bool, default=True
        Each scaled column is multiplied by ``1 / sqrt(columns of its trait)``
        (:data:`FEATURE_TRAIT`): the four volatility measures together weigh as much as
        beta and correlation together, or as volume and illiquidity together.
    """

    features: tuple[str, ...] = tuple(f.value for f in DEFAULT_FEATURES)
    scaling: Scaling = Scaling.ROBUST
    clip: float | None = None
    winsorize: float | None = None
    log_volume: bool = True
    log_risk: bool = True
    tame_moments: bool = True
    trait_weights: bool = True


IQR_PER_SD = 1.349  # the interquartile range of a normal distribution, in standard deviations
_MOMENTS = frozenset({Feature.SKEWNESS.value, Feature.KURTOSIS.value})
_RISK = frozenset(f.value for f in RISK_SCALES)
_KNOWN = frozenset(f.value for f in Feature)
_VOLUME = frozenset(f.value for f in VOLUME_LIKE)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Scaled features, ready for a clustering algorithm.

    Attributes
    ----------
    Z : DataFrame of shape (n_symbols, n_used)
        Scaled, weighted, no NaN.
    raw : DataFrame
        The selected features after the log transforms and winsorising, before scaling.
    notes : tuple of str
        Columns dropped (all missing, constant), cells imputed.
    weights : Series
        The weight of each column of ``Z`` (its trait's share, :data:`FEATURE_TRAIT`).
    """

    Z: pd.DataFrame
    raw: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
    weights: pd.Series | None = None


def prepare_features(X: pd.DataFrame, config: PrepConfig | None = None) -> Prepared:
    """Select, transform and scale features for clustering.

    Missing values are never set to 0 in raw units: a missing cell becomes the
    column's median after scaling (a neutral position), and the count is reported;
    a column with no value at all, or a constant one, is dropped with a note.

    Parameters
    ----------
    X : DataFrame
        ``FeatureSet.X``. Not modified.
    config : PrepConfig, optional

    Returns
    -------
    Prepared

    Raises
    ------
    ParameterError
        Unknown feature names or out-of-range options.
    DataError
        If no usable column remains or fewer than 3 symbols are given.
    """
    cfg = config or PrepConfig()
    scaling = check_enum("scaling", cfg.scaling, Scaling)
    unknown = [f for f in cfg.features if f not in X.columns]
    if unknown or not cfg.features:
        choices = ", ".join(f.value for f in Feature)
        given = ", ".join(unknown) or "none given"
        raise ParameterError(f"`features` must be a non-empty subset of {choices}; unknown: {given}.")
    if len(X) < 3:
        raise DataError(f"{len(X)} symbol(s) have features; clustering needs at least 3.")
    notes: list[str] = []
    columns = list(dict.fromkeys(cfg.features))
    # transformed in place, column by column
    values = X.loc[:, columns].to_numpy(dtype=np.float64, copy=True, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, col in enumerate(columns):
            v = values[:, j]
            if cfg.log_volume and col in _VOLUME:
                values[:, j] = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
            elif cfg.log_risk and col in _RISK:
                magnitude = np.abs(v)  # VaR and CVaR are losses: negative returns
                values[:, j] = np.where(magnitude > 0, np.log(np.where(magnitude > 0, magnitude, 1.0)), np.nan)
            elif cfg.tame_moments and col in _MOMENTS:
                values[:, j] = np.arcsinh(v)
    raw = pd.DataFrame(values, index=X.index, columns=pd.Index(columns))
    if cfg.winsorize is not None:
        q = check_float("winsorize", cfg.winsorize, 0.0, 0.25)
        raw = raw.clip(raw.quantile(q), raw.quantile(1 - q), axis=1)
    raw = _drop_unusable(raw, notes)
    scaled = _scale(raw, scaling)
    if cfg.clip is not None:
        limit = check_float("clip", cfg.clip, 0.5, 100.0)
        scaled = scaled.clip(-limit, limit)
    missing = int(scaled.isna().to_numpy().sum())
    if missing:
        scaled = scaled.fillna(scaled.median())
        notes.append(f"{missing} missing value(s) set to their column's median after scaling.")
    weights = trait_weights(scaled.columns) if cfg.trait_weights else pd.Series(1.0, index=scaled.columns)
    return Prepared(Z=scaled * weights, raw=raw, notes=tuple(notes), weights=weights.rename("weight"))


def trait_weights(columns: pd.Index) -> pd.Series:
    """Weight ``1 / sqrt(k)`` for each of the ``k`` columns that measure one trait (:data:`FEATURE_TRAIT`).

    Examples
    --------
    >>> trait_weights(pd.Index(["annualized_vol", "downside_vol", "beta_btc"])).round(3).tolist()
    [0.707, 0.707, 1.0]
    """
    traits = pd.Series([FEATURE_TRAIT.get(Feature(c), c) if c in _KNOWN else c for c in columns], index=columns)
    return 1.0 / np.sqrt(traits.map(traits.value_counts()).astype(np.float64))


def _drop_unusable(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    values = raw.to_numpy()
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: reported as empty below
        lowest, highest = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    is_empty = ~present.any(axis=0)
    empty = [c for c, e in zip(raw.columns, is_empty, strict=True) if e]
    constant = [c for c, e, lo, hi in zip(raw.columns, is_empty, lowest, highest, strict=True) if not e and lo == hi]
    if empty:
        notes.append(f"Dropped feature(s) with no value: {', '.join(empty)}.")
    if constant:
        notes.append(f"Dropped constant feature(s): {', '.join(constant)}.")
    kept = raw.drop(columns=empty + constant) if empty or constant else raw
    if kept.shape[1] == 0:
        raise DataError("No usable feature left (all missing or constant). Choose other features.")
    return kept


def _scale(raw: pd.DataFrame, scaling: Scaling) -> pd.DataFrame:
    if scaling is Scaling.STANDARD:
        return (raw - raw.mean()) / raw.std(ddof=0)
    if scaling is Scaling.ROBUST:
        values = raw.to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column with one value: spread 0, handled below
            low, median, high = np.nanquantile(values, [0.25, 0.5, 0.75], axis=0)
            spread = (high - low) / IQR_PER_SD  # in standard-deviation units
            spread = np.where(spread > 0, spread, np.nanstd(values, axis=0))
        return pd.DataFrame((values - median) / spread, index=raw.index, columns=raw.columns)
    ranks = raw.rank(method="average")
    counts = raw.notna().sum()
    return pd.DataFrame(stats.norm.ppf((ranks - 0.5) / counts), index=raw.index, columns=raw.columns)


def describe_preparation(config: PrepConfig | None = None) -> pd.DataFrame:
    """Tabulate what preparation does to each selected feature: its trait, transform and weight.

    Examples
    --------
    >>> row = describe_preparation().set_index("feature").loc["var_95"]
    >>> row["trait"], row["transform"], float(row["weight"])
    ('risk level', 'log of the loss magnitude', 0.5)
    """
    cfg = config or PrepConfig()
    columns = pd.Index(list(dict.fromkeys(cfg.features)))
    weights = trait_weights(columns) if cfg.trait_weights else pd.Series(1.0, index=columns)
    rows = []
    for name in columns:
        feature = Feature(name)
        if cfg.log_volume and feature in VOLUME_LIKE:
            transform = "log10"
        elif cfg.log_risk and name in _RISK:
            transform = "log of the loss magnitude" if name in (Feature.VAR_95.value, Feature.CVAR_95.value) else "log"
        elif cfg.tame_moments and name in _MOMENTS:
            transform = "arcsinh"
        else:
            transform = "none"
        rows.append((name, FEATURE_TRAIT[feature].value, transform, float(weights[name])))
    return pd.DataFrame(rows, columns=["feature", "trait", "transform", "weight"])
