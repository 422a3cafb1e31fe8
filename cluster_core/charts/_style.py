"""Shared colours: one per cluster label, consistent across every chart."""

from __future__ import annotations

from plotly import colors as px_colors

# 24 distinguishable colours (plotly's Dark24), so 14 sectors or many clusters never share one.
PALETTE = px_colors.qualitative.Dark24
NOISE_COLOUR = "#9ca3af"
LINK_COLOUR = "#9ca3af"


def cluster_colour(label: int) -> str:
    """Colour of a cluster label; grey for noise (-1)."""
    return NOISE_COLOUR if label < 0 else PALETTE[label % len(PALETTE)]


TIER_COLOURS = ("#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c")  # light to dark: low to high along the spread


def tier_colour(tier: int, n_tiers: int) -> str:
    """Colour of tier ``tier`` (1-based) of ``n_tiers``: one sequential scale, so tiers read as a spread, not groups."""
    return TIER_COLOURS[round((tier - 1) * (len(TIER_COLOURS) - 1) / max(n_tiers - 1, 1))]
