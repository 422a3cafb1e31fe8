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
