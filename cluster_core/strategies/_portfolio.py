"""Diversified portfolio: one or two symbols per cluster, and how it compares."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import numpy as np
import pandas as pd

from cluster_core._validation import check_enum, check_float, check_int
from cluster_core.errors import DataError

__all__ = ["DEFAULT_MAX_WEIGHT", "PickRule", "Weighting", "cap_weights", "compare_portfolios", "diversified_picks"]

DEFAULT_MAX_WEIGHT = 0.25  # no holding above a quarter of the portfolio unless the analyst asks


class PickRule(StrEnum):
    """How symbols are chosen inside a cluster."""

    SHARPE = "sharpe"
    LIQUIDITY = "liquidity"
    CENTRE = "centre"


class Weighting(StrEnum):
    """How the picks are weighted."""

    EQUAL = "equal"
    INVERSE_VOL = "inverse-vol"


def diversified_picks(
    X: pd.DataFrame,
    Z: pd.DataFrame,
    labels: pd.Series,
    names: pd.Series,
    *,
    per_cluster: int = 1,
    rule: PickRule | str = PickRule.SHARPE,
    weighting: Weighting | str = Weighting.EQUAL,
    include_noise: bool = False,
    min_holdings: int = 1,
    held: Iterable[str] = (),
    keep_top: float = 0.0,
    exclude: Iterable[str] = (),
    max_weight: float = DEFAULT_MAX_WEIGHT,
) -> pd.DataFrame:
    """Pick ``per_cluster`` symbols from every cluster (more when clusters are few) and weight them.

    Parameters
    ----------
    X : DataFrame
        Raw features (index symbol).
    Z : DataFrame
        Prepared features (for the ``centre`` rule: nearest to the cluster's centroid).
    labels, names : Series
        Cluster per symbol, name per cluster.
    per_cluster : int, default=1
        1 or 2 (or more).
    rule : {"sharpe", "liquidity", "centre"}, default="sharpe"
    weighting : {"equal", "inverse-vol"}, default="equal"
        Inverse-vol weights are 1 / annualised volatility, normalised (a zero
        volatility counts as the smallest positive one in the picks).
    include_noise : bool, default=False
        Treat noise (-1) as one more group to pick from.
    min_holdings : int, default=1
        Hold at least this many symbols: with fewer clusters than that (a market with
        no clear groups is one cluster), each cluster gives ``ceil(min_holdings /
        clusters)`` picks, so an honest "two groups" does not become a two-coin bet.
    held : iterable of str, optional
        Symbols held now (a walk-forward's last picks).
    keep_top : float, default=0.0
        A held symbol stays while it ranks in this top share of its cluster by ``rule``
        (and at least in the top ``2 x`` picks), before new picks fill the cluster's
        places: turnover then follows real changes, not the month's reshuffle of a
        noisy ranking. 0 re-picks from scratch.
    exclude : iterable of str, optional
        Symbols never picked (pegged coins, unless the analyst asks for them); a cluster
        made of them only gives no pick.
    max_weight : float, default=0.25
        No holding above this weight (:func:`cap_weights`); when the picks are too few for
        it (fewer than ``1 / max_weight``), each holds ``max_weight`` and the rest is cash.

    Returns
    -------
    DataFrame
        ``symbol``, ``cluster``, ``cluster_name``, ``weight`` (sums to 1, or to less with
        cash when the picks are too few for ``max_weight``), ``reason``.
    """
    per_cluster = check_int("per_cluster", per_cluster, 1, 10)
    min_holdings = check_int("min_holdings", min_holdings, 1, 50)
    rule = check_enum("rule", rule, PickRule)
    weighting = check_enum("weighting", weighting, Weighting)
    labels = labels.drop(list(exclude), errors="ignore")
    groups = [c for c in sorted(set(labels)) if c >= 0 or include_noise]
    per_group = max(per_cluster, -(-min_holdings // max(len(groups), 1)))
    keep_top = check_float("keep_top", keep_top, 0.0, 1.0)
    max_weight = check_float("max_weight", max_weight, 0.01, 1.0)
    held = set(held)
    rows = []
    for cluster in groups:
        members = labels.index[labels == cluster]
        ranked = _rank(X.loc[members], Z.loc[members], rule)
        band = max(2 * per_group, int(np.ceil(keep_top * len(ranked)))) if keep_top > 0 else 0
        kept = [s for s in ranked[:band] if s in held][:per_group]
        chosen = sorted(kept + [s for s in ranked if s not in kept][: per_group - len(kept)], key=ranked.index)
        for symbol in chosen:
            place = ranked.index(symbol)
            why = _why(X.loc[symbol], rule, place) + (f"; kept (top {band} of {len(ranked)})" if symbol in kept else "")
            rows.append((symbol, int(cluster), names.get(cluster, str(cluster)), why))
    if not rows:
        raise DataError("No cluster to pick from (every symbol is noise). Include noise or change the clustering.")
    picks = pd.DataFrame(rows, columns=["symbol", "cluster", "cluster_name", "reason"])
    vol = X.loc[picks["symbol"], "annualized_vol"].to_numpy(dtype=np.float64)
    if weighting is Weighting.INVERSE_VOL:
        floor = vol[vol > 0].min() if (vol > 0).any() else 1.0
        raw = 1.0 / np.maximum(np.nan_to_num(vol, nan=floor), floor)
    else:
        raw = np.ones(len(picks))
    picks.insert(3, "weight", cap_weights(raw, max_weight))
    return picks


def cap_weights(raw: np.ndarray, max_weight: float) -> np.ndarray:
    """Normalise ``raw`` (positive) to weights with none above ``max_weight``.

    The excess of a capped holding goes to the others in proportion to their raw weights,
    until none is above the cap. With fewer holdings than ``1 / max_weight`` every one holds
    ``max_weight`` and the weights sum to less than 1 (the rest is cash).

    Examples
    --------
    >>> cap_weights(np.array([8.0, 1.0, 1.0, 1.0, 1.0]), 0.25).round(4).tolist()
    [0.25, 0.1875, 0.1875, 0.1875, 0.1875]
    >>> cap_weights(np.array([1.0, 1.0]), 0.25).tolist()
    [0.25, 0.25]
    """
    raw = np.asarray(raw, dtype=np.float64)
    weights = raw / raw.sum()
    capped = np.zeros(len(raw), dtype=bool)
    while True:
        over = ~capped & (weights > max_weight + 1e-12)
        if not over.any():
            return weights
        capped |= over
        weights[capped] = max_weight
        free = ~capped
        room = 1.0 - max_weight * capped.sum()
        if not free.any() or room <= 0:
            return weights
        weights[free] = raw[free] / raw[free].sum() * room


def _rank(X: pd.DataFrame, Z: pd.DataFrame, rule: PickRule) -> list[str]:
    if rule is PickRule.SHARPE:
        return list(X["sharpe"].sort_values(ascending=False, kind="stable").index)
    if rule is PickRule.LIQUIDITY:
        return list(X["avg_daily_volume_usd"].sort_values(ascending=False, kind="stable").index)
    distance = ((Z - Z.mean()) ** 2).sum(axis=1)
    return list(distance.sort_values(kind="stable").index)


def _why(row: pd.Series, rule: PickRule, place: int = 0) -> str:
    rank = "" if place == 0 else f" #{place + 1}"
    if rule is PickRule.SHARPE:
        return f"best Sharpe{rank} in its group ({row['sharpe']:.2f})"
    if rule is PickRule.LIQUIDITY:
        return f"most liquid{rank} in its group ({row['avg_daily_volume_usd']:,.0f} USD/day)"
    return f"closest{rank} to its group's centre"


def compare_portfolios(returns: pd.DataFrame, weights: pd.Series, periods_per_year: float,
                       benchmark: str = "BTC") -> pd.DataFrame:
    """Realised volatility, max drawdown and average pairwise correlation over a window.

    Compares the weighted picks (rebalanced every bar), an equal-weight portfolio of every
    symbol in ``returns`` and the benchmark alone. Missing returns count as 0 in the
    portfolio (the position is flat for that bar); correlations use shared bars.

    Returns
    -------
    DataFrame
        Index ``portfolio``, columns ``symbols``, ``annualized_vol``, ``max_drawdown``,
        ``avg_pairwise_corr``, ``total_return``.
    """
    rows = {}
    universe = pd.Series(1.0 / returns.shape[1], index=returns.columns)
    for name, w in (("Diversified (clusters)", weights), ("Equal-weight universe", universe)):
        rows[name] = _stats(returns[list(w.index)], w, periods_per_year)
    if benchmark in returns.columns:
        rows[benchmark] = _stats(returns[[benchmark]], pd.Series({benchmark: 1.0}), periods_per_year)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("portfolio")


def _stats(r: pd.DataFrame, w: pd.Series, periods: float) -> dict[str, float]:
    port = (r.fillna(0.0) * w.reindex(r.columns).to_numpy()).sum(axis=1)
    equity = (1 + port).cumprod()
    corr = r.corr(min_periods=10).to_numpy()
    pairs = corr[np.triu_indices(len(corr), 1)]
    return {
        "symbols": len(w),
        "annualized_vol": float(port.std(ddof=1) * np.sqrt(periods)),
        "max_drawdown": float((equity / equity.cummax() - 1).min()),
        "avg_pairwise_corr": float(np.nanmean(pairs)) if len(pairs) else np.nan,
        "total_return": float(equity.iloc[-1] - 1) if len(equity) else np.nan,
    }
