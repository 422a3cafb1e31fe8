"""Acting where there are no groups: the continuum's tiers described, and the groups the strategies pick from."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from cluster_core.clustering import Tiers
from cluster_core.interpretation._rules import _BETA, _CLAIM, _CORR, _PLAIN, _VOL, _VOLUME, PEGGED_NAME, VOLATILITY

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
