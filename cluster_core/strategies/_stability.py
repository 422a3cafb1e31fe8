"""Cluster stability over time (label alignment, ARI, migrations) and clusters against sectors."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

__all__ = ["align_labels", "compare_with_sectors", "label_changes", "stability_over_time"]


def align_labels(previous: pd.Series, current: pd.Series, first_free: int | None = None) -> pd.Series:
    """Renumber ``current`` clusters to match ``previous`` ones with most shared members (Hungarian).

    Clusters with no counterpart get new numbers from ``first_free`` (default: after the
    largest previous one; give the largest number ever used + 1 so that a new group
    never takes the number of one that ended earlier); noise stays -1.
    """
    common = previous.index.intersection(current.index)
    prev_ids = sorted(int(c) for c in set(previous) if c >= 0)
    curr_ids = sorted(int(c) for c in set(current) if c >= 0)
    overlap = np.zeros((len(curr_ids), len(prev_ids)))
    cur, prev = current.reindex(common).to_numpy(), previous.reindex(common).to_numpy()
    both = (cur >= 0) & (prev >= 0)
    np.add.at(overlap, (np.searchsorted(curr_ids, cur[both]), np.searchsorted(prev_ids, prev[both])), 1.0)
    mapping = {}
    if overlap.size:
        rows, cols = linear_sum_assignment(-overlap)
        mapping = {curr_ids[r]: prev_ids[c] for r, c in zip(rows, cols, strict=True) if overlap[r, c] > 0}
    next_id = max(max(prev_ids, default=-1) + 1, first_free or 0)
    for c in curr_ids:
        if c not in mapping:
            mapping[c] = next_id
            next_id += 1
    lookup = np.array([mapping.get(int(c), -1) if c >= 0 else -1 for c in current.to_numpy()], dtype=int)
    return pd.Series(lookup, index=current.index, name=current.name)


def label_changes(previous: pd.Series, current: pd.Series) -> tuple[float, list[str]]:
    """Return the adjusted Rand index between two labellings and the symbols whose label differs.

    On the symbols present in both; ``current`` should be aligned to ``previous``
    (:func:`align_labels`), so a symbol "changed" when its group number did.
    """
    common = previous.index.intersection(current.index)
    ari = adjusted_rand_score(previous[common], current[common]) if len(common) > 1 else np.nan
    return float(ari), sorted(common[previous[common].to_numpy() != current[common].to_numpy()])


def stability_over_time(labels: dict[pd.Timestamp, pd.Series]) -> tuple[pd.DataFrame, dict[pd.Timestamp, pd.Series]]:
    """ARI between consecutive rebalance dates, and labels aligned month to month.

    Returns
    -------
    (table, aligned)
        ``table``: ``date``, ``clusters``, ``ari_vs_previous`` (on symbols present both
        times), ``changed`` (symbols whose aligned cluster changed), ``n_changed``.
        ``aligned``: labels per date after alignment to the month before.
    """
    aligned: dict[pd.Timestamp, pd.Series] = {}
    rows = []
    previous, first_free = None, 0
    for date in sorted(labels):
        current = labels[date]
        if previous is not None:
            current = align_labels(previous, current, first_free)
            ari, changed = label_changes(previous, current)
        else:
            ari, changed = np.nan, []
        aligned[date] = current
        first_free = max(first_free, int(current.max()) + 1 if len(current) else 0)
        rows.append({"date": date, "clusters": int(current[current >= 0].nunique()), "ari_vs_previous": ari,
                     "n_changed": len(changed), "changed": ", ".join(changed)})
        previous = current
    return pd.DataFrame(rows), aligned


def compare_with_sectors(labels: pd.Series, names: pd.Series, sectors: pd.Series) -> dict[str, object]:
    """Crosstab of clusters against sectors, agreement scores, and symbols that leave their sector.

    Returns
    -------
    dict
        ``crosstab`` (sector x cluster name counts), ``ari``, ``ami`` (adjusted mutual
        information), ``departures``: symbols whose cluster is not the one most of their
        sector falls in (``symbol``, ``sector``, ``cluster_name``, ``sector_usual_cluster``).
    """
    known = sectors.reindex(labels.index).dropna()
    known = known[known != "unknown"]
    lab = labels[known.index]
    cluster_names = lab.map(names).fillna("Noise / outliers")
    crosstab = pd.crosstab(known, cluster_names)
    usual = crosstab.idxmax(axis=1)
    departures = pd.DataFrame(
        {"symbol": known.index, "sector": known.to_numpy(), "cluster_name": cluster_names.to_numpy()}
    )
    departures["sector_usual_cluster"] = departures["sector"].map(usual)
    sizes = known.map(known.value_counts())
    elsewhere = departures["cluster_name"] != departures["sector_usual_cluster"]
    departures = departures[elsewhere & (sizes.to_numpy() >= 3)]
    return {
        "crosstab": crosstab,
        "ari": float(adjusted_rand_score(known, lab)) if len(known) > 1 else np.nan,
        "ami": float(adjusted_mutual_info_score(known, lab)) if len(known) > 1 else np.nan,
        "departures": departures.reset_index(drop=True),
    }
