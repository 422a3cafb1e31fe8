"""Data loading and the engine's results for the pages, each step in ``st.cache_resource`` or a memo.

Keys are the data's fingerprint and the frozen configs, so a k change refits the
clustering but reuses the features and the map. Engine errors become ``st.error`` and a
stop (or a kept previous dataset), never a traceback.

The engine's results are immutable values (frozen dataclasses the pages only read), so
every session shares one object per key (``st.cache_resource``). ``st.cache_data`` would
pickle each value on every hit: a copy of the market data (50 MB for the hourly sample)
per session and per rerun, which made ten analysts cost 1.7 GB of server memory and most of
its CPU time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import streamlit as st

from cluster_core._memo import Memo
from cluster_core.clustering import ClusterConfig, Clustering
from cluster_core.data import DataSource, MarketData, SampleName, YahooResult, load_file, load_sample, load_yahoo
from cluster_core.errors import ClusterCoreError
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

AUTO_K_SEEN = "_auto_k_seen"  # the last automatic k a page fitted: where k starts when automatic is switched off
CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "yahoo"
_LAST_GOOD = "_last_good_data"


@dataclass(frozen=True)
class Session:
    """What a page needs: the data, messages to show, and the engine configs."""

    data: MarketData
    messages: tuple[tuple[str, str], ...]
    features: FeatureConfig
    universe: UniverseConfig
    prep: PrepConfig
    clustering: ClusterConfig
    reduction: ReductionConfig
    k_slot: object = None  # the sidebar's place for the automatic k (a st.empty), when automatic k is on


@st.cache_resource(max_entries=2, show_spinner="Loading the bundled dataset...")
def _cached_sample(name: str) -> MarketData:
    data = load_sample(name)
    _ = data.fingerprint  # computed once, then kept with the cached value
    return data


FILE_CACHE_BYTES = 2 * 2**30  # uploads kept for every session: at most 4 files and 2 GB of prices
_FILES = Memo(size=4, max_bytes=FILE_CACHE_BYTES)


def _cached_file(digest: str, name: str, raw: bytes) -> MarketData:
    def compute() -> MarketData:
        data = load_file(raw, name=name)
        _ = data.fingerprint
        return data

    kept = _FILES.peek(digest)
    if kept is not None:
        return kept  # type: ignore[return-value]
    with st.spinner("Reading the file..."):
        return _FILES.get(digest, compute)


_YAHOO_CACHE = Memo(size=4, ttl=3600, max_bytes=2 * 2**30)


def _cached_yahoo(tickers: tuple[str, ...], days: int, nonce: int, _progress: Callable | None = None) -> YahooResult:
    def compute() -> YahooResult:
        result = load_yahoo(list(tickers), days=days, cache_dir=CACHE_DIR, progress=_progress)
        _ = result.data.fingerprint
        return result

    return _YAHOO_CACHE.get((tickers, days, nonce), compute)


def _yahoo() -> YahooResult:
    tickers = tuple(
        t.strip() for t in str(st.session_state["data.tickers"]).replace(";", ",").split(",") if t.strip()
    )
    with st.status("Fetching prices from Yahoo Finance...", expanded=False) as status:
        bar = st.progress(0.0)

        def progress(done: int, total: int, ticker: str, what: str) -> None:
            bar.progress(done / total, text=f"{ticker}: {what} ({done}/{total})")

        result = _cached_yahoo(
            tickers, int(st.session_state["data.yahoo_days"]), int(st.session_state.get("data.refresh_nonce", 0)),
            _progress=progress,
        )
        status.update(
            label="Yahoo Finance: offline, showing fallback data" if result.fallback else "Yahoo Finance: loaded",
            state="error" if result.fallback else "complete",
        )
    return result


def load_market_data(source: DataSource) -> tuple[MarketData, list[tuple[str, str]]]:
    """Load the data the sidebar asks for; on an error keep the last data that loaded (and say so)."""
    messages: list[tuple[str, str]] = []
    try:
        data = _load(source, messages)
    except ClusterCoreError as exc:
        fallback = st.session_state.get(_LAST_GOOD) or _cached_sample(SampleName.HOURLY.value)
        messages.append(("error", f"{exc} Still showing the previous data: {fallback.source}."))
        return fallback, messages
    st.session_state[_LAST_GOOD] = data
    return data, messages


def _load(source: DataSource, messages: list[tuple[str, str]]) -> MarketData:
    if source is DataSource.SAMPLE_DAILY:
        return _cached_sample(SampleName.DAILY.value)
    if source is DataSource.YAHOO:
        result = _yahoo()
        level = "warning" if result.fallback else "info"
        messages.extend((level, line) for line in result.messages)
        return result.data
    if source is DataSource.UPLOAD:
        kept = st.session_state.get("data.upload_bytes")
        if not kept:
            messages.append(
                ("info", "Upload a CSV or Parquet file in the sidebar; the bundled hourly sample is shown meanwhile.")
            )
            return _cached_sample(SampleName.HOURLY.value)
        name, raw = kept
        return _cached_file(hashlib.sha256(raw).hexdigest(), name, raw)
    return _cached_sample(SampleName.HOURLY.value)


@st.cache_resource(max_entries=16, show_spinner="Computing features...")
def _cached_features(
    fingerprint: str, config: FeatureConfig, universe: UniverseConfig, _data: MarketData
) -> FeatureView:
    return run_features(_data, config, universe)


def feature_view(session: Session) -> FeatureView:
    """Features for the page, or an ``st.error`` explaining why not and a stop."""
    try:
        return _cached_features(session.data.fingerprint, session.features, session.universe, session.data)
    except ClusterCoreError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() ends the script run


@st.cache_resource(max_entries=8, show_spinner="Computing each feature in every non-overlapping window...")
def _cached_persistence(fp: str, features: FeatureConfig, _data: MarketData) -> Persistence:
    return feature_persistence(_data, replace(features, as_of=None))


def persistence(session: Session) -> Persistence | None:
    """Feature persistence over the whole data set (cached), or ``None`` with a message why not."""
    try:
        return _cached_persistence(session.data.fingerprint, replace(session.features, as_of=None), session.data)
    except ClusterCoreError as exc:
        st.info(str(exc))
        return None


@st.cache_resource(max_entries=16, show_spinner=False)
def _cached_prepared(fp: str, features: FeatureConfig, universe: UniverseConfig, prep: PrepConfig,
                     _view: FeatureView) -> Prepared:
    return prepare(_view, prep)


@st.cache_resource(max_entries=32, show_spinner="Clustering...")
def _cached_clustering(fp: str, features: FeatureConfig, universe: UniverseConfig, prep: PrepConfig,
                       config: ClusterConfig, _data: MarketData, _view: FeatureView, _prepared: Prepared) -> Clustering:
    return cluster(_data, _view, _prepared, config)


@st.cache_resource(max_entries=16, show_spinner="Drawing the 2-D map...")
def _cached_embedding(fp: str, features: FeatureConfig, universe: UniverseConfig, prep: PrepConfig,
                      config: ReductionConfig, _prepared: Prepared) -> Embedding:
    return embed(_prepared, config)


def cluster_result(session: Session) -> ClusterResult:
    """Clusters, names and map for the page (each step cached on its own inputs), or an error and a stop."""
    view = feature_view(session)
    key = (session.data.fingerprint, session.features, session.universe, session.prep)
    try:
        prepared = _cached_prepared(*key, _view=view)
        fitted = _cached_clustering(*key, session.clustering, _data=session.data, _view=view, _prepared=prepared)
        embedding = _cached_embedding(*key, session.reduction, _prepared=prepared)
        _show_automatic_k(session, fitted)
        return assemble(view, prepared, fitted, embedding, int(st.session_state.get("map.tiers", 3)))
    except ClusterCoreError as exc:
        st.error(str(exc))
        st.stop()
        raise


def _show_automatic_k(session: Session, fitted: Clustering) -> None:
    """Fill the sidebar's k box with the automatic choice of this window's fit."""
    if session.k_slot is None or session.clustering.n_clusters is not None:
        return
    k = fitted.n_clusters
    st.session_state[AUTO_K_SEEN] = k
    if k >= 2:
        session.k_slot.number_input("k (clusters)", min_value=1, max_value=10_000, value=k, disabled=True,
                                    key="clusters.k_automatic",
                                    help="The automatic choice for this window; switch automatic k off to set it.")
    else:
        session.k_slot.caption("k (clusters): automatic found no clear groups in this window (1 group).")


@st.cache_resource(max_entries=8, show_spinner="Building the correlation network...")
def _cached_network(fp: str, features: FeatureConfig, universe: UniverseConfig, _data: MarketData,
                    _view: FeatureView) -> Network:
    return build_network(_data, _view.features, features.market_mode)


@st.cache_resource(max_entries=8, show_spinner="Laying the network out...")
def _cached_layout(fp: str, features: FeatureConfig, universe: UniverseConfig, _network: Network) -> pd.DataFrame:
    edges = _network.edges
    return tree_layout(backbone(edges)[0] if len(_network.correlation) > BACKBONE_ABOVE else edges)


def network_result(session: Session) -> Network:
    """Return the window's correlation network after the sidebar's market mode, or an error and a stop."""
    view = feature_view(session)
    try:
        return _cached_network(session.data.fingerprint, session.features, session.universe, session.data, view)
    except ClusterCoreError as exc:
        st.error(str(exc))
        st.stop()
        raise


def network_layout(session: Session, network: Network) -> pd.DataFrame:
    """Return the seeded layout of the network's drawn links (the backbone above 1,000 symbols)."""
    return _cached_layout(session.data.fingerprint, session.features, session.universe, network)
