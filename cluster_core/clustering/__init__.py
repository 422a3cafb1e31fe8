"""Clustering: automatic k by separate modes, K-Means, DBSCAN, hierarchical, HDBSCAN; quality, stability, evolution."""

from cluster_core.clustering._config import K_MAX, ClusterConfig, ClusterMethod, Distance, Linkage
from cluster_core.clustering._evolve import DEFAULT_SMOOTHNESS, MAX_SMOOTHNESS, Evolved, evolve, validated_smoothness
from cluster_core.clustering._fit import cluster_stability, confidence, diagnostic_curves, fit_clusters
from cluster_core.clustering._groups import GroupSearch, Split, find_groups
from cluster_core.clustering._hierarchical import correlation_distance
from cluster_core.clustering._kmeans import silhouette
from cluster_core.clustering._result import Clustering
from cluster_core.clustering._tiers import CONTINUUM_SHARE, Tiers, continuum_tiers

__all__ = [
    "CONTINUUM_SHARE",
    "DEFAULT_SMOOTHNESS",
    "K_MAX",
    "MAX_SMOOTHNESS",
    "ClusterConfig",
    "ClusterMethod",
    "Clustering",
    "Distance",
    "Evolved",
    "GroupSearch",
    "Linkage",
    "Split",
    "Tiers",
    "cluster_stability",
    "confidence",
    "continuum_tiers",
    "correlation_distance",
    "diagnostic_curves",
    "evolve",
    "find_groups",
    "fit_clusters",
    "silhouette",
    "validated_smoothness",
]
