"""The naming rule table: traits of a cluster against the others, per-member rules, what each name claims."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core.features import Feature

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
