"""Clustering: K-Means (automatic k), DBSCAN (suggested eps), hierarchical, HDBSCAN; quality and stability."""

from cluster_core.clustering._config import K_MAX, ClusterConfig, ClusterMethod, Distance, Linkage
from cluster_core.clustering._fit import cluster_stability, confidence, diagnostic_curves, fit_clusters
from cluster_core.clustering._hierarchical import correlation_distance
from cluster_core.clustering._result import Clustering

__all__ = [
    "K_MAX",
    "ClusterConfig",
    "ClusterMethod",
    "Clustering",
    "Distance",
    "Linkage",
    "cluster_stability",
    "confidence",
    "correlation_distance",
    "diagnostic_curves",
    "fit_clusters",
]
