"""UI helpers shared by every page: the sidebar, URL/session sync and messages.

Each page calls :func:`setup_page` itself, so it renders the same when run by
``app.py``'s ``st.navigation`` and when run alone (as ``AppTest`` does). The cached
engine results live in :mod:`pages._results` (one window) and :mod:`pages._walks` (month
by month), the strategy pages' controls in :mod:`pages._actions`, the downloads in
:mod:`pages._downloads`, the coin look-up in :mod:`pages._lookup`; all are re-exported here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cluster_core.clustering import ClusterConfig, ClusterMethod, Distance, Linkage
from cluster_core.data import DataSource, MarketData
from cluster_core.features import Feature, FeatureConfig, Flag, MarketMode, PrepConfig, Scaling, resolve_features
from cluster_core.pipeline import UniverseConfig
from cluster_core.reduction import Reduction, ReductionConfig
from pages._actions import action_widgets  # noqa: F401  (re-exported for the pages)
from pages._downloads import (  # noqa: F401  (re-exported for the pages)
    BACKTEST_KEYS,
    PICK_KEYS,
    download_csv,
    with_settings,
)
from pages._lookup import COIN_PAGE, lookup_widget, open_coin_page_if_asked  # noqa: F401  (COIN_PAGE re-exported)
from pages._results import (  # noqa: F401  (re-exported for the pages)
    AUTO_K_SEEN,
    Session,
    cluster_result,
    feature_view,
    load_market_data,
    network_layout,
    network_result,
    persistence,
)
from pages._state import (  # noqa: F401  (labels are re-exported for the pages)
    CUSTOM,
    FLAG_LABELS,
    METHOD_LABELS,
    MODE_LABELS,
    PARAMS,
    PEER_VIEWS,
    PRESET_LABELS,
    REDUCTION_LABELS,
    init_state,
    sync_state,
)
from pages._walks import backtest_result, peer_history, stability_result  # noqa: F401  (re-exported)


def setup_page() -> Session:
    """Draw the shared sidebar, load the data it asks for, and return everything a page needs."""
    init_state()
    lookup = st.sidebar.container()
    with st.sidebar:
        source = _data_widgets()
    data, messages = load_market_data(source)
    with lookup:
        lookup_widget(data)
    with st.sidebar:
        features, universe = _analysis_widgets(data)
        prep, clustering, reduction, k_slot = _cluster_widgets()
    sync_state()
    open_coin_page_if_asked()
    return Session(data, tuple(messages), features, universe, prep, clustering, reduction, k_slot)


def _data_widgets() -> DataSource:
    st.header("Data")
    source = DataSource(
        st.selectbox(
            "Data source", [s.value for s in DataSource], format_func=lambda v: DataSource(v).label, key="data.source"
        )
    )
    if source is DataSource.YAHOO:
        st.text_area("Yahoo tickers (comma-separated)", key="data.tickers", height=110)
        st.number_input(
            "History (days)", min_value=30, max_value=3650, step=30, key="data.yahoo_days",
            help="Up to 729 days uses hourly bars; longer histories use daily bars (Yahoo's limit).",
        )
        if st.button("Refresh from Yahoo", key="data.refresh", width="stretch"):
            st.session_state["data.refresh_nonce"] = st.session_state.get("data.refresh_nonce", 0) + 1
    elif source is DataSource.UPLOAD:
        _upload_widget()
    return source


def _analysis_widgets(data: MarketData) -> tuple[FeatureConfig, UniverseConfig]:
    st.header("Analysis")
    lookback = st.number_input(
        "Lookback (days)", min_value=7, max_value=3650, step=7, key="sidebar.lookback_days",
        help="Window of bars, ending at the as-of date, from which behaviour is measured.",
    )
    as_of = _as_of_widget(data, int(lookback))
    with st.expander("Universe and features", expanded=False):
        st.slider(
            "Minimum coverage of the window", 0.0, 1.0, step=0.05, key="features.min_coverage",
            help="Symbols with returns on fewer of the window's bars are left out (and listed).",
        )
        st.pills(  # every choice visible and one click each (a dropdown in the sidebar's expander missed clicks)
            "Exclude from the universe", list(FLAG_LABELS), format_func=FLAG_LABELS.get, key="features.exclude",
            selection_mode="multi",
            help="Flagged groups: pegged = near-constant price; duplicates = returns >0.99 correlated with a "
            "more liquid symbol; late = listed after the window started.",
        )
        st.selectbox(
            "Market mode", list(MODE_LABELS), format_func=MODE_LABELS.get, key="features.market_mode",
            help="Crypto moves with BTC: residual modes remove that common factor from return-based features.",
        )
        if st.session_state["features.benchmark"] not in data.symbols:
            st.session_state["features.benchmark"] = "BTC" if "BTC" in data.symbols else data.symbols[0]
        st.selectbox(
            "Benchmark", list(data.symbols), key="features.benchmark",
            help="The symbol for btc_corr and beta_btc (and the BTC-residual market mode).",
        )
    config = FeatureConfig(
        lookback_days=int(lookback),
        as_of=as_of,
        benchmark=str(st.session_state["features.benchmark"]),
        min_coverage=float(st.session_state["features.min_coverage"]),
        market_mode=MarketMode(st.session_state["features.market_mode"]),
    )
    universe = UniverseConfig(tuple(Flag(f) for f in st.session_state["features.exclude"]))
    return config, universe


def _preset_changed() -> None:
    """Switching to a custom pick starts from the preset it leaves."""
    state = st.session_state
    if state["clusters.preset"] != CUSTOM:
        state["clusters.features"] = list(resolve_features(state["clusters.preset"]))


def _cluster_widgets() -> tuple[PrepConfig, ClusterConfig, ReductionConfig, object]:
    st.header("Clustering")
    method = st.selectbox("Algorithm", list(METHOD_LABELS), format_func=METHOD_LABELS.get, key="clusters.method")
    by_height = method == ClusterMethod.HIERARCHICAL.value and st.session_state["clusters.cut_by_height"]
    k_slot = None
    if method in (ClusterMethod.KMEANS.value, ClusterMethod.HIERARCHICAL.value) and not by_height:
        auto_k = st.toggle("Automatic k", key="clusters.auto_k", on_change=_auto_k_switched,
                           help="K-Means: groups only where the data have separate modes (a spread is one group, "
                                "cut into tiers on the map); hierarchical: the tree's cut with the best silhouette. "
                                "Switched off, k starts from the automatic choice.")
        # One slot for the k box either way, so switching automatic k off replaces the box in place.
        slot = st.empty()
        if auto_k:
            k_slot = slot  # the automatic choice, once the page has fitted (pages._results.cluster_result)
            slot.caption("k (clusters): chosen automatically at each fit (at every month end on the "
                         "month-by-month pages).")
        else:
            slot.number_input("k (clusters)", min_value=2, max_value=50, step=1, key="clusters.k")
    if method == ClusterMethod.HIERARCHICAL.value:
        st.toggle("Cut the tree at a height instead of into k clusters", key="clusters.cut_by_height")
        if st.session_state["clusters.cut_by_height"]:
            st.number_input("Cut height (merge distance)", min_value=1e-6, max_value=1e6, step=0.5,
                            format="%.3f", key="clusters.cut_height")
        st.selectbox("Linkage", [m.value for m in Linkage], key="clusters.linkage")
        st.selectbox(
            "Distance", [m.value for m in Distance], key="clusters.distance",
            help="features: Euclidean on the scaled features; pearson / spearman: sqrt(2(1 - rho)) of returns.",
        )
    if method == ClusterMethod.DBSCAN.value:
        auto_eps = st.toggle("Automatic eps (best silhouette, <= 20 % noise)", key="clusters.auto_eps")
        st.number_input("eps", min_value=0.01, max_value=100.0, step=0.1, key="clusters.eps", disabled=auto_eps)
    if method in (ClusterMethod.DBSCAN.value, ClusterMethod.HDBSCAN.value):
        st.number_input(
            "min_samples", min_value=2, max_value=30, step=1, key="clusters.min_samples",
            help="Neighbours a point needs to be a core point. HDBSCAN: also the smallest cluster, raised to 1 % of "
                 "the symbols above 300 of them.",
        )
    reduction = st.selectbox(
        "2-D map", list(REDUCTION_LABELS), format_func=REDUCTION_LABELS.get, key="clusters.reduction"
    )
    if reduction == Reduction.TSNE.value:
        st.slider("Perplexity", 2, 100, key="clusters.perplexity")
    elif reduction == Reduction.UMAP.value:
        st.slider("Neighbours", 2, 100, key="clusters.n_neighbors")
    preset = st.selectbox(
        "Cluster on", list(PRESET_LABELS), format_func=PRESET_LABELS.get, key="clusters.preset",
        on_change=_preset_changed,
        help="Behaviour: features whose ranks persist month to month (see Features → Persistence); "
             "performance (return, Sharpe, momentum...) is shown on top of the clusters, not used to form them.",
    )
    with st.expander("Features used and scaling", expanded=preset == CUSTOM):
        if preset == CUSTOM:
            st.multiselect("Features", [f.value for f in Feature], key="clusters.features")
        else:
            st.caption(", ".join(resolve_features(preset)))
        st.selectbox("Scaling", [s.value for s in Scaling], key="clusters.scaling",
                     help="robust: (x - median) / IQR, so a few far symbols do not squeeze the rest; standard: "
                          "z-scores; quantile: ranks to normal scores. Volatility, VaR and volume are taken as "
                          "logarithms first, and each column is weighted so that every trait counts once "
                          "(Features page → Weights).")
    state = st.session_state
    prep = PrepConfig(features=resolve_features(preset, state["clusters.features"]),
                      scaling=Scaling(state["clusters.scaling"]))
    clustering = ClusterConfig(
        method=ClusterMethod(method),
        n_clusters=None if state["clusters.auto_k"] else int(state["clusters.k"]),
        eps=None if state["clusters.auto_eps"] else float(state["clusters.eps"]),
        min_samples=int(state["clusters.min_samples"]),
        linkage=Linkage(state["clusters.linkage"]),
        distance=Distance(state["clusters.distance"]),
        cut_distance=float(state["clusters.cut_height"]) if by_height else None,
    )
    reduction_cfg = ReductionConfig(Reduction(reduction), int(state["clusters.perplexity"]),
                                    int(state["clusters.n_neighbors"]))
    return prep, clustering, reduction_cfg, k_slot


def _auto_k_switched() -> None:
    """Automatic k switched off: k starts from the automatic choice the pages last showed."""
    state = st.session_state
    if not state["clusters.auto_k"] and state.get(AUTO_K_SEEN, 0) >= 2:
        state["clusters.k"] = int(state[AUTO_K_SEEN])


def _as_of_widget(data: MarketData, lookback: int) -> pd.Timestamp | None:
    last = data.end.date()
    first = min(last, (data.start + pd.Timedelta(days=lookback)).date())
    chosen = st.session_state.get("sidebar.as_of")
    if chosen is not None and not first <= chosen <= last:
        st.session_state["sidebar.as_of"] = None  # outside this data: back to the latest bar
    picked = st.date_input(
        "As of (empty = latest bar)", min_value=first, max_value=last, key="sidebar.as_of", format="YYYY-MM-DD",
        help="End of the window; nothing after this day is used.",
    )
    if picked is None:
        return None
    return pd.Timestamp(picked, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def _upload_widget() -> None:
    upload = st.file_uploader(
        "Price file (CSV or Parquet)", type=["csv", "txt", "parquet"], key="data.upload",
        help="Long format: timestamp, symbol, close[, volume_usd]. Wide: timestamp + one close column per symbol.",
    )
    if upload is not None:
        st.session_state["data.upload_bytes"] = (upload.name, upload.getvalue())
    kept = st.session_state.get("data.upload_bytes")
    if upload is None and kept:
        st.caption(f"Using the earlier upload **{kept[0]}**.")


def show_messages(messages: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> None:
    """Render ``(level, text)`` pairs as Streamlit alerts."""
    for level, text in messages:
        {"error": st.error, "warning": st.warning}.get(level, st.info)(text)
