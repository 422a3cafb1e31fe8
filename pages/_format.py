"""One number format for every table on every page.

Fractions are shown as percentages, money with its unit, ratios with two decimals, counts
as integers; a missing value reads "–", never "None". The CSV downloads keep the raw
values (fractions as fractions, volumes in USD): only the display is formatted.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from cluster_core.features import Feature

# Fractions (returns, volatilities, drawdowns, weights, shares) shown as percentages.
PERCENT = frozenset({
    "annualized_return", "annualized_vol", "var_95", "cvar_95", "momentum_30d", "max_drawdown", "downside_vol",
    "weight", "max_weight", "confidence", "stability", "mates_kept", "universe_percentile", "gap",
    "leader_momentum", "peer_momentum", "leader_next_return", "peer_next_return", "group_next_return",
    "peer_vs_group", "CAGR", "cagr", "volatility", "hit_rate", "avg_turnover", "turnover", "cost_drag", "cost",
    "total_return", "period_return", "period_return_gross", "coverage", "share", "beat_group",
    "current_vs_independent", "volatility_from", "volatility_to", "median_volatility", "momentum",
    "group_median_momentum", "excess_return", "btc_return", "return",
})
# Money per day, in USD.
MONEY = frozenset({"avg_daily_volume_usd", "median_volume_usd", "volume_usd"})
# Tiny positive ratios read best in scientific notation.
SCIENTIFIC = frozenset({"amihud_illiquidity"})
# Dimensionless ratios and scores.
RATIO = frozenset({
    "sharpe", "sortino", "skewness", "kurtosis", "btc_corr", "beta_btc", "autocorr_1", "correlation",
    "residual_correlation", "avg_pairwise_corr", "behaviour_distance", "z_in_group", "silhouette",
    "independent_silhouette", "ari_vs_previous", "median_ari", "median_ari_with_groups", "median_silhouette",
    "current_silhouette", "smoothness", "leader_z", "z", "beta", "ari", "ami", "median_spearman",
})
TREND = frozenset({"trend_strength"})
COUNTS = frozenset({"cluster", "size", "symbols", "n_changed", "k", "rank", "behaviour_rank", "rank_in_group",
                    "group_size", "tier", "holdings", "n_holdings", "laggards", "months"})
FEATURE_NAMES = frozenset(f.value for f in Feature)


def format_value(column: str, value: object) -> str:
    """Format one value the way its column is shown in every table (``"–"`` when missing).

    Examples
    --------
    >>> format_value("annualized_return", 6.4906), format_value("avg_daily_volume_usd", 4.4e8)
    ('649.06%', '$440,000,000')
    >>> format_value("weight", 0.25), format_value("max_drawdown", -0.1)
    ('25%', '-10%')
    >>> format_value("sharpe", float("nan")), format_value("cluster", 3)
    ('–', '3')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if not isinstance(value, (int, float)):
        return str(value)
    if column in PERCENT:  # as Streamlit's "percent" column format: up to two decimals
        return f"{100 * value:.2f}".rstrip("0").rstrip(".") + "%"
    if column in MONEY:
        return f"${value:,.0f}"
    if column in SCIENTIFIC:
        return f"{value:.2e}"
    if column in COUNTS:
        return f"{int(value):d}"
    if column in TREND:
        return f"{value:.3f}"
    return f"{value:.2f}"


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
