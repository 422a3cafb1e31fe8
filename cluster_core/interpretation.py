"""What each cluster *is*: statistics, z-score profiles and unique human-readable names."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core.clustering import Tiers
from cluster_core.features import Feature

__all__ = [
    "NAMING_RULES",
    "PEGGED_NAME",
    "TIER_COLUMNS",
    "ClusterProfile",
    "NamingRule",
    "describe_tiers",
    "pegged_members",
    "tiered_groups",
    "profile_clusters",
    "tier_axis",
]

NOISE_NAME = "Noise / outliers"
PEGGED_NAME = "Stablecoins / pegged"


@dataclass(frozen=True, eq=False)
class Traits:
    """A cluster set against the *other* clusters' members (not the whole universe).

    ``ratio``: the cluster's median over the others' median, for positive quantities
    (volatility, volume, illiquidity); ``diff``: median minus the others' median (BTC
    correlation, beta, arcsinh of kurtosis); ``contrast``: that difference in units of
    the universe's standard deviation (volume-like features in log10), per feature.
    ``members`` holds the members' own raw values, so that a name can be checked against
    each of them, not only against the cluster's median; ``volume`` weighs them.
    """

    ratio: dict[str, float]
    universe_ratio: dict[str, float]  # the cluster's median over the whole universe's
    inside: pd.Series  # raw medians of the cluster
    outside: pd.Series  # raw medians of the others
    diff: dict[str, float]
    contrast: pd.Series
    share: float  # the cluster's share of the clustered symbols
    members: pd.DataFrame  # the members' raw features
    universe: pd.Series  # raw medians of every clustered symbol
    spread: pd.Series  # the universe's standard deviation of each feature (volume-like in log10, moments arcsinh)

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

    def column(self, feature: str) -> np.ndarray:
        """Return the members' values of ``feature`` (NaN when the feature was not computed)."""
        if feature not in self.members:
            return np.full(len(self.members), np.nan)
        return self.members[feature].to_numpy(dtype=np.float64)

    def other(self, feature: str) -> float:
        """Return the others' median of ``feature`` (NaN when unknown)."""
        return float(self.outside.get(feature, np.nan))

    def holding(self, truth: np.ndarray) -> tuple[int, float]:
        """How many members a per-member rule holds for, and their share of the members' volume."""
        truth = np.asarray(truth, dtype=bool)
        volume = np.nan_to_num(self.column(_VOLUME), nan=0.0)
        weighed = float(volume[truth].sum() / volume.sum()) if volume.sum() > 0 else float(truth.mean())
        return int(truth.sum()), weighed


@dataclass(frozen=True)
class NamingRule:
    """A name, when it applies, and how strongly (the best-scoring cluster gets the name).

    ``applies`` is the condition on the cluster's medians; ``holds`` the same condition
    for each member against the others' medians. A name is given only when both agree:
    the rule holds for at least :data:`MEMBER_SHARE` of the members and, for claims about
    size and market risk (``by_volume``), of their traded volume too: a crowd of small
    coins does not make a cluster holding ETH "Illiquid small caps". ``claims`` are the
    traits the name describes, with a direction; two names of one clustering never make
    the same claim.
    """

    name: str
    condition: str
    applies: Callable[[Traits], bool]
    score: Callable[[Traits], float]
    holds: Callable[[Traits], np.ndarray]
    claims: frozenset[tuple[str, int]] = frozenset()
    by_volume: bool = False  # a claim about size or market risk must also hold for most of the traded volume


MEMBER_SHARE = 2 / 3  # a name must hold for this share of the members, and of their volume

_VOL, _VOLUME = Feature.ANNUALIZED_VOL.value, Feature.AVG_DAILY_VOLUME_USD.value
_BETA, _CORR, _KURT = Feature.BETA_BTC.value, Feature.BTC_CORR.value, Feature.KURTOSIS.value


def _r(t: Traits, feature: str) -> float:
    value = t.ratio.get(feature, np.nan)
    return 1.0 if pd.isna(value) else float(value)


def _d(t: Traits, feature: str) -> float:
    value = t.diff.get(feature, np.nan)
    return 0.0 if pd.isna(value) else float(value)


