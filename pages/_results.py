"""Data loading and the engine's results for the pages: one engine call per view, its errors shown.

The engine keeps each step of a view (:mod:`cluster_core.views`: features, clustering,
map, network, keyed on the data's fingerprint and the frozen configs), so a k change
refits the clustering but reuses the features and the map, and the server's warm-up
and every session share one cache. Engine errors become ``st.error`` and a stop
(or a kept previous dataset), never a traceback.

The loaded data is kept by the engine too, once per process for every session
(``st.cache_data`` would pickle it on every hit: a copy of the market data, 50 MB for the
hourly sample, per session and per rerun, which made ten analysts cost 1.7 GB of server
memory and most of its CPU time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
import streamlit as st

from cluster_core import views
from cluster_core.clustering import ClusterConfig, Clustering
from cluster_core.data import DataSource, MarketData, SampleName, YahooResult
from cluster_core.errors import ClusterCoreError
from cluster_core.features import FeatureConfig, Persistence, PrepConfig
from cluster_core.network import Network
from cluster_core.pipeline import ClusterResult, FeatureView, UniverseConfig
from cluster_core.reduction import ReductionConfig

T = TypeVar("T")
AUTO_K_SEEN = "_auto_k_seen"  # the last automatic k a page fitted: where k starts when automatic is switched off
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


def _sample(name: str) -> MarketData:
    with st.spinner("Loading the bundled dataset..."):
        return views.sample(name)


def _file(name: str, raw: bytes) -> MarketData:
    digest = views.file_digest(raw)
    if views.is_kept_file(digest):
        return views.market_file(name, raw, digest)
    with st.spinner("Reading the file..."):
        return views.market_file(name, raw, digest)


def _yahoo() -> YahooResult:
    tickers = tuple(
        t.strip() for t in str(st.session_state["data.tickers"]).replace(";", ",").split(",") if t.strip()
    )
    with st.status("Fetching prices from Yahoo Finance...", expanded=False) as status:
        bar = st.progress(0.0)

        def progress(done: int, total: int, ticker: str, what: str) -> None:
            bar.progress(done / total, text=f"{ticker}: {what} ({done}/{total})")

        result = views.yahoo(tickers, int(st.session_state["data.yahoo_days"]),
                             int(st.session_state.get("data.refresh_nonce", 0)), progress=progress)
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
        fallback = st.session_state.get(_LAST_GOOD) or _sample(SampleName.HOURLY.value)
        messages.append(("error", f"{exc} Still showing the previous data: {fallback.source}."))
        return fallback, messages
    st.session_state[_LAST_GOOD] = data
    return data, messages


def _load(source: DataSource, messages: list[tuple[str, str]]) -> MarketData:
    if source is DataSource.SAMPLE_DAILY:
        return _sample(SampleName.DAILY.value)
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
            return _sample(SampleName.HOURLY.value)
        name, raw = kept
        return _file(name, raw)
    return _sample(SampleName.HOURLY.value)


def _engine(call: Callable[[], T], spinner: str) -> T:
    """Run one engine call (its steps kept by :mod:`cluster_core.views`); an engine error is shown, then a stop."""
    try:
        with st.spinner(spinner):  # shown only when the call takes longer than half a second
            return call()
    except ClusterCoreError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() ends the script run


def feature_view(session: Session) -> FeatureView:
    """Features for the page, or an ``st.error`` explaining why not and a stop."""
    return _engine(lambda: views.feature_view(session.data, session.features, session.universe),
                   "Computing features...")


def persistence(session: Session) -> Persistence | None:
    """Feature persistence over the whole data set (kept by the engine), or ``None`` with a message why not."""
    try:
        with st.spinner("Computing each feature in every non-overlapping window..."):
            return views.persistence(session.data, session.features)
    except ClusterCoreError as exc:
        st.info(str(exc))
        return None


def cluster_result(session: Session) -> ClusterResult:
    """Clusters, names and map for the page (each step kept by the engine), or an error and a stop."""
    result = _engine(lambda: views.cluster_result(session.data, session.features, session.universe, session.prep,
                                                  session.clustering, session.reduction,
                                                  int(st.session_state.get("map.tiers", 3))),
                     "Clustering and drawing the 2-D map...")
    _show_automatic_k(session, result.clustering)
    return result


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


def network_result(session: Session) -> Network:
    """Return the window's correlation network after the sidebar's market mode, or an error and a stop."""
    return _engine(lambda: views.network(session.data, session.features, session.universe),
                   "Building the correlation network...")


def network_layout(session: Session) -> pd.DataFrame:
    """Return the seeded layout of the network's drawn links (the backbone above 1,000 symbols)."""
    return _engine(lambda: views.network_layout(session.data, session.features, session.universe),
                   "Laying the network out...")
