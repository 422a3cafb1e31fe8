"""The views of one window, memoised step by step and shared by every caller in this process.

Every page of every session and the server's warm-up ask for the same steps (features, preparation,
clustering, 2-D map, correlation network, feature persistence), each keyed on the data's
fingerprint and the frozen configs of that step and the steps before it. Each step is
computed once per process and reused by the next call that needs it: a k change refits
the clustering but reuses the features and the map; the warm-up's default view is the
first visitor's. The values are immutable (frozen dataclasses the callers only read), so
every caller shares one object, and ten sessions asking at once compute a step once
(:class:`cluster_core._memo.Memo` is single-flight).

The data itself is kept here too (:func:`sample`, :func:`market_file`, :func:`yahoo`), with
its fingerprint computed once.

The month-by-month views keep their own results (:mod:`cluster_core.offload`,
:mod:`cluster_core.walkforward`).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd

from cluster_core._memo import Memo
from cluster_core._typing import ProgressCallback
from cluster_core.clustering import ClusterConfig, Clustering
from cluster_core.data import MarketData, YahooResult, load_file, load_sample, load_yahoo
from cluster_core.features import FeatureConfig, Persistence, Prepared, PrepConfig, feature_persistence
from cluster_core.network import BACKBONE_ABOVE, Network, backbone, build_network, tree_layout
from cluster_core.pipeline import (
    ClusterResult,
    FeatureView,
    UniverseConfig,
    assemble,
    cluster,
    embed,
    prepare,
    run_features,
)
from cluster_core.reduction import Embedding, ReductionConfig

__all__ = ["clear", "cluster_result", "clustering", "embedding", "feature_view", "market_file", "network",
           "network_layout", "persistence", "prepared", "sample", "yahoo"]

GiB = 2**30
_VIEWS = Memo(size=16, max_bytes=GiB)  # features after the universe, and their preparation
_FITS = Memo(size=32, max_bytes=GiB // 4)  # clusterings (labels, confidence, the k search)
_MAPS = Memo(size=16, max_bytes=GiB // 4)  # 2-D maps
_RESULTS = Memo(size=32, max_bytes=GiB // 4)  # named and profiled results
_NETWORKS = Memo(size=8, max_bytes=GiB)  # correlation matrices (n x n) and their trees, and layouts
_PERSISTENCE = Memo(size=8, max_bytes=GiB // 4)
_SAMPLES = Memo(size=2)  # the bundled data sets
_FILES = Memo(size=4, max_bytes=2 * GiB)  # uploads, for every session: at most 4 files and 2 GB of prices
_YAHOO = Memo(size=4, ttl=3600, max_bytes=2 * GiB)  # downloads, an hour each
YAHOO_CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "yahoo"


def clear() -> None:
    """Forget every kept step and data set (tests, or a server that wants its memory back)."""
    for memo in (_VIEWS, _FITS, _MAPS, _RESULTS, _NETWORKS, _PERSISTENCE, _SAMPLES, _FILES, _YAHOO):
        memo.clear()


def _fingerprinted(data: MarketData) -> MarketData:
    _ = data.fingerprint  # computed once, then kept with the data
    return data


def sample(name: str) -> MarketData:
    """Return a bundled data set (:func:`cluster_core.data.load_sample`), kept."""
    return _SAMPLES.get(name, lambda: _fingerprinted(load_sample(name)))


def file_digest(raw: bytes) -> str:
    """Return the key an uploaded file is kept under (its SHA-256)."""
    return hashlib.sha256(raw).hexdigest()


def market_file(name: str, raw: bytes, digest: str | None = None) -> MarketData:
    """Return the market data of an uploaded file's bytes (:func:`cluster_core.data.load_file`), kept by content."""
    return _FILES.get(digest or file_digest(raw), lambda: _fingerprinted(load_file(raw, name=name)))


def is_kept_file(digest: str) -> bool:
    """Say whether the file with this digest is already read (no wait for it)."""
    return _FILES.peek(digest) is not None


def yahoo(tickers: tuple[str, ...], days: int, nonce: int = 0,
          progress: ProgressCallback | None = None) -> YahooResult:
    """Download daily prices from Yahoo Finance (:func:`cluster_core.data.load_yahoo`), kept for an hour.

    ``nonce`` is the user's refresh count: a new value downloads again.
    """
    def compute() -> YahooResult:
        result = load_yahoo(list(tickers), days=days, cache_dir=YAHOO_CACHE_DIR, progress=progress)
        _fingerprinted(result.data)
        return result

    return _YAHOO.get((tuple(tickers), int(days), int(nonce)), compute)


