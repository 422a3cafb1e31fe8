"""UI helpers shared by every page: the sidebar, URL/session sync, cached engine calls.

Each page calls :func:`render_sidebar` itself, so it renders the same when run by
``app.py``'s ``st.navigation`` and when run alone (as ``AppTest`` does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from cluster_core.data import (
    DEFAULT_YAHOO_TICKERS,
    DataSource,
    MarketData,
    SampleName,
    YahooResult,
    load_file,
    load_sample,
    load_yahoo,
)
from cluster_core.errors import ClusterCoreError
from cluster_core.export import to_csv_bytes

CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "yahoo"
_STORE = "_persisted"
_URL_LOADED = "_url_loaded"
_LAST_GOOD = "_last_good_data"


@dataclass(frozen=True)
class Param:
    """A widget value kept across pages and mirrored in the URL."""

    key: str
    url: str
    default: object
    parse: Callable[[str], object]


def _parse_source(text: str) -> str:
    return DataSource(text).value


PARAMS = (
    Param("data.source", "source", DataSource.SAMPLE_HOURLY.value, _parse_source),
    Param("data.tickers", "tickers", ", ".join(DEFAULT_YAHOO_TICKERS), str),
    Param("data.yahoo_days", "ydays", 365, lambda t: min(3650, max(30, int(t)))),
    Param("sidebar.lookback_days", "lookback", 90, lambda t: min(3650, max(7, int(t)))),
)


@dataclass(frozen=True)
class SidebarState:
    """Values of the shared sidebar."""

    source: DataSource
    lookback_days: int
    tickers: tuple[str, ...]
    yahoo_days: int
    refresh_nonce: int


def _init_state() -> None:
    store = st.session_state.setdefault(_STORE, {})
    if not st.session_state.get(_URL_LOADED):
        st.session_state[_URL_LOADED] = True
        for param in PARAMS:
            raw = st.query_params.get(param.url)
            if raw is None:
                continue
            try:
                store[param.key] = param.parse(raw)
            except (ValueError, TypeError):
                st.toast(f"Ignored URL parameter {param.url}={raw!r}: not a valid value.")
    for param in PARAMS:
        if param.key not in st.session_state:
            st.session_state[param.key] = store.get(param.key, param.default)


def _sync_state() -> None:
    store = st.session_state[_STORE]
    for param in PARAMS:
        value = st.session_state.get(param.key, param.default)
        store[param.key] = value
        if value == param.default:
            st.query_params.pop(param.url, None)
        else:
            st.query_params[param.url] = str(value)


def render_sidebar() -> SidebarState:
    """Draw the shared sidebar and return its values."""
    _init_state()
    with st.sidebar:
        st.header("Data")
        source = st.selectbox(
            "Data source",
            [s.value for s in DataSource],
            format_func=lambda v: DataSource(v).label,
            key="data.source",
        )
        if source == DataSource.YAHOO.value:
            st.text_area("Yahoo tickers (comma-separated)", key="data.tickers", height=110)
            st.number_input(
                "History (days)", min_value=30, max_value=3650, step=30, key="data.yahoo_days",
                help="Up to 729 days uses hourly bars; longer histories use daily bars (Yahoo's limit).",
            )
            if st.button("Refresh from Yahoo", key="data.refresh", width="stretch"):
                st.session_state["data.refresh_nonce"] = st.session_state.get("data.refresh_nonce", 0) + 1
        elif source == DataSource.UPLOAD.value:
            _upload_widget()
        st.header("Analysis")
        st.number_input(
            "Lookback (days)", min_value=7, max_value=3650, step=7, key="sidebar.lookback_days",
            help="Window of bars, ending at the as-of date, from which behaviour is measured.",
        )
    _sync_state()
    tickers = tuple(t.strip() for t in str(st.session_state["data.tickers"]).replace(";", ",").split(",") if t.strip())
    return SidebarState(
        source=DataSource(source),
        lookback_days=int(st.session_state["sidebar.lookback_days"]),
        tickers=tickers,
        yahoo_days=int(st.session_state["data.yahoo_days"]),
        refresh_nonce=int(st.session_state.get("data.refresh_nonce", 0)),
    )


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


@st.cache_data(max_entries=2, show_spinner="Loading the bundled dataset...")
def _cached_sample(name: str) -> MarketData:
    return load_sample(name)


@st.cache_data(max_entries=4, show_spinner="Reading the file...")
def _cached_file(digest: str, name: str, _raw: bytes) -> MarketData:
    return load_file(_raw, name=name)


@st.cache_data(max_entries=4, show_spinner=False, ttl=3600)
def _cached_yahoo(tickers: tuple[str, ...], days: int, nonce: int, _progress: Callable | None = None) -> YahooResult:
    return load_yahoo(list(tickers), days=days, cache_dir=CACHE_DIR, progress=_progress)


def _yahoo(state: SidebarState) -> YahooResult:
    with st.status("Fetching prices from Yahoo Finance...", expanded=False) as status:
        bar = st.progress(0.0)

        def progress(done: int, total: int, ticker: str, what: str) -> None:
            bar.progress(done / total, text=f"{ticker}: {what} ({done}/{total})")

        result = _cached_yahoo(state.tickers, state.yahoo_days, state.refresh_nonce, _progress=progress)
        status.update(
            label="Yahoo Finance: offline, showing fallback data" if result.fallback else "Yahoo Finance: loaded",
            state="error" if result.fallback else "complete",
        )
    return result


def get_market_data(state: SidebarState) -> tuple[MarketData, list[tuple[str, str]]]:
    """Load the data the sidebar asks for.

    Returns the data and ``(level, message)`` pairs to show. On a loading error the
    message explains it and the last data that loaded (or the bundled sample) is
    returned, so the user never loses what they had.
    """
    messages: list[tuple[str, str]] = []
    try:
        data = _load(state, messages)
    except ClusterCoreError as exc:
        fallback = st.session_state.get(_LAST_GOOD) or _cached_sample(SampleName.HOURLY.value)
        messages.append(("error", f"{exc} Still showing the previous data: {fallback.source}."))
        return fallback, messages
    st.session_state[_LAST_GOOD] = data
    return data, messages


def _load(state: SidebarState, messages: list[tuple[str, str]]) -> MarketData:
    if state.source is DataSource.SAMPLE_DAILY:
        return _cached_sample(SampleName.DAILY.value)
    if state.source is DataSource.YAHOO:
        result = _yahoo(state)
        level = "warning" if result.fallback else "info"
        messages.extend((level, line) for line in result.messages)
        return result.data
    if state.source is DataSource.UPLOAD:
        kept = st.session_state.get("data.upload_bytes")
        if not kept:
            messages.append(
                ("info", "Upload a CSV or Parquet file in the sidebar; the bundled hourly sample is shown meanwhile.")
            )
            return _cached_sample(SampleName.HOURLY.value)
        name, raw = kept
        return _cached_file(hashlib.sha256(raw).hexdigest(), name, raw)
    return _cached_sample(SampleName.HOURLY.value)


def show_messages(messages: list[tuple[str, str]]) -> None:
    """Render ``(level, text)`` pairs as Streamlit alerts."""
    for level, text in messages:
        {"error": st.error, "warning": st.warning}.get(level, st.info)(text)


def download_csv(table: pd.DataFrame, file_name: str, label: str, key: str) -> None:
    """Draw a formula-safe CSV download button for ``table``."""
    st.download_button(label, to_csv_bytes(table), file_name=file_name, mime="text/csv", key=key)
