"""Per-cluster statistics, z-score profiles, and names true of their members (rules from :mod:`._rules`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core.features import Feature
from cluster_core.interpretation._rules import (
    _CLAIM,
    _PLAIN,
    MEMBER_SHARE,
    NAMING_RULES,
    NOISE_NAME,
    NamingRule,
    Traits,
    _every,
)
from cluster_core.interpretation._words import BOUNDARY, TENTATIVE


@dataclass(frozen=True, eq=False)
class ClusterProfile:
    """Per-cluster statistics and names.

    Attributes
    ----------
    table : DataFrame
        One row per cluster (noise last): ``cluster``, ``name``, ``size``, ``reason``,
        ``members`` (most confident first), ``stability`` (the members' mean confidence),
        ``tentative`` (stability below 0.5), ``core`` and ``boundary`` (members at or above,
        and below, 0.6 confidence: disjoint, together the members), then the mean of every
        feature in raw units (:mod:`cluster_core.interpretation._words`).
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
    named = _named(X, labels, keep_names or {}, with_reasons=True)
    X, logged, mean_u, std_u = named.X, named.logged, named.mean_u, named.std_u
    codes = labels.to_numpy()
    clusters = list(named.clusters)
    z_rows = {c: (logged[codes == c].mean() - mean_u) / std_u for c in clusters}
    names, reasons = named.names, named.reasons
    if (labels < 0).any():
        reasons[-1] = "not close enough to any group to join it"
        clusters.append(-1)
        z_rows[-1] = (logged.loc[labels.index[labels < 0]].mean() - mean_u) / std_u
    table = _table(X, labels, clusters, names, reasons, confidence)
    zscores = pd.DataFrame({names[c]: z_rows[c] for c in clusters}).T
    zscores.index.name = "cluster_name"
    return ClusterProfile(table, zscores, _name_series(names))


def cluster_names(X: pd.DataFrame, labels: pd.Series, keep_names: Mapping[int, str] | None = None) -> pd.Series:
    """Name per cluster label, exactly :func:`profile_clusters`'s ``names``, without its tables.

    The month-by-month views name every month end's groups and read nothing else.

    Examples
    --------
    >>> X = pd.DataFrame({"annualized_vol": [0.01, 0.012, 0.011, 0.9, 1.1, 1.0]}, index=list("abcdef"))
    >>> cluster_names(X, pd.Series([0, 0, 0, 1, 1, 1], index=X.index)).index.tolist()
    [0, 1]
    """
    return _name_series(_named(X, labels, keep_names or {}, with_reasons=False).names)


def _name_series(names: dict[int, str]) -> pd.Series:
    return pd.Series(names, name="cluster_name").sort_index()


@dataclass(frozen=True)
class _Named:
    """The names of the clusters and what :func:`profile_clusters` reuses to tabulate them."""

    X: pd.DataFrame
    logged: pd.DataFrame
    mean_u: pd.Series
    std_u: pd.Series
    clusters: tuple[int, ...]  # the labels >= 0, ascending
    names: dict[int, str]  # noise (-1) included when there is noise
    reasons: dict[int, str]  # empty unless asked for


def _named(X: pd.DataFrame, labels: pd.Series, keep_names: Mapping[int, str], with_reasons: bool) -> _Named:
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
    traits = {}
    codes = labels.to_numpy()
    raw_all = X[codes >= 0].median()
    raw, log = X.to_numpy(dtype=np.float64), logged.to_numpy(dtype=np.float64)  # once, not per cluster
    for c in clusters:
        inside, outside = codes == c, (codes != c) & (codes >= 0)
        traits[c] = _traits(X, raw, log, inside, outside, std_u, int(inside.sum()) / int((codes >= 0).sum()),
                            raw_all)
    names, reasons = _assign_names(traits, keep_names, with_reasons)
    if (labels < 0).any():
        names[-1] = NOISE_NAME
    return _Named(X, logged, mean_u, std_u, tuple(clusters), names, reasons)


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
    X: pd.DataFrame, raw: np.ndarray, log: np.ndarray, inside: np.ndarray, outside: np.ndarray, std_u: pd.Series,
    share: float, raw_all: pd.Series,
) -> Traits:
    """Set a cluster (row mask ``inside``) against the other clusters' members (row mask ``outside``).

    ``raw`` / ``log``: ``X`` and its logged version as arrays, computed once per profile.
    """
    columns = X.columns
    others = outside if outside.any() else inside
    med_in, med_out = _median(log, inside, columns), _median(log, others, columns)
    contrast = ((med_in - med_out) / std_u).dropna()
    raw_in, raw_out = _median(raw, inside, columns), _median(raw, others, columns)
    ratio = {f: float(raw_in[f] / raw_out[f]) for f in _RATIO if f in columns and raw_out.get(f, 0) > 0}
    universe_ratio = {f: float(raw_in[f] / raw_all[f]) for f in _RATIO if f in columns and raw_all.get(f, 0) > 0}
    diff = {f: float(med_in[f] - med_out[f]) for f in columns if f not in _RATIO}
    return Traits(ratio=ratio, universe_ratio=universe_ratio, inside=raw_in, outside=raw_out, diff=diff,
                  contrast=contrast, share=share, members=X[inside], universe=raw_all, spread=std_u)


