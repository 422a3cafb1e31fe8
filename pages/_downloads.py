"""CSV downloads: always the current view's file, with the settings that produced it."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from cluster_core.data import DataSource
from cluster_core.export import to_csv_bytes
from pages._state import PARAMS

SIDEBAR_PREFIXES = ("data.", "sidebar.", "features.", "clusters.")
PICK_KEYS = ("act.per_cluster", "act.min_holdings", "act.rule", "act.weighting", "act.max_weight",
             "act.include_noise", "act.include_pegged", "map.tiers")
BACKTEST_KEYS = (*PICK_KEYS, "act.strategy", "act.cost_bps", "act.top_n", "act.keep_top", "act.smoothness")


def settings_text(page_keys: tuple[str, ...] = ()) -> str:
    """Every setting behind a page's result, as ``url-name=value`` pairs (the sidebar's and ``page_keys``)."""
    state = st.session_state
    parts = []
    for param in PARAMS:
        if param.key.startswith(SIDEBAR_PREFIXES) or param.key in page_keys:
            if param.key == "data.tickers" and state.get("data.source") != DataSource.YAHOO.value:
                continue
            value = state.get(param.key, param.default)
            parts.append(f"{param.url}={'' if value is None else param.dump(value)}")
    return "; ".join(parts)


def with_settings(table: pd.DataFrame, page_keys: tuple[str, ...] = ()) -> pd.DataFrame:
    """``table`` with a last ``settings`` column: what produced it (:func:`settings_text`), the same on every row."""
    return table.assign(settings=settings_text(page_keys))


def download_csv(table: pd.DataFrame, file_name: str, label: str, key: str, summary: str | None = None) -> None:
    """Draw a formula-safe CSV download button for ``table``, always the current view's.

    The button's key carries a digest of the file, so a changed table makes a new button:
    the previous run's button (and its file) cannot outlive the run that replaces it. The
    ``summary`` (e.g. "4 clusters, 144 symbols") is shown in the label: the user sees
    which table the button serves.
    """
    data = to_csv_bytes(table)
    digest = hashlib.blake2b(data, digest_size=6).hexdigest()
    # on_click="ignore": a download must not rerun the page (a rerun can cancel the download
    # and recompute nothing useful).
    st.download_button(f"{label} ({summary})" if summary else label, data, file_name=file_name, mime="text/csv",
                       key=f"{key}.{digest}", on_click="ignore")
