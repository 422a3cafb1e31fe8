"""What each cluster *is*: statistics, z-score profiles and unique human-readable names."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core.features import Feature

__all__ = ["NAMING_RULES", "ClusterProfile", "NamingRule", "profile_clusters"]

NOISE_NAME = "Noise / outliers"


@dataclass(frozen=True)
class Traits:
    """A cluster set against the *other* clusters' members (not the whole universe).

    ``ratio``: the cluster's median over the others' median, for positive quantities
    (volatility, volume, illiquidity); ``diff``: median minus the others' median (BTC
    correlation, beta, arcsinh of kurtosis); ``contrast``: that difference in units of
    the universe's standard deviation (volume-like features in log10), per feature.
    """

    ratio: dict[str, float]
    universe_ratio: dict[str, float]  # the cluster's median over the whole universe's
    inside: pd.Series  # raw medians of the cluster
    outside: pd.Series  # raw medians of the others
    diff: dict[str, float]
    contrast: pd.Series
    share: float  # the cluster's share of the clustered symbols

    @property
    def vol(self) -> float:
        """Median annualised volatility of the cluster."""
        return float(self.inside[_VOL])

    @property
    def corr(self) -> float:
        """Median BTC correlation of the cluster."""
        return float(self.inside[_CORR])

    @property
    def others_corr(self) -> float:
        """Median BTC correlation of the other clusters' members."""
        return float(self.outside[_CORR])


@dataclass(frozen=True)
class NamingRule:
    """A name, when it applies, and how strongly (the best-scoring cluster gets the name)."""

    name: str
    condition: str
    applies: Callable[[Traits], bool]
    score: Callable[[Traits], float]


_VOL, _VOLUME = Feature.ANNUALIZED_VOL.value, Feature.AVG_DAILY_VOLUME_USD.value
_BETA, _CORR, _KURT = Feature.BETA_BTC.value, Feature.BTC_CORR.value, Feature.KURTOSIS.value


def _r(t: Traits, feature: str) -> float:
    value = t.ratio.get(feature, np.nan)
    return 1.0 if pd.isna(value) else float(value)


def _d(t: Traits, feature: str) -> float:
    value = t.diff.get(feature, np.nan)
    return 0.0 if pd.isna(value) else float(value)


# Checked in this order; thresholds in one place. "others" = members of the other clusters.
NAMING_RULES: tuple[NamingRule, ...] = (
    NamingRule("Stablecoins / pegged", "median annualised vol < 10 %", lambda t: t.vol < 0.10, lambda t: -t.vol),
    NamingRule(
        "Blue-chip crypto", "volume >= 3x the others' and the universe median, volatility below the others'",
        lambda t: min(_r(t, _VOLUME), t.universe_ratio.get(_VOLUME, 1.0)) >= 3 and _r(t, _VOL) < 1,
        lambda t: np.log(_r(t, _VOLUME)),
    ),
    NamingRule(
        "Illiquid small caps", "volume <= 1/3 of the others' and half the universe median or less",
        lambda t: _r(t, _VOLUME) <= 1 / 3 and t.universe_ratio.get(_VOLUME, 1.0) <= 0.5,
        lambda t: -np.log(_r(t, _VOLUME)),
    ),
    NamingRule(
        "Decorrelated assets", "BTC correlation < 0.35 and 0.1 below the others'",
        lambda t: t.corr < 0.35 and t.corr < t.others_corr - 0.1, lambda t: -t.corr,
    ),
    NamingRule(
        "Jump-prone tokens", "kurtosis well above the others' (contrast > 1)",
        lambda t: t.contrast.get(_KURT, 0.0) > 1.0, lambda t: t.contrast.get(_KURT, 0.0),
    ),
    NamingRule(
        "High-beta altcoins", "volatility >= 1.25x the others' or beta >= 0.2 above theirs",
        lambda t: _r(t, _VOL) >= 1.25 or _d(t, _BETA) >= 0.2, lambda t: _r(t, _VOL) + _d(t, _BETA),
    ),
    NamingRule(
        "Defensive coins", "volatility <= 0.8x the others' and beta 0.2 below theirs",
        lambda t: _r(t, _VOL) <= 0.8 and _d(t, _BETA) <= -0.2, lambda t: -_d(t, _BETA),
    ),
    NamingRule(
        "Market followers", "BTC correlation >= 0.5 and above the others'",
        lambda t: t.corr >= 0.5 and t.corr > t.others_corr, lambda t: t.corr - t.others_corr,
    ),
    NamingRule("Core market", "holds 40 % or more of the symbols", lambda t: t.share >= 0.4, lambda t: t.share),
)

