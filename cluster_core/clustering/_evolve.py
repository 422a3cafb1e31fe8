"""Evolutionary re-clustering: month-end partitions smoothed over time by co-membership.

Every month end is first clustered on its own (the "own fit", any algorithm). Then each
pair of symbols gets a *co-membership*: 1 if this month's fit puts them in one cluster,
0 if not, averaged exponentially over the months before with weight ``smoothness`` on
the past::

    A_t = (1 - s) * C_t + s * A_{t-1}

and the published partition cuts the average-linkage tree of ``1 - A_t`` into as many
clusters as the month's own fit found. The own fit decides *how many* groups there are;
the history decides, where this month and the past disagree, *who is in which*. With
``s <= 0.5`` the published partition is the own fit; above, a symbol whose group the
fits disagree on month to month stays where its history puts it.

A month whose own fit finds **no clear groups** (automatic k's null test) is
*uninformative*: it neither confirms nor refutes last month's groups, so they are
carried (marked), and every known pair's co-membership moves ``1 - s`` of the way to
"undecided" (0.5), so the next month with groups decides quickly. On the bundled hourly
data 4 of the last 12 months are like that; the flip between one group and several was
most of the month-to-month instability (ARI 0 each time).

This is the "preserving cluster membership" form of evolutionary clustering (Chi et al.,
KDD 2007; the history cost of Chakrabarti, Kumar and Tomkins, KDD 2006), chosen because
it is defined across every k (one cluster included), works on labels (K-Means, DBSCAN,
hierarchical and HDBSCAN alike; a new smoothness re-uses the monthly fits, so the
trade-off table is cheap), and handles listings (a new symbol's history starts with its
first fit) and delistings. Measured alternatives (docs/methodology.md, "Groups over time"):
exponentially smoothing the features made k spike and hurt the daily data; carrying the
previous partition forward, scored by silhouette plus agreement, froze in one group;
cutting the smoothed co-membership at one half instead of at the own fit's k fragmented
the daily data into intersections of consecutive partitions (k 2 -> 8, silhouette 0.36
-> -0.02).

The default ``s = 0.6`` is the largest value that still follows a planted regime change
(a group taking another's behaviour) within two month ends in 47 of 48 varied markets
(:func:`cluster_core.synthetic.regime_change_market`, 30-day windows; the one miss is a
market whose own fit needed two months itself); 0.7 misses 6 of 48.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from cluster_core._validation import check_float

__all__ = ["DEFAULT_SMOOTHNESS", "Evolved", "evolve", "validated_smoothness"]

DEFAULT_SMOOTHNESS = 0.6
MAX_SMOOTHNESS = 0.9  # beyond this a regime change takes more than a year to show


def validated_smoothness(value: float) -> float:
    """Check a smoothness (weight on the past, 0 = independent monthly fits); raise :class:`ParameterError`."""
    return check_float("smoothness", value, 0.0, MAX_SMOOTHNESS)


@dataclass(frozen=True, eq=False)
class Evolved:
    """One month's published partition and the history carried to the next month.

    Attributes
    ----------
    labels : Series
        Cluster per symbol (``-1``: noise in this month's own fit), numbered by ascending
        mean of ``order_by`` like :class:`Clustering` labels.
    affinity : DataFrame
        Smoothed co-membership (symbols x symbols, 0..1), the state for next month.
    carried : bool
        True when this month's own fit found no clear groups and the groups shown are
        last month's (new symbols placed in the nearest one).
    """

    labels: pd.Series
    affinity: pd.DataFrame
    carried: bool = False


def evolve(
    current: pd.Series,
    previous: Evolved | None,
    smoothness: float,
    *,
    informative: bool = True,
    features: pd.DataFrame | None = None,
    order_by: pd.Series | None = None,
) -> Evolved:
    """Smooth this month's own labels with the co-membership history (see the module docstring).

    Parameters
    ----------
    current : Series
        This month's own labels (index symbol, ``-1`` noise).
    previous : Evolved or None
        Last month's result; ``None`` for the first month.
    smoothness : float
        Weight on the past, ``0 <= s <= 0.9``; 0 returns ``current`` (renumbered).
    informative : bool, default=True
        False when this month's own fit found no clear groups (automatic k's null test):
        such a month neither confirms nor refutes last month's groups, so they are
        carried, and every known pair's co-membership moves ``1 - s`` of the way to
        "undecided" (0.5): the history weakens and the next month with groups decides
        quickly.
    features : DataFrame, optional
        This month's prepared features: in a carried month a symbol with no history joins
        the group whose centre is nearest (without them it forms its own group).
    order_by : Series, optional
        Number the clusters by ascending mean of this (annualised volatility in the product).

    Returns
    -------
    Evolved
    """
    s = validated_smoothness(smoothness)
    symbols = current.index
    own = current.to_numpy()
    together = _together(own)
    if previous is None or s == 0:
        return Evolved(_numbered(own, symbols, order_by, current.name), _frame(together, symbols))
    past = previous.affinity.reindex(index=symbols, columns=symbols).to_numpy()
    known = ~np.isnan(past)  # pairs seen last month; a new symbol's history starts now
    if not informative:
        return _carry(previous, symbols, np.where(known, 0.5 * (1 - s) + s * past, together), features, order_by)
    affinity = np.where(known, (1.0 - s) * together + s * np.nan_to_num(past), together)
    np.fill_diagonal(affinity, 1.0)
    labels = _cut(affinity, own >= 0, len(np.unique(own[own >= 0])))
    return Evolved(_numbered(labels, symbols, order_by, current.name), _frame(affinity, symbols))


def _together(labels: np.ndarray) -> np.ndarray:
    out = ((labels[:, None] == labels[None, :]) & (labels[:, None] >= 0)).astype(np.float64)
    np.fill_diagonal(out, 1.0)
    return out


def _frame(affinity: np.ndarray, symbols: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(affinity, index=symbols, columns=symbols)


def _carry(
    previous: Evolved, symbols: pd.Index, affinity: np.ndarray, features: pd.DataFrame | None,
    order_by: pd.Series | None,
) -> Evolved:
    """Known symbols keep last month's group; new ones join the nearest group's centre."""
    labels = previous.labels.reindex(symbols).to_numpy(dtype=np.float64)
    new = np.flatnonzero(np.isnan(labels))
    labels = np.nan_to_num(labels, nan=-2).astype(int)
    ids = np.unique(labels[labels >= 0])
    if len(new) and len(ids) and features is not None:
        Z = features.reindex(symbols).to_numpy(dtype=np.float64)
        centres = np.stack([Z[labels == c].mean(axis=0) for c in ids])
        labels[new] = ids[((Z[new, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)]
    elif len(new):
        labels[new] = labels.max(initial=-1) + 1 + np.arange(len(new))
    same = _together(labels)
    affinity[new, :], affinity[:, new] = same[new, :], same[:, new]
    return Evolved(_numbered(labels, symbols, order_by, previous.labels.name), _frame(affinity, symbols), True)


def _cut(affinity: np.ndarray, clustered: np.ndarray, n_clusters: int) -> np.ndarray:
    """``n_clusters`` average-linkage clusters of ``1 - affinity`` among clustered symbols; -1 elsewhere."""
    labels = np.full(len(affinity), -1)
    idx = np.flatnonzero(clustered)
    if len(idx) <= max(n_clusters, 1):
        labels[idx] = np.arange(len(idx))
    elif n_clusters <= 1:
        labels[idx] = 0
    else:
        distance = np.clip(1.0 - affinity[np.ix_(idx, idx)], 0.0, 1.0)
        np.fill_diagonal(distance, 0.0)
        tree = linkage(squareform(distance, checks=False), method="average")
        labels[idx] = _first_merges(tree, len(idx), n_clusters)
    return labels


def _first_merges(tree: np.ndarray, n: int, k: int) -> np.ndarray:
    """Clusters after the tree's first ``n - k`` merges: exactly ``k``, ties broken by merge order.

    (scipy's ``fcluster(criterion="maxclust")`` returns fewer when merge heights tie, which
    co-membership averages often do; ``cut_tree`` is exact but walks the tree in Python.)
    """
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for step in range(n - k):
        a, b = int(tree[step, 0]), int(tree[step, 1])
        members[n + step] = members.pop(a) + members.pop(b)
    labels = np.empty(n, dtype=int)
    for label, leaves in enumerate(members.values()):
        labels[leaves] = label
    return labels


def _numbered(labels: np.ndarray, symbols: pd.Index, order_by: pd.Series | None, name: object) -> pd.Series:
    """Renumber clusters 0..k-1 by ascending mean of ``order_by`` (else by decreasing size); keep -1."""
    ids = sorted(set(labels[labels >= 0].tolist()))
    values = None if order_by is None else order_by.reindex(symbols).to_numpy(dtype=np.float64)

    def key(c: int) -> tuple[float, int]:
        if values is None or not np.isfinite(values[labels == c]).any():
            return (-float((labels == c).sum()), c)
        return (float(np.nanmean(values[labels == c])), c)

    rank = {c: i for i, c in enumerate(sorted(ids, key=key))}
    return pd.Series([rank.get(c, -1) for c in labels.tolist()], index=symbols, name=name, dtype=int)
