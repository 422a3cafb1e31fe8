"""Clustering: K-Means (automatic k), DBSCAN (suggested eps), hierarchical, HDBSCAN; quality, stability, evolution."""

from cluster_core.clustering._config import K_MAX, ClusterConfig, ClusterMethod, Distance, Linkage
from cluster_core.clustering._evolve import DEFAULT_SMOOTHNESS, MAX_SMOOTHNESS, Evolved, evolve, validated_smoothness
from cluster_core.clustering._fit import cluster_stability, confidence, diagnostic_curves, fit_clusters
from cluster_core.clustering._hierarchical import correlation_distance
from cluster_core.clustering._kmeans import silhouette
from cluster_core.clustering._result import Clustering

__all__ = [
    "DEFAULT_SMOOTHNESS",
    "K_MAX",
    "MAX_SMOOTHNESS",
    "ClusterConfig",
    "ClusterMethod",
    "Clustering",
    "Distance",
    "Evolved",
    "Linkage",
    "cluster_stability",
    "confidence",
    "correlation_distance",
    "diagnostic_curves",
    "evolve",
    "fit_clusters",
    "silhouette",
    "validated_smoothness",
]
