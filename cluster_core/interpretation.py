"""What each cluster *is*: statistics, z-score profiles and unique human-readable names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core.features import Feature

__all__ = ["NAMING_RULES", "ClusterProfile", "NamingRule", "profile_clusters"]

NOISE_NAME = "Noise / outliers"


@dataclass(frozen=True)
class Traits:
    """A cluster's numbers the naming rules read."""

    vol: float  # mean annualised volatility
    vol_ratio: float  # median volatility / the universe's median
    btc_corr: float
    z: pd.Series  # z-scores of the cluster mean against the universe (volume in log10)


@dataclass(frozen=True)
class NamingRule:
    """A name, when it applies, and how strongly (the best-scoring cluster gets the name)."""

    name: str
    condition: str
    applies: Callable[[Traits], bool]
    score: Callable[[Traits], float]


def _z(t: Traits, feature: Feature) -> float:
    value = t.z.get(feature.value, np.nan)
    return 0.0 if pd.isna(value) else float(value)


# Checked in this order; thresholds in one place. z = z-score of the cluster mean.
NAMING_RULES: tuple[NamingRule, ...] = (
    NamingRule("Stablecoins / pegged", "mean annualised vol < 10 %", lambda t: t.vol < 0.10, lambda t: -t.vol),
    NamingRule(
        "Decorrelated assets", "mean BTC correlation < 0.35", lambda t: t.btc_corr < 0.35, lambda t: -t.btc_corr
    ),
    NamingRule(
        "Illiquid small caps", "z(log daily volume) < -0.8",
        lambda t: _z(t, Feature.AVG_DAILY_VOLUME_USD) < -0.8, lambda t: -_z(t, Feature.AVG_DAILY_VOLUME_USD),
    ),
    NamingRule(
        "Deep-drawdown laggards", "z(max drawdown) < -0.8 and z(annualised return) < 0",
        lambda t: _z(t, Feature.MAX_DRAWDOWN) < -0.8 and _z(t, Feature.ANNUALIZED_RETURN) < 0,
        lambda t: -_z(t, Feature.MAX_DRAWDOWN),
    ),
    NamingRule(
        "Strong performers", "z(annualised return) > 0.8 or z(30-day momentum) > 0.8",
        lambda t: max(_z(t, Feature.ANNUALIZED_RETURN), _z(t, Feature.MOMENTUM_30D)) > 0.8,
        lambda t: max(_z(t, Feature.ANNUALIZED_RETURN), _z(t, Feature.MOMENTUM_30D)),
    ),
    NamingRule(
        "High-beta altcoins", "vol > 1.2x the universe median and BTC correlation >= 0.35",
        lambda t: t.vol_ratio > 1.2 and t.btc_corr >= 0.35, lambda t: t.vol_ratio,
    ),
    NamingRule(
        "Blue-chip crypto", "BTC correlation >= 0.6, vol below the median, z(log volume) > 0.3",
        lambda t: t.btc_corr >= 0.6 and t.vol_ratio < 1.0 and _z(t, Feature.AVG_DAILY_VOLUME_USD) > 0.3,
        lambda t: t.btc_corr + _z(t, Feature.AVG_DAILY_VOLUME_USD),
    ),
    NamingRule("Market followers", "BTC correlation >= 0.5", lambda t: t.btc_corr >= 0.5, lambda t: t.btc_corr),
)

_PLAIN = {
    Feature.ANNUALIZED_RETURN.value: "return", Feature.ANNUALIZED_VOL.value: "volatility",
    Feature.SHARPE.value: "Sharpe", Feature.SKEWNESS.value: "skew", Feature.KURTOSIS.value: "tail-risk",
    Feature.VAR_95.value: "VaR", Feature.CVAR_95.value: "CVaR", Feature.MOMENTUM_30D.value: "momentum",
    Feature.TREND_STRENGTH.value: "trend", Feature.MAX_DRAWDOWN.value: "drawdown",
    Feature.BTC_CORR.value: "BTC-correlation", Feature.AVG_DAILY_VOLUME_USD.value: "volume",
    Feature.BETA_BTC.value: "beta", Feature.DOWNSIDE_VOL.value: "downside-risk", Feature.SORTINO.value: "Sortino",
    Feature.AUTOCORR_1.value: "mean-reversion", Feature.AMIHUD.value: "illiquidity",
}


