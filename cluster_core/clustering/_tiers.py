"""Tiers along a continuum: cuts of a spread, for an analyst who must act where the data have no groups.

When automatic k finds that most of the market is one population (no view of it has
separate modes), naming slices of it as groups would be a claim the data do not support.
The spread still has a direction along which coins differ most: its first principal axis,
mostly risk level on the bundled data. :func:`continuum_tiers` cuts the continuum along that
axis at quantiles; the tiers are labelled as what they are ("Tier 1 of 3"), with their
boundaries, never as groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core._validation import check_int
from cluster_core.features import RISK_SCALES

__all__ = ["CONTINUUM_SHARE", "Tiers", "continuum_tiers"]

CONTINUUM_SHARE = 0.5  # tiers cut the largest cluster when it holds at least half of the symbols
_RISK = frozenset(f.value for f in RISK_SCALES)


@dataclass(frozen=True, eq=False)
class Tiers:
    """Quantile cuts of one cluster along its main axis.

    Attributes
    ----------
    cluster : int
        The label of the cluster that is cut (the continuum).
    tier : Series
        Tier per member of that cluster, ``1..n_tiers`` from the low end of the axis.
    score : Series
        Each member's position along the axis (prepared-feature units).
    cuts : tuple of float
        Scores at which one tier ends and the next begins (``n_tiers - 1`` values).
    axis : Series
        Weight of each prepared feature in the axis (unit length; risk features positive).
    explained : float
        Share of the cluster's variance along the axis.
    """

    cluster: int
    tier: pd.Series
    score: pd.Series
    cuts: tuple[float, ...]
    axis: pd.Series
    explained: float

    @property
    def n_tiers(self) -> int:
        """Number of tiers."""
        return len(self.cuts) + 1


def continuum_tiers(Z: pd.DataFrame, labels: pd.Series, n_tiers: int = 3) -> Tiers | None:
    """Cut the largest cluster into ``n_tiers`` quantile tiers along its first principal axis.

    Parameters
    ----------
    Z : DataFrame of shape (n_symbols, n_features)
        Prepared features (index symbol).
    labels : Series
        Cluster per symbol (``-1`` noise).
    n_tiers : int, default=3
        2 to 5.

    Returns
    -------
    Tiers or None
        ``None`` when no cluster holds :data:`CONTINUUM_SHARE` of the symbols or it has
        fewer than ``3 * n_tiers`` members.

    Raises
    ------
    ParameterError
        ``n_tiers`` outside 2..5.

    Examples
    --------
    >>> Z = pd.DataFrame({"annualized_vol": np.linspace(-1, 1, 30), "beta_btc": np.zeros(30)})
    >>> tiers = continuum_tiers(Z, pd.Series(0, index=Z.index))
    >>> tiers.tier.value_counts().sort_index().tolist(), float(tiers.axis["annualized_vol"])
    ([10, 10, 10], 1.0)
    """
    n_tiers = check_int("n_tiers", n_tiers, 2, 5)
    clustered = labels[labels >= 0]
    if clustered.empty:
        return None
    largest = int(clustered.value_counts().idxmax())
    members = clustered.index[clustered == largest]
    if len(members) < CONTINUUM_SHARE * len(clustered) or len(members) < 3 * n_tiers:
        return None
    block = Z.loc[members].to_numpy(dtype=np.float64)
    centred = block - block.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    axis = vt[0]
    risk = [i for i, c in enumerate(Z.columns) if c in _RISK]
    reference = axis[risk].sum() if risk else axis[int(np.argmax(np.abs(axis)))]
    if reference < 0:
        axis = -axis
    score = pd.Series(centred @ axis, index=members, name="score")
    cuts = tuple(float(c) for c in np.quantile(score, np.arange(1, n_tiers) / n_tiers))
    tier = pd.Series(np.searchsorted(cuts, score.to_numpy(), side="right") + 1, index=members, name="tier")
    total = float((singular**2).sum())
    explained = float(singular[0] ** 2 / total) if total > 0 else 1.0
    return Tiers(largest, tier, score, cuts, pd.Series(axis, index=Z.columns, name="axis"), explained)
