"""One number format for every table and hover: fractions as percentages, money with its unit, ratios, counts.

The pages' tables (``pages/_format.py``) and the charts' hover texts read values through
:func:`format_value`, so a number reads the same wherever it is shown. The CSVs keep raw
values.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["COUNTS", "MONEY", "PERCENT", "RATIO", "SCIENTIFIC", "TREND", "format_value"]

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
