"""K-Means at a given k, its k curve (inertia and silhouette for k = 2..14), and a fast silhouette.

Automatic k is not here: it is the search for separate modes of
:mod:`cluster_core.clustering._groups`. The k curve stays for the Diagnostics page and the
hierarchical tree's automatic cut (:func:`choose_k`).
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist, squareform
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state

from cluster_core._typing import FloatArray, IntArray
from cluster_core.clustering._config import K_MAX

N_INIT = 10
SILHOUETTE_SAMPLE = 2000  # above this many symbols the silhouette is estimated on a seeded sample


N_INIT_LARGE = 3  # restarts above SILHOUETTE_SAMPLE points, where k-means++ seeding varies little


def kmeans_labels(
    Z: FloatArray, n_clusters: int, random_state: int, n_init: int = N_INIT
) -> tuple[IntArray, float]:
    """Labels and inertia of one K-Means fit (seeded, ``n_init=10`` restarts by default, 3 above 2,000 points)."""
    if len(Z) > SILHOUETTE_SAMPLE:
        n_init = min(n_init, N_INIT_LARGE)
    model = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=random_state)
    with warnings.catch_warnings():  # duplicate points give fewer distinct clusters: reported by the caller
        warnings.simplefilter("ignore")
        labels = model.fit_predict(Z)
    return labels, float(model.inertia_)


def silhouette(Z: FloatArray, labels: IntArray, random_state: int) -> float:
    """Mean silhouette (Euclidean), on a seeded sample of 2,000 symbols above that size; NaN if undefined.

    Computed here from one distance matrix (the same definition as scikit-learn's, a
    singleton scoring 0): the null tests call it a thousand times on small samples, where
    scikit-learn's input checks cost more than the arithmetic. Above 2,000 symbols the
    sample is scikit-learn's (``silhouette_score(..., sample_size=2000, random_state=...)``)
    and its distance matrix is kept for the next call on the same features, so the 13
    values of k share one matrix instead of computing 13.
    """
    values = np.unique(labels)
    if not 2 <= len(values) < len(Z):
        return float("nan")
    if len(Z) > SILHOUETTE_SAMPLE:
        sample, distances = _sample_distances(Z, random_state)
        return _silhouette_from(distances, labels[sample])
    return _silhouette_from(squareform(pdist(Z)), labels)


def _silhouette_from(distances: FloatArray, labels: IntArray) -> float:
    values, codes = np.unique(labels, return_inverse=True)
    n = len(labels)
    if not 2 <= len(values) < n:
        return float("nan")
    members = np.zeros((n, len(values)))
    members[np.arange(n), codes] = 1.0
    sums, counts = distances @ members, members.sum(axis=0)
    own = counts[codes] - 1
    a = np.divide(sums[np.arange(n), codes], own, out=np.zeros(n), where=own > 0)
    mean_to = sums / counts
    mean_to[np.arange(n), codes] = np.inf
    b = mean_to.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(own > 0, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nan_to_num(score).mean())


_SAMPLES: OrderedDict[tuple[str, int], tuple[IntArray, FloatArray]] = OrderedDict()


def _sample_distances(Z: FloatArray, random_state: int) -> tuple[IntArray, FloatArray]:
    """Return scikit-learn's silhouette sample of ``Z`` for ``random_state`` and its distance matrix (last 4 kept)."""
    key = _key(Z, random_state)
    with _CURVES_LOCK:
        kept = _SAMPLES.get(key)
    if kept is None:
        sample = check_random_state(random_state).permutation(len(Z))[:SILHOUETTE_SAMPLE]
        kept = sample, squareform(pdist(np.asarray(Z)[sample]))
        with _CURVES_LOCK:
            _SAMPLES[key] = kept
            while len(_SAMPLES) > 4:
                _SAMPLES.popitem(last=False)
    return kept


@dataclass(frozen=True, eq=False)
class _Curve:
    table: pd.DataFrame
    labels: dict[int, IntArray]


_CURVES: OrderedDict[tuple[str, int], _Curve] = OrderedDict()
_CURVES_MAX = 16
_CURVES_LOCK = threading.Lock()


def _key(Z: FloatArray, random_state: int) -> tuple[str, int]:
    return hashlib.blake2b(np.ascontiguousarray(Z).tobytes(), digest_size=16).hexdigest(), random_state


def _curve(Z: FloatArray, random_state: int) -> _Curve:
    key = _key(Z, random_state)
    with _CURVES_LOCK:
        cached = _CURVES.get(key)
        if cached is not None:
            _CURVES.move_to_end(key)
            return cached
    rows, labels = [], {}
    for k in range(2, min(K_MAX, len(Z) - 1) + 1):
        labels[k], inertia = kmeans_labels(Z, k, random_state)
        rows.append((k, inertia, silhouette(Z, labels[k], random_state)))
    curve = _Curve(pd.DataFrame(rows, columns=["k", "inertia", "silhouette"]), labels)
    with _CURVES_LOCK:
        _CURVES[key] = curve
        while len(_CURVES) > _CURVES_MAX:
            _CURVES.popitem(last=False)
    return curve


def k_curve(Z: FloatArray, random_state: int) -> pd.DataFrame:
    """Inertia and silhouette for k = 2..min(14, n-1).

    Thirteen fits take a few hundred ms and depend on the features only, so the last 16
    curves are kept (keyed by a hash of ``Z``), with their labels: switching algorithm
    or k and back re-uses them. A copy is returned.
    """
    return _curve(Z, random_state).table.copy()


def labels_for(Z: FloatArray, k: int, random_state: int) -> IntArray:
    """K-Means labels at ``k``; from the k curve when it is cached (the same seeded fit, so auto and manual agree)."""
    key = _key(Z, random_state)
    with _CURVES_LOCK:
        cached = _CURVES.get(key)
    if cached is not None and k in cached.labels:
        return cached.labels[k].copy()
    return kmeans_labels(Z, k, random_state)[0]


def choose_k(curve: pd.DataFrame) -> tuple[int, str]:
    """Choose k: the best silhouette of the curve (the smallest such k on a tie).

    Returns the chosen k and a sentence saying how it was chosen.
    """
    if len(curve) == 1:
        return int(curve["k"].iloc[0]), "only k=2 is possible with this many symbols"
    scored = curve.dropna(subset=["silhouette"])
    if scored.empty:
        return int(curve["k"].iloc[0]), "no k gives distinct clusters; k=2"
    best = scored.loc[scored["silhouette"].idxmax()]
    return int(best["k"]), (
        f"k={int(best['k'])} has the best silhouette ({best['silhouette']:.2f}) of "
        f"k={int(curve['k'].min())}..{int(curve['k'].max())}"
    )
