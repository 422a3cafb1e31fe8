"""2-D maps of the prepared features: PCA, t-SNE, UMAP (seeded, parameters clamped to the data)."""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from cluster_core._validation import check_enum, check_int
from cluster_core.errors import DataError

__all__ = ["Embedding", "Reduction", "ReductionConfig", "reduce_2d", "warm_up_umap"]


class Reduction(StrEnum):
    """2-D projection methods."""

    UMAP = "umap"
    TSNE = "tsne"
    PCA = "pca"


@dataclass(frozen=True)
class ReductionConfig:
    """Parameters of :func:`reduce_2d` (hashable).

    Parameters
    ----------
    method : Reduction, default="pca"
    perplexity : int, default=30
        t-SNE; clamped to ``(n_symbols - 1) / 3``.
    n_neighbors : int, default=15
        UMAP; clamped to ``n_symbols - 1``.
    random_state : int, default=0
    """

    method: Reduction = Reduction.PCA
    perplexity: int = 30
    n_neighbors: int = 15
    random_state: int = 0


@dataclass(frozen=True, eq=False)
class Embedding:
    """2-D coordinates per symbol.

    Attributes
    ----------
    coords : DataFrame
        Index symbol, columns ``x``, ``y``.
    explained_variance : tuple of float or None
        PCA: share of variance on each axis.
    config : ReductionConfig
        With the clamped parameters actually used.
    notes : tuple of str
        Clamping notices.
    """

    coords: pd.DataFrame
    explained_variance: tuple[float, float] | None
    config: ReductionConfig
    notes: tuple[str, ...] = field(default=())


