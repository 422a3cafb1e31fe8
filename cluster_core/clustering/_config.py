"""Clustering choices and the frozen config that selects them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cluster_core._validation import check_enum, check_float, check_int
from cluster_core.errors import ParameterError

K_MAX = 14


class ClusterMethod(StrEnum):
    """Clustering algorithms (values are the CLI spelling)."""

    KMEANS = "kmeans"
    DBSCAN = "dbscan"
    HIERARCHICAL = "hierarchical"
    HDBSCAN = "hdbscan"

    @property
    def label(self) -> str:
        """The algorithm's name as people write it ("K-Means", "DBSCAN", ...)."""
        return {"kmeans": "K-Means", "hierarchical": "Hierarchical"}.get(self.value, self.value.upper())


class Linkage(StrEnum):
    """Linkage rules of hierarchical clustering."""

    WARD = "ward"
    AVERAGE = "average"
    COMPLETE = "complete"
    SINGLE = "single"


class Distance(StrEnum):
    """What hierarchical clustering measures distances on."""

    FEATURES = "features"  # Euclidean on the prepared features
    PEARSON = "pearson"  # Mantegna: sqrt(2 (1 - rho)) of returns
    SPEARMAN = "spearman"


@dataclass(frozen=True)
class ClusterConfig:
    """Parameters of :func:`fit_clusters` (hashable: part of the cache key).

    Parameters
    ----------
    method : ClusterMethod, default="kmeans"
    n_clusters : int or None, default=None
        K-Means / hierarchical number of clusters; ``None`` picks it automatically
        (K-Means: best silhouette, a null test and a refinement, see
        :mod:`cluster_core.clustering._kmeans`; hierarchical: the best silhouette of the
        tree's cuts) unless ``cut_distance`` is given.
    eps : float or None, default=None
        DBSCAN radius; ``None`` scans the k-distance curve for the best silhouette with
        at most 20 % noise (its knee when no eps gives 2+ clusters).
    min_samples : int, default=3
        DBSCAN / HDBSCAN core-point size (HDBSCAN's min cluster size too, raised to
        1 % of the symbols above 300 of them: see ``hdbscan_min_cluster_size``).
    linkage : Linkage, default="ward"
    distance : Distance, default="features"
    cut_distance : float or None, default=None
        Hierarchical: cut the tree at this height instead of into ``n_clusters``.
    random_state : int, default=0
    """

    method: ClusterMethod = ClusterMethod.KMEANS
    n_clusters: int | None = None
    eps: float | None = None
    min_samples: int = 3
    linkage: Linkage = Linkage.WARD
    distance: Distance = Distance.FEATURES
    cut_distance: float | None = None
    random_state: int = 0

    def validated(self, n_samples: int) -> ClusterConfig:
        """Return a checked copy for ``n_samples`` symbols; raise :class:`ParameterError` with the fix."""
        method = check_enum("method", self.method, ClusterMethod)
        linkage = check_enum("linkage", self.linkage, Linkage)
        distance = check_enum("distance", self.distance, Distance)
        n_clusters = self.n_clusters
        if n_clusters is not None:
            n_clusters = check_int("n_clusters", n_clusters, 2, 10_000)
            if n_clusters >= n_samples:
                raise ParameterError(
                    f"k={n_clusters} needs more than {n_clusters} symbols; the window has {n_samples}. "
                    "Lower k or lengthen the lookback / widen the universe."
                )
        eps = None if self.eps is None else check_float("eps", self.eps, 1e-9, 1e6)
        cut = None if self.cut_distance is None else check_float("cut_distance", self.cut_distance, 1e-12, 1e9)
        min_samples = check_int("min_samples", self.min_samples, 1, max(1, n_samples))
        return ClusterConfig(
            method=method,
            n_clusters=n_clusters,
            eps=eps,
            min_samples=min_samples,
            linkage=linkage,
            distance=distance,
            cut_distance=cut,
            random_state=check_int("random_state", self.random_state, 0, 2**31 - 1),
        )
