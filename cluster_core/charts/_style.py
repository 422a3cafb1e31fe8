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


def group_colours(labels, tiers) -> dict[int, str]:
    """Colour of each group a strategy acts on: a cluster's own colour, a tier's shade of its cluster's.

    ``labels`` are :func:`cluster_core.interpretation.tiered_groups`' labels for the
    clustering's ``tiers`` (or the clusters' own labels when ``tiers`` is None): the charts
    then colour a tier as the map does.
    """
    out = {int(c): cluster_colour(int(c)) for c in set(labels)}
    if tiers is not None:
        first = max(out) - tiers.n_tiers + 1
        out.update({first + t - 1: tier_colour(t, tiers.n_tiers, tiers.cluster) for t in range(1, tiers.n_tiers + 1)})
    return out


def tier_colour(tier: int, n_tiers: int, label: int = 0) -> str:
    """Colour of tier ``tier`` (1-based) of ``n_tiers`` of cluster ``label``: shades of the cluster's own colour.

    Light (tier 1) to full (the last tier): the tiers read as one cluster cut along a
    spread, not as groups, and never take another cluster's colour.

    Examples
    --------
    >>> tier_colour(1, 3, 0), tier_colour(3, 3, 0) == cluster_colour(0)
    ('rgb(192, 222, 247)', True)
    """
    base = cluster_colour(label)
    if tier >= n_tiers:
        return base
    red, green, blue = px_colors.hex_to_rgb(base) if base.startswith("#") else px_colors.unlabel_rgb(base)
    share = 0.3 + 0.7 * (tier - 1) / max(n_tiers - 1, 1)  # how much of the cluster's colour, against white
    return "rgb({}, {}, {})".format(*(round(255 - (255 - c) * share) for c in (red, green, blue)))