def reduce_2d(Z: pd.DataFrame, config: ReductionConfig | None = None) -> Embedding:
    """Project the prepared features to 2-D, deterministically for a given ``random_state``.

    Raises
    ------
    DataError
        Fewer than 3 symbols.
    ParameterError
        Unknown method or out-of-range parameters.
    """
    cfg = config or ReductionConfig()
    method = check_enum("method", cfg.method, Reduction)
    perplexity = check_int("perplexity", cfg.perplexity, 2, 500)
    n_neighbors = check_int("n_neighbors", cfg.n_neighbors, 2, 500)
    seed = check_int("random_state", cfg.random_state, 0, 2**31 - 1)
    n = len(Z)
    if n < 3:
        raise DataError(f"A 2-D map needs at least 3 symbols; got {n}.")
    X = Z.to_numpy(dtype=np.float64)
    notes: list[str] = []
    explained = None
    if method is Reduction.PCA:
        xy, explained = _pca(X)
    elif method is Reduction.TSNE:
        limit = max(1, (n - 1) // 3)
        if perplexity > limit:
            notes.append(f"t-SNE perplexity lowered from {perplexity} to {limit}: it must stay below n_symbols / 3.")
            perplexity = limit
        if n > TSNE_SLOW_ABOVE:
            notes.append(f"t-SNE on {n:,} symbols takes seconds per change (8 s at 5,000 on two cores); UMAP keeps "
                         "the same local neighbourhoods and draws this map several times faster.")
        xy = TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca", max_iter=500).fit_transform(X)
    else:
        limit = n - 1
        if n_neighbors > limit:
            notes.append(
                f"UMAP n_neighbors lowered from {n_neighbors} to {limit}: it must be below the number of symbols."
            )
            n_neighbors = limit
        xy = _umap(X, n_neighbors, seed)
    coords = pd.DataFrame(xy, index=Z.index, columns=["x", "y"])
    used = ReductionConfig(method, perplexity, n_neighbors, seed)
    return Embedding(coords, explained, used, tuple(notes))


def _pca(X: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    model = PCA(n_components=2, svd_solver="full")
    xy = model.fit_transform(X)
    ratio = model.explained_variance_ratio_
    return xy, (float(ratio[0]), float(ratio[1]) if len(ratio) > 1 else 0.0)


TSNE_SLOW_ABOVE = 2000  # symbols above which a t-SNE map says it is slow and suggests UMAP
UMAP_FAST_ABOVE = 2000  # symbols from which UMAP runs 200 optimisation epochs
UMAP_EXACT_BELOW = 4096  # umap-learn's own limit for exact neighbours; from here they come from scikit-learn


def _umap(X: np.ndarray, n_neighbors: int, seed: int) -> np.ndarray:
    umap = _load_umap()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "n_jobs overridden by random_state": we want determinism
        # Spectral initialisation needs a few more points than neighbours.
        init = "spectral" if len(X) > n_neighbors + 2 else "random"
        # umap-learn runs 500 epochs below 10,000 points and 200 above; 200 from 2,000 up keeps
        # a 5,000-symbol map interactive (4.1 s -> 1.7 s once compiled) with the same layout quality.
        epochs = 200 if len(X) >= UMAP_FAST_ABOVE else None
        knn = None
        if len(X) >= UMAP_EXACT_BELOW:
            # umap-learn switches to pynndescent's approximate search here, whose numba code is
            # compiled again in every process (~12 s at 5,000 points); the exact neighbours from
            # scikit-learn take 0.2 s and are what umap-learn computes below this size.
            from sklearn.neighbors import NearestNeighbors

            distances, indices = NearestNeighbors(n_neighbors=n_neighbors).fit(X).kneighbors(X)
            knn = (indices, distances, None)
        model = umap.UMAP(n_components=2, n_neighbors=n_neighbors, random_state=seed, init=init, min_dist=0.1,
                          n_epochs=epochs, precomputed_knn=knn or (None, None, None))
        return model.fit_transform(X)


_UMAP_MODULE: list[object] = []
_UMAP_LOCK = threading.Lock()


def _load_umap() -> object:
    """Import umap-learn with numba's on-disk cache switched on for all its compiled functions.

    umap-learn compiles ~500 numba functions on its first fit (8-20 s here) and marks few
    of them cacheable. Enabling the cache on every dispatcher of ``umap`` and
    ``pynndescent`` (kept in ``.cache/numba``) makes a new process's first fit load the
    machine code instead: about 2 s including the import.
    """
    with _UMAP_LOCK:  # one thread imports and switches caching on; others wait for it
        if not _UMAP_MODULE:
            _UMAP_MODULE.append(_import_umap())
    return _UMAP_MODULE[0]


def _import_umap() -> object:
    folder = Path(__file__).resolve().parent.parent / ".cache" / "numba"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(folder))
    import numba
    from numba.core.dispatcher import Dispatcher

    numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
    # Functions with a signature compile while umap-learn is imported, before caching can be
    # switched on below; during the import every new dispatcher caches (0.2-0.3 s per process).
    from numba.core import decorators

    def cached_jit(*args: object, **kwargs: object) -> object:
        kwargs.setdefault("cache", True)
        return plain_jit(*args, **kwargs)

    plain_jit = decorators.jit
    decorators.jit = numba.jit = cached_jit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a function numba cannot cache is compiled, as before
            import umap  # heavy import (numba): only when a UMAP map is asked for
    finally:
        decorators.jit = numba.jit = plain_jit

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in {"umap", "pynndescent"} and module is not None:
            for obj in list(vars(module).values()):
                if isinstance(obj, Dispatcher):
                    try:
                        obj.enable_caching()
                    except (TypeError, ValueError, RuntimeError):  # a function numba cannot cache: compiled each time
                        continue
    return umap


_WARM = {"started": False, "seconds": None}
_WARM_LOCK = threading.Lock()


def warm_up_umap(background: bool = True) -> dict[str, object]:
    """Compile umap-learn's numba code once per process (a tiny fit), in a thread by default.

    Returns a dict with ``started`` and, once done, ``seconds`` (how long the warm-up took).
    """
    with _WARM_LOCK:
        if _WARM["started"]:
            return _WARM
        _WARM["started"] = True

    def run() -> None:
        start = time.perf_counter()
        rng = np.random.default_rng(0)
        _umap(rng.normal(size=(40, 5)), 10, 0)
        _WARM["seconds"] = time.perf_counter() - start

    if background:
        threading.Thread(target=run, name="umap-warm-up", daemon=True).start()
    else:
        run()
    return _WARM