def _window(features: FeatureConfig | None, universe: UniverseConfig | None) -> tuple[FeatureConfig, UniverseConfig]:
    return features or FeatureConfig(), universe or UniverseConfig()


def feature_view(data: MarketData, features: FeatureConfig | None = None,
                 universe: UniverseConfig | None = None) -> FeatureView:
    """Return the features after the universe choices (:func:`cluster_core.pipeline.run_features`), kept."""
    f, u = _window(features, universe)
    return _VIEWS.get(("features", data.fingerprint, f, u), lambda: run_features(data, f, u))


def prepared(data: MarketData, features: FeatureConfig | None = None, universe: UniverseConfig | None = None,
             prep: PrepConfig | None = None) -> Prepared:
    """Return the prepared (selected, scaled, weighted) features of the kept symbols, kept."""
    f, u = _window(features, universe)
    p = prep or PrepConfig()
    return _VIEWS.get(("prepared", data.fingerprint, f, u, p), lambda: prepare(feature_view(data, f, u), p))


def clustering(data: MarketData, features: FeatureConfig | None = None, universe: UniverseConfig | None = None,
               prep: PrepConfig | None = None, config: ClusterConfig | None = None) -> Clustering:
    """Return the fitted clustering with each symbol's confidence (:func:`cluster_core.pipeline.cluster`), kept."""
    f, u = _window(features, universe)
    p, c = prep or PrepConfig(), config or ClusterConfig()
    return _FITS.get((data.fingerprint, f, u, p, c),
                     lambda: cluster(data, feature_view(data, f, u), prepared(data, f, u, p), c))


def embedding(data: MarketData, features: FeatureConfig | None = None, universe: UniverseConfig | None = None,
              prep: PrepConfig | None = None, config: ReductionConfig | None = None) -> Embedding:
    """Return the 2-D map of the prepared features (:func:`cluster_core.pipeline.embed`), kept."""
    f, u = _window(features, universe)
    p, r = prep or PrepConfig(), config or ReductionConfig()
    return _MAPS.get((data.fingerprint, f, u, p, r), lambda: embed(prepared(data, f, u, p), r))


def cluster_result(data: MarketData, features: FeatureConfig | None = None, universe: UniverseConfig | None = None,
                   prep: PrepConfig | None = None, config: ClusterConfig | None = None,
                   reduction: ReductionConfig | None = None, n_tiers: int = 3) -> ClusterResult:
    """Return the clusters, names, tiers and map of one window (:func:`assemble`), each step kept."""
    f, u = _window(features, universe)
    p, c, r = prep or PrepConfig(), config or ClusterConfig(), reduction or ReductionConfig()

    def compute() -> ClusterResult:
        fitted = clustering(data, f, u, p, c)
        return assemble(feature_view(data, f, u), prepared(data, f, u, p), fitted, embedding(data, f, u, p, r),
                        n_tiers)

    return _RESULTS.get((data.fingerprint, f, u, p, c, r, int(n_tiers)), compute)


def network(data: MarketData, features: FeatureConfig | None = None,
            universe: UniverseConfig | None = None) -> Network:
    """Return the window's correlation network after the features' market mode (:func:`build_network`), kept."""
    f, u = _window(features, universe)
    return _NETWORKS.get(("network", data.fingerprint, f, u),
                         lambda: build_network(data, feature_view(data, f, u).features, f.market_mode))


def network_layout(data: MarketData, features: FeatureConfig | None = None,
                   universe: UniverseConfig | None = None) -> pd.DataFrame:
    """Return the seeded layout of the network's drawn links (its backbone above ``BACKBONE_ABOVE`` symbols), kept."""
    f, u = _window(features, universe)

    def compute() -> pd.DataFrame:
        built = network(data, f, u)
        edges = built.edges
        return tree_layout(backbone(edges)[0] if len(built.correlation) > BACKBONE_ABOVE else edges)

    return _NETWORKS.get(("layout", data.fingerprint, f, u), compute)


def persistence(data: MarketData, features: FeatureConfig | None = None) -> Persistence:
    """Return how each feature's ranks persist between whole windows over the data (any ``as_of`` ignored), kept."""
    f = replace(features or FeatureConfig(), as_of=None)
    return _PERSISTENCE.get((data.fingerprint, f), lambda: feature_persistence(data, f))
