"""DBSCAN with a suggested eps (knee of the k-distance curve) and HDBSCAN."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, HDBSCAN
from sklearn.neighbors import NearestNeighbors

from cluster_core._typing import FloatArray, IntArray
from cluster_core.clustering._kmeans import silhouette


def k_distance_curve(Z: FloatArray, min_samples: int, index: pd.Index) -> pd.DataFrame:
    """Distance of each symbol to its ``min_samples``-th nearest neighbour (itself excluded), sorted."""
    k = min(min_samples, len(Z) - 1)
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z)
    kth = distances[:, k]
    order = np.argsort(kth, kind="stable")
    return pd.DataFrame({"rank": np.arange(len(kth)), "symbol": index[order], "distance": kth[order]})


def suggest_eps(curve: pd.DataFrame) -> tuple[float, str]:
    """Suggest eps: the knee of the k-distance curve.

    When the curve rises less than 50 % past its knee there are no outliers to cut off,
    so eps is the largest k-distance (nothing is noise); with no knee at all, the 90th
    percentile.
    """
    distance = curve["distance"].to_numpy()
    from kneed import KneeLocator  # imports scipy.signal (0.9 s): only when eps is suggested

    knee = KneeLocator(curve["rank"], distance, curve="convex", direction="increasing").knee
    if knee is None or distance[int(knee)] <= 0:
        eps = float(np.quantile(distance, 0.9)) or 1e-6
        return eps, f"k-distance curve has no knee; eps = its 90th percentile ({eps:.3g})"
    eps = float(distance[int(knee)])
    if distance[-1] <= 1.5 * eps:
        top = float(distance[-1]) * 1.0001
        return top, f"eps = {top:.3g}: the k-distance curve has no outliers past its knee ({eps:.3g})"
    return eps, f"eps = {eps:.3g}, the knee of the k-distance curve"


def dbscan_labels(Z: FloatArray, eps: float, min_samples: int) -> IntArray:
    """DBSCAN labels, ``-1`` for noise."""
    return DBSCAN(eps=eps, min_samples=min_samples).fit_predict(Z)


HDBSCAN_MIN_SHARE = 0.01  # above 300 symbols, a cluster holds at least 1 % of them


def hdbscan_min_cluster_size(n_symbols: int, min_samples: int) -> int:
    """Return the smallest HDBSCAN cluster: ``min_samples`` (at least 2), and 1 % of the symbols in a large universe.

    With a fixed size of 3, HDBSCAN splits 5,000 symbols into some 500 clusters of a
    handful each: every local density bump becomes a "group" nobody can read or hold.
    """
    return max(2, min_samples, math.ceil(HDBSCAN_MIN_SHARE * n_symbols))


def hdbscan_labels(Z: FloatArray, min_samples: int, min_cluster_size: int) -> IntArray:
    """HDBSCAN labels (scikit-learn's); the size is :func:`hdbscan_min_cluster_size`'s."""
    return HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True).fit_predict(Z)


MAX_NOISE_SHARE = 0.2
MIN_SILHOUETTE = 0.25  # Kaufman and Rousseeuw (1990): at or below 0.25, "no substantial structure"


def scan_eps(Z: FloatArray, curve: pd.DataFrame, min_samples: int) -> tuple[float, str] | None:
    """Pick the eps with the best silhouette among those giving 2+ clusters and at most 20 % noise.

    Candidates are the 5th..95th percentiles of the k-distance curve. Returns ``None``
    when no candidate separates two dense groups with a silhouette above
    :data:`MIN_SILHOUETTE` (noise counted as 0): then the caller falls back to the knee and
    says why. A Gaussian blob cut in two by a thin gap scores 0.20.
    """
    best: tuple[float, float] | None = None
    for eps in np.unique(np.quantile(curve["distance"].to_numpy(), np.linspace(0.05, 0.95, 19))):
        if eps <= 0:
            continue
        labels = dbscan_labels(Z, float(eps), min_samples)
        keep = labels >= 0
        if len(np.unique(labels[keep])) < 2 or (~keep).mean() > MAX_NOISE_SHARE:
            continue
        score = silhouette(Z[keep], labels[keep], 0) * keep.mean()  # noise counts as silhouette 0
        if np.isfinite(score) and score > MIN_SILHOUETTE and (best is None or score > best[1]):
            best = (float(eps), score)
    if best is None:
        return None
    return best[0], (f"eps = {best[0]:.3g} gives the best silhouette ({best[1]:.2f}) among eps values "
                     f"with 2+ clusters, at most {MAX_NOISE_SHARE:.0%} noise and a silhouette above "
                     f"{MIN_SILHOUETTE:g}")
