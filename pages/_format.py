"""One number format for every table on every page.

Fractions are shown as percentages, money with its unit, ratios with two decimals, counts
as integers; a missing value reads "–", never "None". The CSV downloads keep the raw
values (fractions as fractions, volumes in USD): only the display is formatted.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from cluster_core.charts import COUNTS, MONEY, PERCENT, RATIO, SCIENTIFIC, TREND, format_value  # noqa: F401


def _config(column: str) -> object | None:
    if column in PERCENT:
        return st.column_config.NumberColumn(column, format="percent")
    if column in MONEY:
        return st.column_config.NumberColumn(f"{column} (USD/day)" if column.endswith("_usd") else column,
                                             format="dollar")
    if column in SCIENTIFIC:
        return st.column_config.NumberColumn(column, format="%.2e")
    if column in COUNTS:
        return st.column_config.NumberColumn(column, format="%d")
    if column in TREND:
        return st.column_config.NumberColumn(column, format="%.3f")
    if column in RATIO:
        return st.column_config.NumberColumn(column, format="%.2f")
    return None


def display_table(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, object]]:
    """Prepare a table for display: numbers formatted by column, no empty "None" cells.

    A numeric column with missing values is shown as text (each value formatted, "–" where
    missing), since a table cell cannot show a dash in a number column; the map's ``x``
    and ``y`` are left out (they mean nothing outside the map).
    """
    shown = table.drop(columns=[c for c in ("x", "y") if c in table.columns])
    shown = shown.copy()
    config: dict[str, object] = {}
    for column in shown.columns:
        values = shown[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if values.isna().any():
            shown[column] = [format_value(str(column), v) for v in values.astype(object)]
            continue
        chosen = _config(str(column))
        if chosen is not None:
            config[str(column)] = chosen
    return shown, config


def coin_link(symbol: str) -> str:
    """Link to ``symbol``'s Coin page, keeping the current view (every setting in the URL)."""
    return "coin?" + urlencode({**st.query_params.to_dict(), "symbol": symbol})


def show_table(table: pd.DataFrame, key: str, *, column_config: dict | None = None, link: str | None = None,
               **kwargs: object) -> None:
    """``st.dataframe`` with the one number format (:func:`display_table`); ``column_config`` overrides it.

    ``link`` names a column of symbols: a "coin" column beside it links each to its Coin page
    (same settings), so every table leads to the coins it lists.
    """
    shown, config = display_table(table)
    if link is not None and len(shown):
        shown.insert(int(shown.columns.get_loc(link)) + 1, "coin", [coin_link(str(s)) for s in shown[link]])
        config["coin"] = st.column_config.LinkColumn("coin page", display_text=r"symbol=([^&]+)",
                                                     help="Opens the coin's page (in a new tab) with these settings.")
    kwargs.setdefault("width", "stretch")
    st.dataframe(shown, key=key, column_config={**config, **(column_config or {})}, **kwargs)