_PLAIN = {
    Feature.ANNUALIZED_RETURN.value: "return", Feature.ANNUALIZED_VOL.value: "volatility",
    Feature.SHARPE.value: "Sharpe", Feature.SKEWNESS.value: "skew", Feature.KURTOSIS.value: "kurtosis",
    Feature.VAR_95.value: "VaR", Feature.CVAR_95.value: "CVaR", Feature.MOMENTUM_30D.value: "momentum",
    Feature.TREND_STRENGTH.value: "trend", Feature.MAX_DRAWDOWN.value: "drawdown",
    Feature.BTC_CORR.value: "BTC corr", Feature.AVG_DAILY_VOLUME_USD.value: "volume",
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
        ``members`` (most confident first), ``confidence`` (mean), ``boundary`` (members
        below 0.6 confidence), then the mean of every feature in raw units.
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


def profile_clusters(
    X: pd.DataFrame,
    labels: pd.Series,
    confidence: pd.Series | None = None,
    keep_names: Mapping[int, str] | None = None,
) -> ClusterProfile:
    """Statistics, z-score profiles and distinct names of the clusters.

    Parameters
    ----------
    X : DataFrame
        Raw features (``FeatureSet.X``), index symbol.
    labels : Series
        Cluster per symbol, ``-1`` = noise.
    confidence : Series, optional
        Per-symbol confidence (:func:`cluster_core.clustering.confidence`): members are
        listed core first, and symbols below 0.6 are listed as ``boundary``.
    keep_names : mapping of int to str, optional
        Names the same labels had before (month to month, after alignment): a cluster
        keeps its name while the rule behind it still applies to it, so a group's name
        changes only when its behaviour does (:func:`cluster_core.history.walk`).

    Returns
    -------
    ClusterProfile
        Names follow :data:`NAMING_RULES`, which compare each cluster with the members
        of the *other* clusters (first rule that applies, best-scoring cluster first); a
        cluster no rule names gets the trait that most sets it apart ("High skew
        group"); names are unique; noise is "Noise / outliers"; a single cluster is
        "Whole market". The reason lists the two features that most set the cluster
        apart from the others, with their ratio or difference, and is unique too.
    """
    X = X.loc[labels.index]
    logged = X.copy()
    for col in (Feature.AVG_DAILY_VOLUME_USD.value, Feature.AMIHUD.value):
        if col in logged:
            logged[col] = np.log10(logged[col].where(logged[col] > 0))
    for col in (Feature.KURTOSIS.value, Feature.SKEWNESS.value):
        if col in logged:
            logged[col] = np.arcsinh(logged[col])
    mean_u, std_u = logged.mean(), logged.std(ddof=0).replace(0, np.nan)
    clusters = sorted(int(c) for c in labels.unique() if c >= 0)
    traits, z_rows = {}, {}
    codes = labels.to_numpy()
    raw_all = X.median()
    raw, log = X.to_numpy(dtype=np.float64), logged.to_numpy(dtype=np.float64)  # once, not per cluster
    for c in clusters:
        inside, outside = codes == c, (codes != c) & (codes >= 0)
        z_rows[c] = (logged[inside].mean() - mean_u) / std_u
        traits[c] = _traits(raw, log, X.columns, inside, outside, std_u, int(inside.sum()) / int((codes >= 0).sum()),
                            raw_all)
    names, reasons = _assign_names(traits, keep_names or {})
    if (labels < 0).any():
        names[-1] = NOISE_NAME
        reasons[-1] = "not close enough to any group to join it"
        clusters.append(-1)
        z_rows[-1] = (logged.loc[labels.index[labels < 0]].mean() - mean_u) / std_u
    table = _table(X, labels, clusters, names, reasons, confidence)
    zscores = pd.DataFrame({names[c]: z_rows[c] for c in clusters}).T
    zscores.index.name = "cluster_name"
    return ClusterProfile(table, zscores, pd.Series(names, name="cluster_name").sort_index())


_RATIO = (Feature.ANNUALIZED_VOL.value, Feature.DOWNSIDE_VOL.value, Feature.AVG_DAILY_VOLUME_USD.value,
          Feature.AMIHUD.value)


def _median(values: np.ndarray, rows: np.ndarray, columns: pd.Index) -> pd.Series:
    """Column medians of ``values[rows]`` skipping NaN (as pandas' ``median``), in a few numpy calls."""
    block = values[rows]
    if not np.isnan(block).any():
        return pd.Series(np.median(block, axis=0) if len(block) else np.nan, index=columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column's median is NaN, as in pandas
        return pd.Series(np.nanmedian(block, axis=0), index=columns)


def _traits(
    raw: np.ndarray, log: np.ndarray, columns: pd.Index, inside: np.ndarray, outside: np.ndarray, std_u: pd.Series,
    share: float, raw_all: pd.Series,
) -> Traits:
    """Set a cluster (row mask ``inside``) against the other clusters' members (row mask ``outside``).

    ``raw`` / ``log``: the features and their logged version as arrays, columns ``columns``.
    """
    others = outside if outside.any() else inside
    med_in, med_out = _median(log, inside, columns), _median(log, others, columns)
    contrast = ((med_in - med_out) / std_u).dropna()
    raw_in, raw_out = _median(raw, inside, columns), _median(raw, others, columns)
    ratio = {f: float(raw_in[f] / raw_out[f]) for f in _RATIO if f in columns and raw_out.get(f, 0) > 0}
    universe_ratio = {f: float(raw_in[f] / raw_all[f]) for f in _RATIO if f in columns and raw_all.get(f, 0) > 0}
    diff = {f: float(med_in[f] - med_out[f]) for f in columns if f not in _RATIO}
    return Traits(ratio=ratio, universe_ratio=universe_ratio, inside=raw_in, outside=raw_out, diff=diff,
                  contrast=contrast, share=share)


_RULES = {rule.name: rule for rule in NAMING_RULES}
KEEP_CONTRAST = 0.5  # a trait-named group ("High skew group") keeps its name while this clear


def _assign_names(traits: dict[int, Traits], keep: Mapping[int, str]) -> tuple[dict[int, str], dict[int, str]]:
    if len(traits) == 1:
        only = next(iter(traits))
        return {only: "Whole market"}, {only: "one group: no cluster structure to set it apart"}
    names: dict[int, str] = {}
    holders = [c for c in traits if keep.get(c) in _RULES and _RULES[keep[c]].applies(traits[c])]
    for c in sorted(holders, key=lambda c: -_RULES[keep[c]].score(traits[c])):
        if keep[c] not in names.values():  # two claims on one name: the better fit keeps it
            names[c] = keep[c]
    for rule in NAMING_RULES:
        if rule.name in names.values():
            continue
        candidates = [c for c in traits if c not in names and rule.applies(traits[c])]
        if candidates:
            names[max(candidates, key=lambda c: rule.score(traits[c]))] = rule.name
    taken = set(names.values())
    for c in traits:
        if c in names:
            continue
        contrast = traits[c].contrast
        label = f"Group {c}"
        options = [f"{'High' if contrast[f] > 0 else 'Low'} {_PLAIN.get(f, f)} group"
                   for f in contrast.abs().sort_values(ascending=False).index]
        marked = options[: sum(contrast.abs() >= KEEP_CONTRAST)]  # traits that still clearly set it apart
        for candidate in ([keep[c]] if keep.get(c) in marked else []) + options:
            if candidate not in taken:
                label = candidate
                break
        while label in taken:  # "Group 3" can only clash with itself, but stay unique whatever happens
            label += "'"
        names[c] = label
        taken.add(label)
    return names, _reasons(traits)


# What a reason may cite: the behaviour an analyst reads directly (volatility rather than
# its VaR / CVaR / downside siblings, volume rather than Amihud illiquidity).
_REASON_FEATURES = (
    Feature.ANNUALIZED_VOL.value, Feature.BETA_BTC.value, Feature.BTC_CORR.value,
    Feature.AVG_DAILY_VOLUME_USD.value, Feature.KURTOSIS.value, Feature.SKEWNESS.value, Feature.AUTOCORR_1.value,
)


def _phrase(t: Traits, feature: str) -> str:
    plain = _PLAIN.get(feature, feature)
    if feature in t.ratio:
        return f"{plain} {t.ratio[feature]:.2g}x the others'"
    return f"{plain} {t.inside[feature]:.2g} vs {t.outside[feature]:.2g}"


def _reasons(traits: dict[int, Traits]) -> dict[int, str]:
    """Cite the two features that most set each cluster apart; more until no two reasons are equal."""
    order = {}
    for c, t in traits.items():
        ranked = [f for f in t.contrast.abs().sort_values(ascending=False).index if f in _REASON_FEATURES]
        order[c] = ranked + [f for f in t.contrast.index if f not in ranked and (f in t.ratio or f in t.diff)]
    used = dict.fromkeys(traits, 2)
    while True:
        reasons = {c: ", ".join(_phrase(traits[c], f) for f in order[c][: used[c]]) for c in traits}
        clash = [c for c in traits if list(reasons.values()).count(reasons[c]) > 1 and used[c] < len(order[c])]
        if not clash:
            return reasons
        for c in clash:
            used[c] += 1


BOUNDARY = 0.6


def _table(
    X: pd.DataFrame, labels: pd.Series, clusters: list[int], names: dict[int, str], reasons: dict[int, str],
    confidence: pd.Series | None,
) -> pd.DataFrame:
    conf = (confidence if confidence is not None else pd.Series(np.nan, index=labels.index)).reindex(labels.index)
    score = dict(zip(conf.index, conf.to_numpy(dtype=np.float64), strict=True))
    codes = labels.to_numpy()
    rows = []
    for c in clusters:
        members = sorted(labels.index[codes == c], key=lambda s: (-np.nan_to_num(score[s], nan=1.0), s))
        boundary = [s for s in members if score[s] < BOUNDARY]
        row = {"cluster": c, "name": names[c], "size": len(members), "reason": reasons[c],
               "members": ", ".join(members), "confidence": float(np.nanmean([score[s] for s in members]))
               if any(not np.isnan(score[s]) for s in members) else np.nan,
               "boundary": ", ".join(boundary)}
        row.update(X[codes == c].mean().to_dict())
        rows.append(row)
    return pd.DataFrame(rows)
