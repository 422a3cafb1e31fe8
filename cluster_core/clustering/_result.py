"""The value every clustering algorithm returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cluster_core.clustering._config import ClusterConfig, ClusterMethod
from cluster_core.clustering._groups import GroupSearch


@dataclass(frozen=True, eq=False)
class Clustering:
    """Labels and diagnostics of one fit.

    Attributes
    ----------
    labels : Series
        Cluster per symbol (index symbol), ``-1`` for noise, clusters numbered
        ``0..k-1`` by ascending mean annualised volatility (stable across reruns).
    config : ClusterConfig
        The validated config, with the automatic choices filled in (``n_clusters``, ``eps``).
    quality : dict of str to float
        ``silhouette``, ``calinski_harabasz``, ``davies_bouldin`` (NaN when undefined).
    silhouette_samples : Series
        Silhouette of each clustered symbol (NaN for noise).
    k_curve : DataFrame or None
        Hierarchical with automatic k: ``k``, ``inertia``, ``silhouette`` of the tree's cuts.
    k_distance : DataFrame or None
        DBSCAN: sorted distance of each symbol to its ``min_samples``-th neighbour.
    linkage_matrix : ndarray or None
        Hierarchical: scipy's linkage matrix (rows in the order of ``labels``).
    distance_matrix : ndarray or None
        Hierarchical on returns: the Mantegna distance matrix.
    notes : tuple of str
        How automatic choices were made, degenerate outcomes (all noise...).
    structure : GroupSearch or None
        K-Means with automatic k: the search for separate modes
        (:func:`cluster_core.clustering.find_groups`); one group found means "no clear
        groups" (every symbol in cluster 0).
    confidence : Series or None
        Per symbol, the share of resampled refits that keep it in its cluster
        (:func:`cluster_core.clustering.confidence`); the pipeline fills it.
    """

    labels: pd.Series
    config: ClusterConfig
    quality: dict[str, float]
    silhouette_samples: pd.Series
    k_curve: pd.DataFrame | None = None
    k_distance: pd.DataFrame | None = None
    linkage_matrix: np.ndarray | None = None
    distance_matrix: np.ndarray | None = None
    notes: tuple[str, ...] = field(default=())
    structure: GroupSearch | None = None
    confidence: pd.Series | None = None

    @property
    def has_groups(self) -> bool:
        """False when automatic k found no separate modes: one population, a spread."""
        return self.structure is None or self.structure.n_groups >= 2

    @property
    def n_clusters(self) -> int:
        """Clusters found, noise excluded."""
        return int(len(set(self.labels[self.labels >= 0])))

    def describe(self, requested: ClusterConfig) -> str:
        """Name the algorithm with the parameters it has and what it found: k only where k is one.

        ``requested`` is the config asked for (None where a choice was automatic), so the
        text says "automatic" or "set"; :attr:`config` holds the values used.

        Examples: "K-Means, automatic k: 2 clusters"; "DBSCAN, eps = 2.5 (set),
        min_samples = 4: 1 cluster + 6 noise"; "HDBSCAN, min_samples = 3 (also the smallest
        cluster): 5 clusters + 12 noise".
        """
        config, n = self.config, self.n_clusters
        found = f"{n} cluster{'s' if n != 1 else ''}" + (f" + {self.n_noise} noise" if self.n_noise else "")
        if config.method is ClusterMethod.DBSCAN:
            how = "automatic" if requested.eps is None else "set"
            return f"DBSCAN, eps = {config.eps:.3g} ({how}), min_samples = {config.min_samples}: {found}"
        if config.method is ClusterMethod.HDBSCAN:
            return f"HDBSCAN, min_samples = {config.min_samples} (also the smallest cluster): {found}"
        name = config.method.label
        if config.method is ClusterMethod.HIERARCHICAL:
            name += f" ({config.linkage.value} linkage, {config.distance.value} distance)"
            if requested.cut_distance is not None:
                return f"{name}, tree cut at height {requested.cut_distance:g}: {found}"
        if requested.n_clusters is None:
            return f"{name}, automatic k: " + (found if self.has_groups else "no clear groups (1 cluster)")
        return f"{name}, k = {requested.n_clusters}: {found}"

    @property
    def n_noise(self) -> int:
        """Symbols labelled noise."""
        return int((self.labels < 0).sum())
