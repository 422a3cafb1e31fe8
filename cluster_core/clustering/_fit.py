"""fit_clusters: one entry point over every algorithm, with canonical labels and quality scores."""

from __future__ import annotations

import contextvars
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pandas as pd

from cluster_core._typing import FloatArray, IntArray
from cluster_core.clustering import _density, _groups, _hierarchical, _kmeans
from cluster_core.clustering._config import K_MAX, ClusterConfig, ClusterMethod, Distance
from cluster_core.clustering._quality import quality_scores, symbol_confidence
from cluster_core.clustering._result import Clustering
from cluster_core.errors import DataError, ParameterError

__all__ = ["cluster_stability", "confidence", "diagnostic_curves", "fit_clusters"]


def fit_clusters(
    Z: pd.DataFrame,
    config: ClusterConfig | None = None,
    *,
    order_by: pd.Series | None = None,
    returns: pd.DataFrame | None = None,
) -> Clustering:
    """Cluster the symbols (rows of ``Z``) with the configured algorithm.

    Parameters
    ----------
    Z : DataFrame of shape (n_symbols, n_features)
        Prepared features (:func:`cluster_core.features.prepare_features`), no NaN.
    config : ClusterConfig, optional
    order_by : Series, optional
        A value per symbol; clusters are numbered by its ascending cluster mean
        (the pipeline passes annualised volatility), so labels, colours and names do not
        shuffle between reruns. Default: by decreasing size.
    returns : DataFrame of shape (n_bars, n_symbols), optional
        Window returns; required for hierarchical clustering on correlation distance.

    Returns
    -------
    Clustering

    Raises
    ------
    DataError
        Fewer than 3 symbols, or non-finite features.
    ParameterError
        k >= number of symbols, missing returns for a correlation distance, bad values.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> Z = pd.DataFrame(np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 5] + np.arange(10)[:, None] * 0.01)
    >>> fit_clusters(Z, ClusterConfig(n_clusters=2)).labels.tolist()
    [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    if len(Z) < 3:
        raise DataError(f"Clustering needs at least 3 symbols; got {len(Z)}. Widen the universe or the window.")
    cfg = (config or ClusterConfig()).validated(len(Z))
    X = Z.to_numpy(dtype=np.float64)
    if not np.isfinite(X).all():
        raise DataError("The prepared features contain NaN or infinite values; prepare them with prepare_features.")
    if np.ptp(X, axis=0).max(initial=0.0) == 0.0:
        labels = np.zeros(len(X), dtype=int)
        note = "Every symbol has identical features: they form one cluster."
        return _finish(Z, X, labels, cfg, order_by, notes=[note])
    fitters = {
        ClusterMethod.KMEANS: _fit_kmeans,
        ClusterMethod.DBSCAN: _fit_dbscan,
        ClusterMethod.HIERARCHICAL: _fit_hierarchical,
        ClusterMethod.HDBSCAN: _fit_hdbscan,
    }
    return fitters[cfg.method](Z, X, cfg, order_by, returns)


def _fit_kmeans(Z, X, cfg, order_by, returns) -> Clustering:
    notes, search = [], None
    k = cfg.n_clusters
    if k is None:
        search = _groups.find_groups(X, cfg.random_state)
        labels = search.labels.copy()
        notes.append(_describe_search(search, len(X)))
        k = search.n_groups
    else:
        labels = _kmeans.labels_for(X, k, cfg.random_state)
        found = len(np.unique(labels))
        if found < k:
            notes.append(f"Only {found} distinct clusters exist for k={k}: several symbols share identical features.")
    return _finish(Z, X, labels, _with(cfg, n_clusters=k), order_by, notes=notes, structure=search)


def _describe_search(search: _groups.GroupSearch, n: int) -> str:
    """Say how automatic k decided: the splits and their evidence, or why there are no groups."""
    if search.n_groups < 2:
        return (f"No clear groups: no view of the {n:,} symbols has separate modes (the strongest evidence, dip test "
                f"p = {search.root_p:.3g}, is short of the {_groups.ALPHA:g} a split needs), so they are one "
                "population: a spread, not groups. They are shown as one group with tiers along the spread; pick k "
                "by hand to cut it anyway.")
    weakest = max(split.p_value for split in search.splits) if search.splits else float("nan")
    windows = sum(split.window for split in search.splits)
    parts = [f"Automatic k: {search.n_groups} groups, split only where a view of the data has separate modes "
             f"({len(search.splits)} split(s), the weakest at dip test p = {weakest:.2g}"]
    if windows:
        parts.append(f"; {windows} set a small group apart from a larger one")
    parts.append(")")
    if search.merges:
        parts.append(f"; {search.merges} pair(s) of groups were one population cut obliquely and were merged back")
    if search.isolated:
        parts.append(f"; {search.isolated} isolated symbol(s) joined their nearest group")
    return "".join(parts) + ". No group has separate modes inside it."


def _fit_dbscan(Z, X, cfg, order_by, returns) -> Clustering:
    curve = _density.k_distance_curve(X, cfg.min_samples, Z.index)
    notes = []
    eps = cfg.eps
    suggested, how = _density.suggest_eps(curve)
    if eps is None:
        scanned = _density.scan_eps(X, curve, cfg.min_samples)
        if scanned is None:
            eps = suggested
            notes.append(
                f"Automatic eps: no eps splits the symbols into 2+ dense groups with at most "
                f"{_density.MAX_NOISE_SHARE:.0%} noise (the data are one dense population with outliers), so eps is "
                f"the knee of the k-distance curve: {how}."
            )
        else:
            eps, how = scanned
            suggested = eps
            notes.append(f"Automatic eps: {how}.")
    labels = _density.dbscan_labels(X, eps, cfg.min_samples)
    notes.extend(_density_notes(labels, f"eps={eps:.3g}", f"try eps near {suggested:.3g} (the suggested value)"))
    return _finish(Z, X, labels, _with(cfg, eps=eps), order_by, notes=notes, k_distance=curve)


def _fit_hdbscan(Z, X, cfg, order_by, returns) -> Clustering:
    size = _density.hdbscan_min_cluster_size(len(X), cfg.min_samples)
    labels = _density.hdbscan_labels(X, cfg.min_samples, size)
    floor = f"at least {size} symbols ({_density.HDBSCAN_MIN_SHARE:.0%} of {len(X):,})"
    if size == max(2, cfg.min_samples):  # a small universe: min_samples decides
        notes = _density_notes(labels, f"min_samples={cfg.min_samples}", "lower min_samples")
    elif (labels < 0).all():
        notes = [f"Every symbol is noise: no group of {floor} is denser than its surroundings, so the universe is "
                 "one population here; K-Means with automatic k says the same with its null test."]
    else:
        notes = [f"Clusters hold {floor}: smaller dense groups in a universe this size are local bumps, shown as "
                 "noise or inside their neighbours."]
    return _finish(Z, X, labels, cfg, order_by, notes=notes)


def _density_notes(labels: IntArray, setting: str, fix: str) -> list[str]:
    if (labels < 0).all():
        return [f"Every symbol is noise at {setting}: no dense group exists. To find groups, {fix}."]
    clusters = len(set(labels[labels >= 0]))
    if clusters == 1 and not (labels < 0).any():
        return [f"{setting} puts every symbol in one cluster; lower it to separate groups."]
    return []


def _fit_hierarchical(Z, X, cfg, order_by, returns) -> Clustering:
    distances = None
    if cfg.distance is not Distance.FEATURES:
        if returns is None:
            raise ParameterError(f"`distance={cfg.distance.value}` needs the window's returns; pass `returns`.")
        window = returns[list(Z.index)]
        distances = _hierarchical.correlation_distance(window.to_numpy().T, cfg.distance)
    tree = _hierarchical.linkage_matrix(X, cfg.linkage, distances)
    notes, curve = [], None
    k, cut = cfg.n_clusters, cfg.cut_distance
    if k is None and cut is None and distances is not None:
        k, how = _hierarchical.co_movement_k(distances, int(window.notna().any(axis=1).sum()), cfg.random_state)
        notes.append(f"Automatic k: {how}")
    elif k is None and cut is None:
        curve = _tree_curve(X, tree, distances)
        k, how = _kmeans.choose_k(curve)
        notes.append(f"Automatic k: {how} (cuts of the tree).")
    labels = _hierarchical.cut_tree(tree, k, cut)
    if cut is None:
        cut = _hierarchical.cut_height(tree, int(k))
    n_found = len(np.unique(labels))
    return _finish(
        Z, X, labels, _with(cfg, n_clusters=n_found, cut_distance=cut), order_by, notes=notes, k_curve=curve,
        linkage_matrix=tree, distance_matrix=distances,
    )


def _tree_curve(X: FloatArray, tree: FloatArray, distances: FloatArray | None) -> pd.DataFrame:
    rows = []
    for k in range(2, min(K_MAX, len(X) - 1) + 1):
        labels = _hierarchical.cut_tree(tree, k, None)
        wcss = sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum() for c in np.unique(labels))
        scores, _ = quality_scores(X, labels, pd.RangeIndex(len(X)), distances)
        rows.append((k, wcss, scores["silhouette"]))
    return pd.DataFrame(rows, columns=["k", "inertia", "silhouette"])


def _with(cfg: ClusterConfig, **changes: object) -> ClusterConfig:
    return ClusterConfig(**{**cfg.__dict__, **changes})  # type: ignore[arg-type]


def _canonical(labels: IntArray, index: pd.Index, order_by: pd.Series | None) -> IntArray:
    """Renumber clusters 0..k-1 by ascending mean of ``order_by`` (else by decreasing size); keep -1."""
    clusters = sorted(set(labels[labels >= 0]))
    if order_by is not None:
        values = order_by.reindex(index).to_numpy(dtype=np.float64)
        keys = {c: (np.nanmean(values[labels == c]), str(min(index[labels == c]))) for c in clusters}
    else:
        keys = {c: (-int((labels == c).sum()), str(min(index[labels == c]))) for c in clusters}
    mapping = {c: i for i, c in enumerate(sorted(clusters, key=lambda c: keys[c]))}
    return np.array([mapping.get(int(v), -1) for v in labels], dtype=int)


# Off while the confidence refits run: they need labels only, and the silhouette of every
# refit was a third of a 5,000-symbol hierarchical confidence (3 of 9 s).
_SCORING: contextvars.ContextVar[bool] = contextvars.ContextVar("cluster_core_scoring", default=True)


def _finish(Z, X, labels, cfg, order_by, *, notes, **diagnostics) -> Clustering:
    labels = _canonical(np.asarray(labels), Z.index, order_by)
    if _SCORING.get():
        scores, per_symbol = quality_scores(X, labels, Z.index, diagnostics.get("distance_matrix"))
    else:
        scores = {"silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan}
        per_symbol = pd.Series(np.nan, index=Z.index, name="silhouette")
    return Clustering(
        labels=pd.Series(labels, index=Z.index, name="cluster"),
        config=cfg,
        quality=scores,
        silhouette_samples=per_symbol,
        notes=tuple(notes),
        **diagnostics,
    )


def _refitter(cfg: ClusterConfig, search: _groups.GroupSearch | None = None) -> Callable[[FloatArray], IntArray]:
    """Refit ``cfg`` on a subset of the symbols.

    Automatic k (``search`` given) reruns the whole search on the subset, so the number of
    groups and every split decision are resampled with the assignments: when the structure
    itself is unstable, the confidence falls. K-Means and hierarchical with a fixed k keep
    it (hierarchical refits on the features: a subset has no returns matrix); DBSCAN and
    HDBSCAN keep eps / min_samples.
    """
    if search is not None:
        return lambda sub: _groups.find_groups(sub, cfg.random_state).labels
    sub_cfg = cfg
    if cfg.method in (ClusterMethod.KMEANS, ClusterMethod.HIERARCHICAL):
        sub_cfg = _with(cfg, distance=Distance.FEATURES, cut_distance=None)

    def refit(sub: FloatArray) -> IntArray:
        if sub_cfg.method is ClusterMethod.KMEANS and sub_cfg.n_clusters is not None:
            k = min(sub_cfg.n_clusters, len(sub) - 1)
            return _kmeans.kmeans_labels(sub, k, sub_cfg.random_state, n_init=REFIT_N_INIT)[0]
        frame = pd.DataFrame(sub, index=pd.RangeIndex(len(sub)).astype(str))
        fitted = sub_cfg
        if sub_cfg.n_clusters is not None:
            fitted = _with(sub_cfg, n_clusters=min(sub_cfg.n_clusters, len(sub) - 1))
        token = _SCORING.set(False)
        try:
            return fit_clusters(frame, fitted).labels.to_numpy()
        finally:
            _SCORING.reset(token)

    return refit


REFIT_N_INIT = 3
CONFIDENCE_RESAMPLES = 20
# Automatic k reruns the whole search in each refit (about 1.1 s at 4,000 symbols, as a first
# fit), so above 500 symbols the refits fall to 10,000 / n (10 at 1,000, 5 at 2,000, 2 at 5,000):
# the CLI on 5,000 symbols stays near 10 s. Each refit still sees 80 % of the symbols, and the
# Jaccard agreement is graded, so even two refits tell a cluster found again from one cut anew.
CONFIDENCE_WORK = 10_000
MIN_RESAMPLES = 2
_CONFIDENCE: OrderedDict[tuple, FloatArray] = OrderedDict()
_CONFIDENCE_LOCK = threading.Lock()


def confidence(Z: pd.DataFrame, clustering: Clustering, *, n_resamples: int | None = None) -> pd.Series:
    """Each symbol's agreement with its cluster over refits on 80 % of the symbols.

    For each refit (:func:`_refitter`: automatic choices are made again) a symbol present
    in it scores the Jaccard overlap of its cluster-mates: the symbols of the subset that
    share its cluster in the fit, against those that share its cluster in the refit. A
    cluster found again scores 1 for its members; merged with another cluster or split in
    two, it scores its share of the union. ``1.0`` = a core member of a reproducible
    cluster; low = a boundary symbol, or a cluster that the data do not reproduce. The
    last 32 results are kept (keyed by the features, the config and the labels).
    ``n_resamples`` defaults to 20, fewer for automatic k above 500 symbols
    (:data:`CONFIDENCE_WORK`).

    Returns
    -------
    Series
        Index symbol (as ``clustering.labels``), values in [0, 1], NaN for noise; all 1
        when there is a single cluster found by a fixed setting.
    """
    index = clustering.labels.index
    labels = clustering.labels.to_numpy()
    X = Z.loc[index].to_numpy(dtype=np.float64)
    automatic = clustering.structure is not None
    if n_resamples is None:
        n_resamples = CONFIDENCE_RESAMPLES
        if automatic:
            n_resamples = int(np.clip(round(CONFIDENCE_WORK / len(X)), MIN_RESAMPLES, CONFIDENCE_RESAMPLES))
    if (clustering.n_clusters <= 1 and not automatic) or len(X) < 4:
        values = np.where(labels >= 0, 1.0, np.nan)
        return pd.Series(values, index=index, name="confidence")
    digest = hashlib.blake2b(X.tobytes() + labels.tobytes(), digest_size=16).hexdigest()
    key = (digest, clustering.config, automatic, n_resamples)
    with _CONFIDENCE_LOCK:
        cached = _CONFIDENCE.get(key)
    if cached is None:
        refit = _refitter(clustering.config, clustering.structure)
        cached = symbol_confidence(refit, X, labels, n_resamples, 0.8, clustering.config.random_state)
        with _CONFIDENCE_LOCK:
            _CONFIDENCE[key] = cached
            while len(_CONFIDENCE) > 32:
                _CONFIDENCE.popitem(last=False)
    return pd.Series(cached.copy(), index=index, name="confidence")


def cluster_stability(Z: pd.DataFrame, clustering: Clustering) -> pd.Series:
    """Each cluster's stability: the mean :func:`confidence` of its members (the same refits).

    One definition for the map, the profiles and the CSV: a cluster is as stable as the
    agreement of its members' cluster-mates over the refits.

    Returns
    -------
    Series
        Index cluster label, values in [0, 1] (noise excluded).
    """
    values = clustering.confidence if clustering.confidence is not None else confidence(Z, clustering)
    labels = clustering.labels
    kept = labels >= 0
    stability = values[kept].groupby(labels[kept]).mean()
    return stability.rename_axis("cluster").rename("stability")


def diagnostic_curves(
    Z: pd.DataFrame, min_samples: int = 3, random_state: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compute the K-Means inertia/silhouette curve and the DBSCAN k-distance curve, whatever the method.

    Returns
    -------
    (k_curve, k_distance) : tuple of DataFrame
        As :attr:`Clustering.k_curve` and :attr:`Clustering.k_distance`.
    """
    if len(Z) < 4:
        raise DataError(f"Diagnostic curves need at least 4 symbols; got {len(Z)}.")
    X = Z.to_numpy(dtype=np.float64)
    return _kmeans.k_curve(X, random_state), _density.k_distance_curve(X, min_samples, Z.index)
