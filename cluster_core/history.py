"""Clusterings over time: each month's own fit, smoothed, aligned to the month before, named with continuity.

The pipeline fits every month end on the bars up to it (:class:`MonthFit`); :func:`walk`
turns that sequence into what the analyst follows month to month (:class:`Month`):

1. :func:`cluster_core.clustering.evolve` smooths the month's own labels with the
   co-membership history (``smoothness`` = weight on the past; 0 = the own fits);
2. :func:`cluster_core.strategies.align_labels` renumbers the clusters to match last
   month's (a group that ends never lends its number to a new one);
3. :func:`cluster_core.interpretation.cluster_names` names them, each aligned group
   keeping last month's name while the rule behind it still applies (in a month whose
   groups are carried, the names are carried with them); every group is marked
   ``new``, ``kept`` or ``renamed``.

Everything uses the months up to the one published, so the walk-forward's
no-look-ahead guarantee carries over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core.clustering import Clustering, Evolved, evolve, silhouette
from cluster_core.interpretation import cluster_names
from cluster_core.strategies import align_labels, label_changes

__all__ = ["Month", "MonthFit", "NameStatus", "changes", "tradeoff", "walk"]

_VOL = "annualized_vol"


@dataclass(frozen=True, eq=False)
class MonthFit:
    """One month end's own fit, from the bars up to ``date`` only.

    Attributes
    ----------
    date : Timestamp
    X : DataFrame
        Raw features of the kept symbols.
    Z : DataFrame
        Prepared features (what was clustered).
    fit : Clustering
    pegged : tuple of str
        Symbols flagged pegged at that month end (left out of risk portfolios by default).
    """

    date: pd.Timestamp
    X: pd.DataFrame
    Z: pd.DataFrame
    fit: Clustering
    pegged: tuple[str, ...] = ()


class NameStatus:
    """How a group's name relates to last month's (values of :attr:`Month.status`)."""

    FIRST = "first month"
    NEW = "new"
    KEPT = "kept"
    RENAMED = "renamed"


@dataclass(frozen=True, eq=False)
class Month:
    """What is published for one month end.

    Attributes
    ----------
    own : MonthFit
        The month's own (independent) fit.
    labels : Series
        Published cluster per symbol: smoothed, then aligned to last month's numbers.
    names : Series
        Name per published label (``-1``: "Noise / outliers").
    status : Series
        Per published label (noise excluded): :class:`NameStatus` value.
    previous_names : Series
        Per published label, its name last month (NaN for a new group).
    carried : bool
        The own fit found no clear groups; the groups are last month's.
    silhouette, own_silhouette : float
        Mean silhouette (Euclidean, on this month's prepared features, noise left out)
        of the published labels and of the own fit's; NaN for a single cluster.
    """

    own: MonthFit
    labels: pd.Series
    names: pd.Series
    status: pd.Series
    previous_names: pd.Series
    carried: bool
    silhouette: float
    own_silhouette: float

    @property
    def date(self) -> pd.Timestamp:
        """The month end."""
        return self.own.date

    @property
    def k(self) -> int:
        """Published clusters, noise excluded."""
        return int(self.labels[self.labels >= 0].nunique())

    def groups(self) -> pd.DataFrame:
        """Tabulate the published groups, one row each, with the own fit's name for their members.

        Columns ``cluster``, ``name``, ``status``, ``previous_name``, ``own_fit_name``,
        ``size``, ``members``. ``own_fit_name`` is the name the month's own fit gives most of the group's members
        (what the Cluster map shows for a window ending at this month end): published names
        are kept from month to month while still true, so they can differ from it.
        """
        own = self.own.fit.labels
        fresh = cluster_names(self.own.X.loc[own.index], own)
        rows = []
        for c in sorted(int(c) for c in self.labels.unique()):
            members = sorted(self.labels.index[self.labels == c])
            mates = own.reindex(members).dropna()
            rows.append({"cluster": c, "name": self.names.get(c, ""), "status": self.status.get(c, ""),
                         "previous_name": self.previous_names.get(c, np.nan),
                         "own_fit_name": fresh.get(int(mates.mode().iloc[0]), "") if len(mates) else "",
                         "size": len(members), "members": ", ".join(members)})
        return pd.DataFrame(rows, columns=["cluster", "name", "status", "previous_name", "own_fit_name", "size",
                                           "members"])


def walk(fits: Sequence[MonthFit], smoothness: float, *, with_names: bool = True) -> list[Month]:
    """Publish each month's clusters from the own fits up to it (steps 1-3 of the module docstring).

    Parameters
    ----------
    fits : sequence of MonthFit
        Ascending month ends.
    smoothness : float
        Weight on the past, ``0 <= s <= 0.9`` (see :func:`cluster_core.clustering.evolve`).
    with_names : bool, default=True
        False skips step 3 (``names`` and ``status`` empty): the trade-off table only
        needs labels and scores.

    Raises
    ------
    ParameterError
        ``smoothness`` out of range.
    """
    months: list[Month] = []
    state: Evolved | None = None
    first_free = 0
    for month in fits:
        state = evolve(month.fit.labels, state, smoothness, informative=month.fit.has_groups,
                       features=month.Z, order_by=month.X[_VOL])
        labels = state.labels
        before = months[-1] if months else None
        if before is not None:
            labels = align_labels(before.labels, labels, first_free)
        first_free = max(first_free, int(labels.max()) + 1 if len(labels) else 0)
        names, status, previous = (_names(month, labels, before, state.carried) if with_names
                                   else (_EMPTY, _EMPTY, _EMPTY))
        months.append(Month(month, labels, names, status, previous, state.carried,
                            _silhouette(month.Z, labels), _silhouette(month.Z, month.fit.labels)))
    return months


_EMPTY = pd.Series(dtype=object)


def _names(
    month: MonthFit, labels: pd.Series, before: Month | None, carried: bool
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Names of the published groups: last month's while the rule still applies (always, when carried)."""
    kept = {} if before is None else {int(c): str(n) for c, n in before.names.items() if c >= 0}
    present = sorted(int(c) for c in labels.unique())
    if carried and before is not None and all(c in before.names.index for c in present):
        names = before.names.loc[present]  # nothing was re-decided this month
    else:
        names = cluster_names(month.X, labels, keep_names=kept)
    clusters = [int(c) for c in names.index if c >= 0]
    previous = pd.Series({c: kept.get(c, np.nan) for c in clusters}, dtype=object)
    if before is None:
        status = pd.Series(NameStatus.FIRST, index=clusters, dtype=object)
    else:
        status = pd.Series({c: NameStatus.NEW if c not in kept else
                            NameStatus.KEPT if kept[c] == names[c] else NameStatus.RENAMED for c in clusters},
                           dtype=object)
    return names, status, previous


def _silhouette(Z: pd.DataFrame, labels: pd.Series) -> float:
    keep = labels.to_numpy() >= 0
    return silhouette(Z.loc[labels.index].to_numpy()[keep], labels.to_numpy()[keep], 0)


def changes(before: Month, now: Month) -> tuple[float, list[str]]:
    """Return the adjusted Rand index between two published months and the symbols whose group changed."""
    return label_changes(before.labels, now.labels)


def tradeoff(fits: Sequence[MonthFit], values: Sequence[float], last: int | None = None) -> pd.DataFrame:
    """Tabulate what each smoothness costs in fit and buys in stability, over the last ``last`` months.

    Returns
    -------
    DataFrame
        One row per value: ``smoothness``, ``median_ari`` (consecutive published months),
        ``median_ari_with_groups`` (only pairs where both own fits found groups),
        ``median_silhouette``, ``current_silhouette`` (the last month's),
        ``current_vs_independent`` (its ratio to the own fit's silhouette), ``median_k``,
        ``carried_months``.
    """
    rows = []
    for value in values:
        months = walk(fits, value, with_names=False)[-(last or len(fits)):]
        ari, ari_groups = [], []
        for before, now in zip(months, months[1:], strict=False):
            score, _ = changes(before, now)
            ari.append(score)
            if before.own.fit.has_groups and now.own.fit.has_groups:
                ari_groups.append(score)
        current = months[-1]
        rows.append({
            "smoothness": float(value),
            "median_ari": _median(ari),
            "median_ari_with_groups": _median(ari_groups),
            "median_silhouette": _median([m.silhouette for m in months]),
            "current_silhouette": current.silhouette,
            "current_vs_independent": current.silhouette / current.own_silhouette
            if np.isfinite(current.own_silhouette) and current.own_silhouette > 0 else np.nan,
            "median_k": float(np.median([m.k for m in months])),
            "carried_months": int(sum(m.carried for m in months)),
        })
    return pd.DataFrame(rows)


def _median(values: Sequence[float]) -> float:
    """Median of the finite values; NaN when there are none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.median(finite)) if finite else float("nan")
