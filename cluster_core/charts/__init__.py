"""Plotly figure builders: pure functions from engine values to ``go.Figure`` (never shown here)."""

from cluster_core.charts._clusters import (
    BRANCH_COLUMNS,
    DENDROGRAM_BRANCHES,
    DENDROGRAM_MAX_LEAVES,
    HEATMAP_MAX_SYMBOLS,
    dendrogram_branches,
    heatmap_sample,
    plot_cluster_map,
    plot_correlation_heatmap,
    plot_dendrogram,
    plot_profile_heatmap,
)
from cluster_core.charts._coin import plot_group_history, plot_rolling_beta
from cluster_core.charts._data import plot_coverage, plot_feature_scatter, plot_prices
from cluster_core.charts._diagnostics import plot_k_curve, plot_k_distance, plot_silhouette
from cluster_core.charts._network import plot_network, plot_spectrum
from cluster_core.charts._numbers import COUNTS, MONEY, PERCENT, RATIO, SCIENTIFIC, TREND, format_value
from cluster_core.charts._strategies import (
    plot_ari_over_time,
    plot_equity,
    plot_laggards,
    plot_migrations,
    plot_peer_history,
    plot_sector_crosstab,
    plot_tradeoff,
    plot_turnover,
    plot_weights,
)
from cluster_core.charts._style import PALETTE, cluster_colour, group_colours
from cluster_core.charts._sweep import plot_overfitting, plot_sweep_heatmap, plot_sweep_spread
from cluster_core.charts._tiers import plot_tiers

__all__ = [
    "plot_overfitting",
    "plot_network",
    "plot_spectrum",
    "COUNTS",
    "MONEY",
    "PERCENT",
    "RATIO",
    "SCIENTIFIC",
    "TREND",
    "format_value",
    "BRANCH_COLUMNS",
    "DENDROGRAM_BRANCHES",
    "DENDROGRAM_MAX_LEAVES",
    "HEATMAP_MAX_SYMBOLS",
    "PALETTE",
    "dendrogram_branches",
    "heatmap_sample",
    "cluster_colour",
    "group_colours",
    "plot_ari_over_time",
    "plot_equity",
    "plot_laggards",
    "plot_migrations",
    "plot_peer_history",
    "plot_sector_crosstab",
    "plot_cluster_map",
    "plot_correlation_heatmap",
    "plot_coverage",
    "plot_dendrogram",
    "plot_feature_scatter",
    "plot_group_history",
    "plot_k_curve",
    "plot_k_distance",
    "plot_prices",
    "plot_profile_heatmap",
    "plot_rolling_beta",
    "plot_silhouette",
    "plot_tiers",
    "plot_sweep_heatmap",
    "plot_sweep_spread",
    "plot_tradeoff",
    "plot_turnover",
    "plot_weights",
]
