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


def symbol_confidence(
    fit: Callable[[FloatArray], IntArray],
    Z: FloatArray,
    labels: IntArray,
    n_resamples: int,
    fraction: float,
    random_state: int,
) -> FloatArray:
    """Per symbol, the mean Jaccard overlap of its cluster-mates between the fit and refits on resampled symbols.

    Each resample refits ``fit`` on a random ``fraction`` of the symbols. For a symbol in
    it, with ``A`` its cluster-mates in ``labels`` and ``B`` in the refit (both within the
    resample, the symbol included), the score is ``|A & B| / |A | B|``: 1 when its cluster
    comes back whole, ``|A| / (|A| + |C|)`` when it is merged with a cluster ``C``, the
    kept share when it is split. Noise (-1), in the fit or the refit, scores 0; noise
    symbols get NaN.

    Examples
    --------
    >>> Z = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> symbol_confidence(lambda sub: np.zeros(len(sub), int), Z, np.array([0, 0, 1, 1]), 4, 1.0, 0).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    n = len(Z)
    total, seen = np.zeros(n), np.zeros(n)
    for pick, sub in _refits(fit, Z, n_resamples, fraction, random_state):
        total[pick] += _jaccard(labels[pick], sub)
        seen[pick] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / seen
    out[labels < 0] = np.nan
    return out


def _jaccard(reference: IntArray, other: IntArray) -> FloatArray:
    """Per symbol, ``|A & B| / |A | B|`` of its clusters in ``reference`` and ``other`` (0 where either is noise)."""
    ref_codes, ref = np.unique(reference, return_inverse=True)
    oth_codes, oth = np.unique(other, return_inverse=True)
    both = np.zeros((len(ref_codes), len(oth_codes)))
    np.add.at(both, (ref, oth), 1.0)
    inter = both[ref, oth]
    union = both.sum(axis=1)[ref] + both.sum(axis=0)[oth] - inter
    score = inter / union
    score[(reference < 0) | (other < 0)] = 0.0
    return score


def _refits(
    fit: Callable[[FloatArray], IntArray], Z: FloatArray, n_resamples: int, fraction: float, random_state: int
) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield ``(rows picked, refit labels)`` for seeded random subsets of ``fraction`` of the rows."""
    rng = np.random.default_rng(random_state)
    size = max(3, int(round(fraction * len(Z))))
    for _ in range(n_resamples):
        pick = np.sort(rng.choice(len(Z), size=size, replace=False))
        yield pick, np.asarray(fit(Z[pick]))
