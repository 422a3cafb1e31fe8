"""The value every clustering algorithm returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cluster_core.clustering._config import ClusterConfig
from cluster_core.clustering._kmeans import StructureTest


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
        K-Means: ``k``, ``inertia``, ``silhouette`` for k = 2..min(14, n-1).
    k_distance : DataFrame or None
        DBSCAN: sorted distance of each symbol to its ``min_samples``-th neighbour.
    linkage_matrix : ndarray or None
        Hierarchical: scipy's linkage matrix (rows in the order of ``labels``).
    distance_matrix : ndarray or None
        Hierarchical on returns: the Mantegna distance matrix.
    notes : tuple of str
        How automatic choices were made, degenerate outcomes (all noise...).
    structure : StructureTest or None
        K-Means with automatic k: the silhouette against one structureless population of
        the same shape; ``structure.has_groups`` False means "no clear groups" (then
        every symbol is in cluster 0).
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
    structure: StructureTest | None = None
    confidence: pd.Series | None = None

    @property
    def has_groups(self) -> bool:
        """False when the automatic k found no structure beyond one population."""
        return self.structure is None or self.structure.has_groups

    @property
    def n_clusters(self) -> int:
        """Clusters found, noise excluded."""
        return int(len(set(self.labels[self.labels >= 0])))

    @property
    def n_noise(self) -> int:
        """Symbols labelled noise."""
        return int((self.labels < 0).sum())
