"""Quality scores and resampling stability of a clustering."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_samples

from cluster_core._typing import FloatArray, IntArray


def quality_scores(
    Z: FloatArray, labels: IntArray, index: pd.Index, distances: FloatArray | None = None
) -> tuple[dict[str, float], pd.Series]:
    """Silhouette (overall and per symbol), Calinski-Harabasz, Davies-Bouldin, on non-noise symbols.

    The silhouette uses ``distances`` when given (correlation distance), else Euclidean
    distance on ``Z``. Undefined scores (fewer than 2 clusters, or every symbol its own
    cluster) are NaN.
    """
    keep = labels >= 0
    per_symbol = pd.Series(np.nan, index=index, name="silhouette")
    scores = {"silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan}
    n_labels = len(np.unique(labels[keep]))
    if 2 <= n_labels < keep.sum():
        if distances is None:
            values = silhouette_samples(Z[keep], labels[keep])
        else:
            values = silhouette_samples(distances[np.ix_(keep, keep)], labels[keep], metric="precomputed")
        per_symbol[keep] = values
        scores = {
            "silhouette": float(values.mean()),
            "calinski_harabasz": float(calinski_harabasz_score(Z[keep], labels[keep])),
            "davies_bouldin": float(davies_bouldin_score(Z[keep], labels[keep])),
        }
    return scores, per_symbol


def co_membership_stability(
    fit: Callable[[FloatArray], IntArray],
    Z: FloatArray,
    labels: IntArray,
    n_resamples: int,
    fraction: float,
    random_state: int,
) -> FloatArray:
    """Per cluster, how often pairs of its members stay together when 80 % of symbols are refitted.

    ``fit(Z_subset) -> labels`` refits with the same settings. For each resample, every
    pair of the cluster present in it scores 1 if the refit puts them in one cluster
    (noise never counts as together). The score is the mean over pairs and resamples:
    1 = always together, near 1/k = chance.
    """
    n = len(Z)
    together = np.zeros((n, n))
    seen = np.zeros((n, n))
    for pick, sub in _refits(fit, Z, n_resamples, fraction, random_state):
        same = (sub[:, None] == sub[None, :]) & (sub[:, None] >= 0)
        together[np.ix_(pick, pick)] += same
        seen[np.ix_(pick, pick)] += 1
    clusters = sorted(set(labels[labels >= 0]))
    out = np.full(len(clusters), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = together / seen
    for i, c in enumerate(clusters):
        members = np.flatnonzero(labels == c)
        if len(members) < 2:
            out[i] = np.nan
            continue
        block = rate[np.ix_(members, members)]
        mask = ~np.eye(len(members), dtype=bool)
        out[i] = float(np.nanmean(block[mask]))
    return out


def symbol_confidence(
    fit: Callable[[FloatArray], IntArray],
    Z: FloatArray,
    labels: IntArray,
    n_resamples: int,
    fraction: float,
    random_state: int,
) -> FloatArray:
    """Per symbol, the share of refits on resampled symbols that keep it in its cluster.

    Each resample refits ``fit`` on a random ``fraction`` of the symbols; each refit
    cluster is matched to the original cluster most of its members come from (so a
    relabelling is not a move, nor is a subdivision), and a symbol present in the
    resample scores 1 if its matched cluster is its own. Noise symbols get NaN.
    """
    n = len(Z)
    kept, seen = np.zeros(n), np.zeros(n)
    for pick, sub in _refits(fit, Z, n_resamples, fraction, random_state):
        kept[pick] += _aligned(labels[pick], sub) == labels[pick]
        seen[pick] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        out = kept / seen
    out[labels < 0] = np.nan
    return out


def _refits(
    fit: Callable[[FloatArray], IntArray], Z: FloatArray, n_resamples: int, fraction: float, random_state: int
) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield ``(rows picked, refit labels)`` for seeded random subsets of ``fraction`` of the rows."""
    rng = np.random.default_rng(random_state)
    size = max(3, int(round(fraction * len(Z))))
    for _ in range(n_resamples):
        pick = np.sort(rng.choice(len(Z), size=size, replace=False))
        yield pick, np.asarray(fit(Z[pick]))


def _aligned(reference: IntArray, other: IntArray) -> IntArray:
    """``other`` relabelled to the ``reference`` cluster each of its clusters overlaps most (-1 stays -1).

    Many-to-one: a refit that splits a cluster in two keeps both halves with it (the
    members were not separated from their group, the group was subdivided); a refit that
    merges two clusters moves the smaller one's members.
    """
    out = np.full_like(other, -1)
    for part in np.unique(other[other >= 0]):
        inside = other == part
        counts = np.bincount(reference[inside & (reference >= 0)], minlength=1)
        out[inside] = int(np.argmax(counts)) if counts.sum() else -1
    return out