@dataclass(frozen=True, eq=False)
class ClusterProfile:
    """Per-cluster statistics and names.

    Attributes
    ----------
    table : DataFrame
        One row per cluster (noise last): ``cluster``, ``name``, ``size``, ``reason``,
        ``members``, then the mean of every feature in raw units.
    zscores : DataFrame
        Index cluster name, columns features: (cluster mean - universe mean) / universe std
        (volume-like features in log10).
    names : Series
        Name per cluster label.
    """

    table: pd.DataFrame
    zscores: pd.DataFrame
    names: pd.Series

    def name_of(self, labels: pd.Series) -> pd.Series:
        """Cluster name per symbol."""
        return labels.map(self.names).rename("cluster_name")


def profile_clusters(X: pd.DataFrame, labels: pd.Series) -> ClusterProfile:
    """Statistics, z-score profiles and distinct names of the clusters.

    Parameters
    ----------
    X : DataFrame
        Raw features (``FeatureSet.X``), index symbol.
    labels : Series
        Cluster per symbol, ``-1`` = noise.

    Returns
    -------
    ClusterProfile
        Names follow :data:`NAMING_RULES` (first rule that applies, best-scoring cluster
        first); a cluster no rule names gets its most distinctive trait ("High momentum
        group"); names are unique; noise is "Noise / outliers".
    """
    X = X.loc[labels.index]
    logged = X.copy()
    for col in (Feature.AVG_DAILY_VOLUME_USD.value, Feature.AMIHUD.value):
        if col in logged:
            logged[col] = np.log10(logged[col].where(logged[col] > 0))
    mean_u, std_u = logged.mean(), logged.std(ddof=0).replace(0, np.nan)
    clusters = sorted(int(c) for c in labels.unique() if c >= 0)
    vol_median = X[Feature.ANNUALIZED_VOL.value].median()
    traits, z_rows = {}, {}
    for c in clusters:
        members = labels.index[labels == c]
        z = (logged.loc[members].mean() - mean_u) / std_u
        z_rows[c] = z
        vol = X.loc[members, Feature.ANNUALIZED_VOL.value]
        traits[c] = Traits(
            vol=float(vol.mean()),
            vol_ratio=float(vol.median() / vol_median) if vol_median > 0 else np.nan,
            btc_corr=float(X.loc[members, Feature.BTC_CORR.value].mean()),
            z=z,
        )
    names, reasons = _assign_names(traits)
    if (labels < 0).any():
        names[-1] = NOISE_NAME
        reasons[-1] = "not close enough to any group to join it"
        clusters.append(-1)
        z_rows[-1] = (logged.loc[labels.index[labels < 0]].mean() - mean_u) / std_u
    table = _table(X, labels, clusters, names, reasons)
    zscores = pd.DataFrame({names[c]: z_rows[c] for c in clusters}).T
    zscores.index.name = "cluster_name"
    return ClusterProfile(table, zscores, pd.Series(names, name="cluster_name").sort_index())


def _assign_names(traits: dict[int, Traits]) -> tuple[dict[int, str], dict[int, str]]:
    names: dict[int, str] = {}
    reasons: dict[int, str] = {}
    for rule in NAMING_RULES:
        candidates = [c for c in traits if c not in names and rule.applies(traits[c])]
        if candidates:
            best = max(candidates, key=lambda c: rule.score(traits[c]))
            names[best] = rule.name
            reasons[best] = _reason(traits[best], rule.condition)
    taken = set(names.values())
    for c in traits:
        if c in names:
            continue
        z = traits[c].z.dropna()
        label, why = f"Group {c}", "no feature sets it apart"
        for feature in z.abs().sort_values(ascending=False).index:
            candidate = f"{'High' if z[feature] > 0 else 'Low'} {_PLAIN.get(feature, feature)} group"
            if candidate not in taken:
                label, why = candidate, f"most distinctive: {feature} z = {z[feature]:+.1f}"
                break
        while label in taken:  # "Group 3" can only clash with itself, but stay unique whatever happens
            label += "'"
        names[c], reasons[c] = label, _reason(traits[c], why)
        taken.add(label)
    return names, reasons


def _reason(t: Traits, condition: str) -> str:
    return f"vol {t.vol_ratio:.1f}x universe median, BTC corr {t.btc_corr:.2f}; {condition}"


def _table(
    X: pd.DataFrame, labels: pd.Series, clusters: list[int], names: dict[int, str], reasons: dict[int, str]
) -> pd.DataFrame:
    rows = []
    for c in clusters:
        members = sorted(labels.index[labels == c])
        row = {"cluster": c, "name": names[c], "size": len(members), "reason": reasons[c],
               "members": ", ".join(members)}
        row.update(X.loc[members].mean().to_dict())
        rows.append(row)
    return pd.DataFrame(rows)
