"""Hierarchical clustering on features or on correlation distance of returns (Mantegna)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from scipy.stats import rankdata

from cluster_core._typing import FloatArray, IntArray
from cluster_core.clustering._config import Distance, Linkage
from cluster_core.clustering._groups import find_groups
from cluster_core.features import FULL_SPECTRUM_MAX, Spectrum, marchenko_pastur


def correlation_distance(returns: FloatArray, distance: Distance) -> FloatArray:
    """Mantegna distance ``sqrt(2 (1 - rho))`` between symbols (rows of ``returns``, NaN = missing).

    ``rho`` is Pearson's correlation of returns, or Spearman's (Pearson of ranks); missing
    returns are set to the symbol's mean (rank: its mid-rank), so they add no co-movement.
    """
    r = np.array(returns, dtype=np.float64)
    missing = np.isnan(r)
    if distance is Distance.SPEARMAN:
        r = np.where(missing, np.nan, r)
        r = np.apply_along_axis(lambda row: rankdata(row, nan_policy="omit"), 1, r)
    means = np.nanmean(r, axis=1, keepdims=True)
    r = np.where(np.isnan(r), means, r)
    with np.errstate(invalid="ignore", divide="ignore"):  # a flat series (BTC's own residual) has no correlation
        rho = np.corrcoef(r)
    rho = np.nan_to_num(rho, nan=0.0)
    np.fill_diagonal(rho, 1.0)
    return np.sqrt(np.clip(2.0 * (1.0 - rho), 0.0, 4.0))


def co_movement_k(distances: FloatArray, n_bars: int, random_state: int = 0) -> tuple[int, str]:
    """Automatic k of a correlation distance: the mode search run on the co-movement's independent drivers.

    The correlation ``rho = 1 - d^2 / 2`` has ``m`` eigenvalues above the Marchenko-Pastur
    edge of its shape (:func:`cluster_core.features.marchenko_pastur`). Each symbol's
    coordinates on those ``m`` eigenvectors (scaled by the square root of their
    eigenvalues) place it by what drives it; :func:`find_groups`, the same search for
    separate modes as K-Means' automatic k, says how many groups those coordinates hold. No
    eigenvalue above the edge: nothing but noise co-moves, one group.

    Returns
    -------
    (k, how) : int, str
    """
    rho = 1.0 - np.asarray(distances, dtype=np.float64) ** 2 / 2.0
    if len(rho) <= FULL_SPECTRUM_MAX:  # one decomposition gives the spectrum and the loadings
        values, vectors = np.linalg.eigh(rho)
        spectrum = Spectrum(values[::-1].copy(), len(rho), int(n_bars))
    else:
        spectrum = marchenko_pastur(rho, n_bars)
    m = spectrum.n_factors
    drivers = f"{m} eigenvalue(s) of the return correlation above the Marchenko-Pastur edge ({spectrum.edge:.2f})"
    if m == 0:
        return 1, f"{drivers}: no co-movement beyond noise, one group."
    if len(rho) > FULL_SPECTRUM_MAX:
        from scipy.sparse.linalg import eigsh

        values, vectors = eigsh(rho, k=m, which="LA")
    top = np.argsort(values)[::-1][:m]
    loadings = vectors[:, top] * np.sqrt(np.clip(values[top], 0.0, None))
    # A symbol's loadings are its correlations with the drivers: members of one sector lie along
    # one ray, strong and weak followers at different distances from the origin. On the unit
    # sphere (the direction only, as in Ng, Jordan and Weiss's spectral clustering) a sector is
    # one compact mode; a symbol with no loading at all stays at the origin, isolated.
    norm = np.linalg.norm(loadings, axis=1, keepdims=True)
    coordinates = np.divide(loadings, norm, out=np.zeros_like(loadings), where=norm > 1e-9)
    k = max(find_groups(coordinates, random_state).n_groups, 1)
    return k, (f"{drivers}; the search for separate modes on the symbols' loadings on them finds {k} group(s), "
               f"and the tree is cut into as many.")


TREES_KEPT = 64  # linkage trees of recent inputs (a 5,000-symbol tree is 160 KB)
_TREES: OrderedDict[tuple[str, str], FloatArray] = OrderedDict()
_TREES_LOCK = threading.Lock()


def linkage_matrix(Z: FloatArray, linkage: Linkage, distance_matrix: FloatArray | None) -> FloatArray:
    """Scipy linkage on the features (Euclidean) or on a precomputed distance matrix (read-only, kept for reuse).

    The tree does not depend on k: a k change re-cuts it, and the confidence refits of the
    new k re-cut the resamples' trees instead of building 20 Ward trees again (5.6 s at
    5,000 symbols). The last :data:`TREES_KEPT` trees are kept, keyed by the input's bytes.
    """
    source = np.ascontiguousarray(Z if distance_matrix is None else distance_matrix, dtype=np.float64)
    digest = hashlib.blake2b(source.tobytes(), digest_size=16)
    digest.update(repr((source.shape, distance_matrix is None)).encode())
    key = (digest.hexdigest(), linkage.value)
    with _TREES_LOCK:
        tree = _TREES.get(key)
        if tree is not None:
            _TREES.move_to_end(key)
            return tree
    if distance_matrix is None:
        tree = hierarchy.linkage(source, method=linkage.value, metric="euclidean")
    else:
        tree = hierarchy.linkage(squareform(source, checks=False), method=linkage.value)
    tree.setflags(write=False)
    with _TREES_LOCK:
        _TREES[key] = tree
        while len(_TREES) > TREES_KEPT:
            _TREES.popitem(last=False)
    return tree


def cut_tree(tree: FloatArray, n_clusters: int | None, cut_distance: float | None) -> IntArray:
    """Labels ``0..k-1`` from a cut by cluster count or by height."""
    if cut_distance is not None:
        labels = hierarchy.fcluster(tree, t=cut_distance, criterion="distance")
    else:
        labels = hierarchy.fcluster(tree, t=n_clusters, criterion="maxclust")
    return labels - 1


def cut_height(tree: FloatArray, n_clusters: int) -> float:
    """Return a height that cuts the tree into ``n_clusters`` (midway between the two merges around it)."""
    heights = np.sort(tree[:, 2])
    n = len(heights) + 1
    upper = heights[n - n_clusters] if n_clusters > 1 else heights[-1]
    lower = heights[n - n_clusters - 1] if n - n_clusters - 1 >= 0 else 0.0
    return float((upper + lower) / 2)