def _every(t: Traits) -> np.ndarray:
    return np.ones(len(t.members), dtype=bool)


def _not_benchmark(t: Traits) -> np.ndarray:
    """Members other than the benchmark itself (BTC correlation 1 with itself): it is the market, no altcoin."""
    return ~(t.column(_CORR) > 0.999)


def _kurtosis_contrast(t: Traits) -> np.ndarray:
    scale = float(t.spread.get(_KURT, np.nan))
    return (np.arcsinh(t.column(_KURT)) - np.arcsinh(t.other(_KURT))) / scale if scale > 0 else np.zeros(len(t.members))


VOLATILITY, VOLUME, BETA, CORRELATION, KURTOSIS = "volatility", "volume", "beta", "BTC correlation", "kurtosis"

# Checked in this order; thresholds in one place. "others" = members of the other clusters.
NAMING_RULES: tuple[NamingRule, ...] = (
    NamingRule(PEGGED_NAME, "annualised vol < 10 %", lambda t: t.vol < 0.10, lambda t: -t.vol,
               lambda t: t.column(_VOL) < 0.10, frozenset({("peg", 1)})),
    NamingRule("Core market", "holds half the symbols or more: the market itself, whatever sets the few others apart",
               lambda t: t.share >= 0.5, lambda t: t.share, _every),
    NamingRule(
        "Blue-chip crypto", "volume >= 3x the others' and the universe median, volatility below the others'",
        lambda t: min(_r(t, _VOLUME), t.universe_ratio.get(_VOLUME, 1.0)) >= 3 and _r(t, _VOL) < 1,
        lambda t: np.log(_r(t, _VOLUME)),
        lambda t: (t.column(_VOLUME) >= 3 * t.other(_VOLUME)) & (t.column(_VOLUME) >= t.universe[_VOLUME])
        & (t.column(_VOL) < t.other(_VOL)),
        frozenset({(VOLUME, 1)}), by_volume=True,
    ),
    NamingRule(
        "Illiquid small caps", "volume <= 1/3 of the others' and half the universe median or less",
        lambda t: _r(t, _VOLUME) <= 1 / 3 and t.universe_ratio.get(_VOLUME, 1.0) <= 0.5,
        lambda t: -np.log(_r(t, _VOLUME)),
        lambda t: (t.column(_VOLUME) <= t.other(_VOLUME) / 3) & (t.column(_VOLUME) <= 0.5 * t.universe[_VOLUME]),
        frozenset({(VOLUME, -1)}), by_volume=True,
    ),
    NamingRule(
        "Decorrelated assets", "BTC correlation < 0.35 and 0.1 below the others'",
        lambda t: t.corr < 0.35 and t.corr < t.others_corr - 0.1, lambda t: -t.corr,
        lambda t: (t.column(_CORR) < 0.35) & (t.column(_CORR) < t.others_corr - 0.1),
        frozenset({(CORRELATION, -1)}),
    ),
    NamingRule(
        "Jump-prone tokens", "kurtosis well above the others' (contrast > 1)",
        lambda t: t.contrast.get(_KURT, 0.0) > 1.0, lambda t: t.contrast.get(_KURT, 0.0),
        lambda t: _kurtosis_contrast(t) > 1.0, frozenset({(KURTOSIS, 1)}),
    ),
    NamingRule(
        "High-beta altcoins", "volatility >= 1.25x the others' or beta >= 0.2 above theirs; not the benchmark",
        lambda t: _r(t, _VOL) >= 1.25 or _d(t, _BETA) >= 0.2, lambda t: _r(t, _VOL) + _d(t, _BETA),
        lambda t: ((t.column(_VOL) >= 1.25 * t.other(_VOL)) | (t.column(_BETA) >= t.other(_BETA) + 0.2))
        & _not_benchmark(t),
        frozenset({(VOLATILITY, 1), (BETA, 1)}), by_volume=True,
    ),
    NamingRule(
        "Defensive coins", "volatility <= 0.8x the others' and beta 0.2 below theirs",
        lambda t: _r(t, _VOL) <= 0.8 and _d(t, _BETA) <= -0.2, lambda t: -_d(t, _BETA),
        lambda t: (t.column(_VOL) <= 0.8 * t.other(_VOL)) & (t.column(_BETA) <= t.other(_BETA) - 0.2),
        frozenset({(VOLATILITY, -1), (BETA, -1)}),
    ),
    NamingRule(
        "Market followers", "BTC correlation >= 0.5 and above the others'",
        lambda t: t.corr >= 0.5 and t.corr > t.others_corr, lambda t: t.corr - t.others_corr,
        lambda t: (t.column(_CORR) >= 0.5) & (t.column(_CORR) > t.others_corr),
        frozenset({(CORRELATION, 1)}),
    ),
)

