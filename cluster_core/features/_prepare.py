"""Preparation of features for clustering: subset, log scale, winsorising, scaling, NaN handling."""

from __future__ import annotations

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
    raw = X.loc[:, list(dict.fromkeys(cfg.features))].astype(np.float64)
    if cfg.log_volume:
        for col in raw.columns:
            if col in {f.value for f in VOLUME_LIKE}:
                values = raw[col].to_numpy()
                with np.errstate(divide="ignore", invalid="ignore"):
                    raw[col] = np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)
    if cfg.log_risk:
        for col in _RISK.intersection(raw.columns):
            magnitude = np.abs(raw[col].to_numpy())  # VaR and CVaR are losses: negative returns
            with np.errstate(divide="ignore", invalid="ignore"):
                raw[col] = np.where(magnitude > 0, np.log(np.where(magnitude > 0, magnitude, 1.0)), np.nan)
    if cfg.tame_moments:
        for col in _MOMENTS.intersection(raw.columns):
            raw[col] = np.arcsinh(raw[col])
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
    empty = [c for c in raw.columns if raw[c].notna().sum() == 0]
    constant = [c for c in raw.columns if c not in empty and raw[c].nunique(dropna=True) <= 1]
    if empty:
        notes.append(f"Dropped feature(s) with no value: {', '.join(empty)}.")
    if constant:
        notes.append(f"Dropped constant feature(s): {', '.join(constant)}.")
    kept = raw.drop(columns=empty + constant)
    if kept.shape[1] == 0:
        raise DataError("No usable feature left (all missing or constant). Choose other features.")
    return kept


def _scale(raw: pd.DataFrame, scaling: Scaling) -> pd.DataFrame:
    if scaling is Scaling.STANDARD:
        return (raw - raw.mean()) / raw.std(ddof=0)
    if scaling is Scaling.ROBUST:
        spread = (raw.quantile(0.75) - raw.quantile(0.25)) / IQR_PER_SD  # in standard-deviation units
        spread = spread.where(spread > 0, raw.std(ddof=0))
        return (raw - raw.median()) / spread
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
