"""K-Means with an automatic k: inertia elbow (kneed) cross-checked with silhouette."""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict

import numpy as np
import pandas as pd
from kneed import KneeLocator
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from cluster_core._typing import FloatArray, IntArray
from cluster_core.clustering._config import K_MAX

N_INIT = 4
CURVE_N_INIT = 2  # the k curve only needs the shape of inertia vs k: fewer restarts, half the time


def kmeans_labels(
    Z: FloatArray, n_clusters: int, random_state: int, n_init: int = N_INIT
) -> tuple[IntArray, float]:
    """Labels and inertia of one K-Means fit (seeded, ``n_init=4`` by default)."""
    model = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=random_state)
    with warnings.catch_warnings():  # duplicate points give fewer distinct clusters: reported by the caller
        warnings.simplefilter("ignore")
        labels = model.fit_predict(Z)
    return labels, float(model.inertia_)


_CURVES: OrderedDict[tuple[str, int], pd.DataFrame] = OrderedDict()
_CURVES_MAX = 16
_CURVES_LOCK = threading.Lock()


def k_curve(Z: FloatArray, random_state: int) -> pd.DataFrame:
    """Inertia and silhouette for k = 2..min(14, n-1).

    Thirteen fits take a few hundred ms, and the curve depends on the features only, so
    the last 16 curves are kept (keyed by a hash of ``Z``): switching algorithm or k and
    back re-uses them. A copy is returned.
    """
    key = (hashlib.blake2b(np.ascontiguousarray(Z).tobytes(), digest_size=16).hexdigest(), random_state)
    with _CURVES_LOCK:
        cached = _CURVES.get(key)
        if cached is not None:
            _CURVES.move_to_end(key)
            return cached.copy()
    curve = _k_curve(Z, random_state)
    with _CURVES_LOCK:
        _CURVES[key] = curve
        while len(_CURVES) > _CURVES_MAX:
            _CURVES.popitem(last=False)
    return curve.copy()


def _k_curve(Z: FloatArray, random_state: int) -> pd.DataFrame:
    rows = []
    for k in range(2, min(K_MAX, len(Z) - 1) + 1):
        labels, inertia = kmeans_labels(Z, k, random_state, n_init=CURVE_N_INIT)
        distinct = len(np.unique(labels))
        score = silhouette_score(Z, labels) if 2 <= distinct < len(Z) else np.nan
        rows.append((k, inertia, score))
    return pd.DataFrame(rows, columns=["k", "inertia", "silhouette"])


def choose_k(curve: pd.DataFrame) -> tuple[int, str]:
    """Choose k: the inertia elbow (kneed), moved at most one step to the best silhouette.

    Returns the chosen k and a sentence saying how it was chosen.
    """
    if len(curve) == 1:
        return int(curve["k"].iloc[0]), "only k=2 is possible with this many symbols"
    scored = curve.dropna(subset=["silhouette"])
    best_overall = int(scored.loc[scored["silhouette"].idxmax(), "k"]) if len(scored) else int(curve["k"].iloc[0])
    knee = KneeLocator(curve["k"], curve["inertia"], curve="convex", direction="decreasing").knee
    if knee is None:
        return best_overall, f"no inertia elbow found; k={best_overall} has the best silhouette"
    near = scored[(scored["k"] >= knee - 1) & (scored["k"] <= knee + 1)]
    if near.empty:
        return int(knee), f"inertia elbow at k={int(knee)}"
    chosen = int(near.loc[near["silhouette"].idxmax(), "k"])
    if chosen == knee:
        return chosen, f"inertia elbow at k={chosen}, confirmed by silhouette"
    return chosen, f"inertia elbow at k={int(knee)}; k={chosen} next to it has a better silhouette"