# What a trait-named cluster ("High volatility group") claims: the trait and the sign that
# turns the feature's direction into the trait's (a higher VaR is a smaller loss).
_CLAIM: dict[str, tuple[str, int]] = {
    Feature.ANNUALIZED_VOL.value: (VOLATILITY, 1), Feature.DOWNSIDE_VOL.value: (VOLATILITY, 1),
    Feature.VAR_95.value: (VOLATILITY, -1), Feature.CVAR_95.value: (VOLATILITY, -1),
    Feature.BETA_BTC.value: (BETA, 1), Feature.BTC_CORR.value: (CORRELATION, 1),
    Feature.AVG_DAILY_VOLUME_USD.value: (VOLUME, 1), Feature.AMIHUD.value: (VOLUME, -1),
    Feature.KURTOSIS.value: (KURTOSIS, 1), Feature.SKEWNESS.value: ("skew", 1),
    Feature.AUTOCORR_1.value: ("autocorrelation", 1), Feature.ANNUALIZED_RETURN.value: ("return", 1),
    Feature.SHARPE.value: ("Sharpe", 1), Feature.SORTINO.value: ("Sharpe", 1),
    Feature.TREND_STRENGTH.value: ("trend", 1), Feature.MOMENTUM_30D.value: ("momentum", 1),
    Feature.MAX_DRAWDOWN.value: ("drawdown", -1),
}


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
    raw_all = X[codes >= 0].median()
    raw, log = X.to_numpy(dtype=np.float64), logged.to_numpy(dtype=np.float64)  # once, not per cluster
    for c in clusters:
        inside, outside = codes == c, (codes != c) & (codes >= 0)
        z_rows[c] = (logged[inside].mean() - mean_u) / std_u
        traits[c] = _traits(X, raw, log, inside, outside, std_u, int(inside.sum()) / int((codes >= 0).sum()),
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


def _assign_names(traits: dict[int, Traits], keep: Mapping[int, str]) -> tuple[dict[int, str], dict[int, str]]:
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
    return names, _reasons(traits, holds)


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


TIER_COLUMNS = ("tier", "label", "size", "score_from", "score_to", "volatility_from", "volatility_to",
                "median_volatility", "median_beta", "median_btc_corr", "median_volume_usd", "members")


def tier_axis(tiers: Tiers, top: int = 2) -> str:
    """Say what the tiers' axis measures: its ``top`` heaviest traits, with the direction they grow in.

    Examples
    --------
    >>> import numpy as np
    >>> axis = pd.Series({"annualized_vol": 0.8, "downside_vol": 0.5, "btc_corr": -0.3})
    >>> tier_axis(Tiers(0, pd.Series(dtype=int), pd.Series(dtype=float), (0.0,), axis, 0.7))
    'volatility up, BTC correlation down'
    """
    by_trait: dict[str, float] = {}
    for feature, weight in tiers.axis.items():
        name, sign = _CLAIM.get(feature, (_PLAIN.get(feature, feature), 1))
        if name == VOLATILITY:
            sign = 1  # prepared VaR and CVaR are log loss magnitudes: they grow with risk
        by_trait[name] = by_trait.get(name, 0.0) + float(weight) * sign
    ranked = sorted(by_trait.items(), key=lambda kv: -abs(kv[1]))[:top]
    return ", ".join(f"{name} {'up' if weight > 0 else 'down'}" for name, weight in ranked)


def describe_tiers(tiers: Tiers, X: pd.DataFrame) -> pd.DataFrame:
    """One row per tier (:data:`TIER_COLUMNS`): its label, the score and volatility ranges that bound it, medians.

    The label says what a tier is, a cut of a spread ("Tier 1 of 3 (low end of the spread:
    volatility up, beta up)"), never a group name.
    """
    axis = tier_axis(tiers)
    rows = []
    for t in range(1, tiers.n_tiers + 1):
        members = tiers.tier.index[tiers.tier == t]
        rows_x = X.loc[members]
        end = "low end" if t == 1 else "high end" if t == tiers.n_tiers else "middle"
        vol = rows_x[_VOL] if _VOL in rows_x else pd.Series(np.nan, index=members)
        rows.append({
            "tier": t,
            "label": f"Tier {t} of {tiers.n_tiers}: {end} of the spread (along it: {axis})",
            "size": len(members),
            "score_from": float(tiers.score[members].min()),
            "score_to": float(tiers.score[members].max()),
            "volatility_from": float(vol.min()),
            "volatility_to": float(vol.max()),
            "median_volatility": float(vol.median()),
            "median_beta": float(rows_x[_BETA].median()) if _BETA in rows_x else np.nan,
            "median_btc_corr": float(rows_x[_CORR].median()) if _CORR in rows_x else np.nan,
            "median_volume_usd": float(rows_x[_VOLUME].median()) if _VOLUME in rows_x else np.nan,
            "members": ", ".join(tiers.score[members].sort_values().index),
        })
    return pd.DataFrame(rows, columns=list(TIER_COLUMNS))


def pegged_members(labels: pd.Series, names: pd.Series, flagged: Iterable[str] = ()) -> tuple[str, ...]:
    """Symbols to keep out of risk portfolios: those ``flagged`` pegged, and every member of the group named pegged.

    A stablecoin that wobbled off its peg in the window (USDC in March 2023) fails the
    pegged flag's band but still sits in the stablecoin group.

    Examples
    --------
    >>> labels = pd.Series({"USDC": 0, "BUSD": 0, "BTC": 1})
    >>> pegged_members(labels, pd.Series({0: PEGGED_NAME, 1: "Core market"}), ["BUSD"])
    ('BUSD', 'USDC')
    """
    group = {int(c) for c, name in names.items() if name == PEGGED_NAME}
    members = set(flagged) | {s for s, c in labels.items() if int(c) in group}
    return tuple(sorted(members))


def tiered_groups(labels: pd.Series, names: pd.Series, tiers: Tiers | None) -> tuple[pd.Series, pd.Series]:
    """Labels and names to act on: the continuum that ``tiers`` cuts replaced by its tiers.

    A diversified pick of one coin per group would otherwise take its eight picks from one
    continuum by Sharpe alone; per tier, they spread along the market's main axis. Tier
    labels follow the last cluster label; their names say they are tiers ("Core market ·
    tier 1 of 3"). Unchanged without tiers.

    Examples
    --------
    >>> from cluster_core.clustering import Tiers
    >>> labels = pd.Series({"A": 0, "B": 0, "C": 1})
    >>> cut = Tiers(0, pd.Series({"A": 1, "B": 2}), pd.Series({"A": -1.0, "B": 1.0}), (0.0,), pd.Series(dtype=float), 1)
    >>> new, named = tiered_groups(labels, pd.Series({0: "Core market", 1: "Stablecoins / pegged"}), cut)
    >>> new.tolist(), named[int(new["B"])]
    ([2, 3, 1], 'Core market · tier 2 of 2')
    """
    if tiers is None:
        return labels, names
    first = int(labels.max()) + 1
    tier = tiers.tier.reindex(labels.index)
    inside = (labels == tiers.cluster) & tier.notna()
    out = labels.copy()
    out[inside] = first + tier[inside].astype(int) - 1
    base = names.get(tiers.cluster, str(tiers.cluster))
    extra = {first + t - 1: f"{base} · tier {t} of {tiers.n_tiers}" for t in range(1, tiers.n_tiers + 1)}
    return out, pd.concat([names.drop(tiers.cluster, errors="ignore"), pd.Series(extra)]).rename(names.name)