_RULES = {rule.name: rule for rule in NAMING_RULES}
KEEP_CONTRAST = 0.5  # a trait-named group ("High skew group") keeps its name while this clear


def _true_of_members(t: Traits, truth: np.ndarray, by_volume: bool = True) -> bool:
    count, weighed = t.holding(truth)
    return count >= MEMBER_SHARE * len(t.members) and (weighed >= MEMBER_SHARE or not by_volume)


def _rule_applies(rule: NamingRule, t: Traits) -> bool:
    """Whether the cluster's medians meet the rule, and so do most of its members (and of their volume)."""
    return bool(rule.applies(t)) and _true_of_members(t, rule.holds(t), rule.by_volume)


def _assign_names(traits: dict[int, Traits], keep: Mapping[int, str],
                  with_reasons: bool = True) -> tuple[dict[int, str], dict[int, str]]:
    """Name every cluster (rules first, then traits); the reasons too when asked (else an empty dict)."""
    if len(traits) == 1:
        only = next(iter(traits))
        return {only: "Whole market"}, {only: "one group: no cluster structure to set it apart"}
    names: dict[int, str] = {}
    holders = [c for c in traits if keep.get(c) in _RULES and _rule_applies(_RULES[keep[c]], traits[c])]
    for c in sorted(holders, key=lambda c: -_RULES[keep[c]].score(traits[c])):
        if keep[c] not in names.values():  # two claims on one name: the better fit keeps it
            names[c] = keep[c]
    for rule in NAMING_RULES:
        if rule.name in names.values():
            continue
        candidates = [c for c in traits if c not in names and _rule_applies(rule, traits[c])]
        if candidates:
            names[max(candidates, key=lambda c: rule.score(traits[c]))] = rule.name
    claimed = {claim for name in names.values() for claim in _RULES[name].claims}
    holds = {c: _RULES[n].holds(traits[c]) for c, n in names.items()}
    for c in sorted(set(traits) - set(names)):
        names[c], holds[c] = _trait_name(c, traits[c], claimed, keep.get(c))
    return names, _reasons(traits, holds) if with_reasons else {}


def _trait_name(c: int, t: Traits, claimed: set[tuple[str, int]], kept: str | None) -> tuple[str, np.ndarray]:
    """Name a cluster no rule names by the trait that most sets it apart and that no other name claims.

    The trait must be true of most members and of most of their volume (each member on the
    cluster's side of the others' median); the claim is then taken. With none, "Group c".
    """
    options = []
    for feature in t.contrast.abs().sort_values(ascending=False).index:
        trait, sign = _CLAIM.get(feature, (_PLAIN.get(feature, feature), 1))
        direction = sign * (1 if t.contrast[feature] > 0 else -1)
        above = t.contrast[feature] > 0
        values = t.column(feature)
        truth = values > t.other(feature) if above else values < t.other(feature)
        if (trait, direction) in claimed or not _true_of_members(t, truth):
            continue
        label = f"{'High' if direction > 0 else 'Low'} {trait} group"
        options.append((label, (trait, direction), truth, abs(t.contrast[feature]) >= KEEP_CONTRAST))
    chosen = next((o for o in options if o[0] == kept and o[3]), options[0] if options else None)
    if chosen is None:
        return f"Group {c}", _every(t)
    label, claim, truth, _ = chosen
    claimed.add(claim)
    return label, truth


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


def _reasons(traits: dict[int, Traits], holds: dict[int, np.ndarray]) -> dict[int, str]:
    """Cite the two features that most set each cluster apart, and for how many members its name holds.

    More features are cited until no two reasons read the same.
    """
    order = {}
    for c, t in traits.items():
        ranked = [f for f in t.contrast.abs().sort_values(ascending=False).index if f in _REASON_FEATURES]
        order[c] = ranked + [f for f in t.contrast.index if f not in ranked and (f in t.ratio or f in t.diff)]
    tally = {}
    for c, t in traits.items():
        count, _ = t.holding(holds[c])
        tally[c] = "" if count == len(t.members) else f"; true of {count} of {len(t.members)} members"
    used = dict.fromkeys(traits, 2)
    while True:
        reasons = {c: ", ".join(_phrase(traits[c], f) for f in order[c][: used[c]]) + tally[c] for c in traits}
        clash = [c for c in traits if list(reasons.values()).count(reasons[c]) > 1 and used[c] < len(order[c])]
        if not clash:
            return reasons
        for c in clash:
            used[c] += 1


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
        stability = (float(np.nanmean([score[s] for s in members])) if any(not np.isnan(score[s]) for s in members)
                     else np.nan)
        row = {"cluster": c, "name": names[c], "size": len(members), "reason": reasons[c],
               "members": ", ".join(members), "stability": stability,
               "tentative": bool(c >= 0 and stability < TENTATIVE),
               "core": ", ".join(s for s in members if s not in boundary), "boundary": ", ".join(boundary)}
        row.update(X[codes == c].mean().to_dict())
        rows.append(row)
    return pd.DataFrame(rows)
