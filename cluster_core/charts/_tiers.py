"""The continuum's tiers: members along the main axis, the cuts drawn as boundaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cluster_core.charts._style import tier_colour
from cluster_core.clustering import Tiers

__all__ = ["plot_tiers"]


def plot_tiers(tiers: Tiers, X: pd.DataFrame, axis_label: str = "") -> go.Figure:
    """Strip chart of the continuum's members along its main axis, one colour per tier, the cuts as dashed lines.

    The vertical position is a seeded jitter (it means nothing); the hover gives the symbol,
    its tier, volatility, beta and daily volume.

    Parameters
    ----------
    tiers : Tiers
    X : DataFrame
        Raw features (index symbol), for the hover.
    axis_label : str, optional
        What the axis measures (:func:`cluster_core.interpretation.tier_axis`).
    """
    rng = np.random.default_rng(0)
    fig = go.Figure()
    for t in range(1, tiers.n_tiers + 1):
        members = tiers.tier.index[tiers.tier == t]
        rows = X.reindex(members)
        hover = [f"<b>{s}</b><br>tier {t} of {tiers.n_tiers}<br>volatility {v:.0%}<br>beta {b:.2f}<br>"
                 f"volume {u:,.0f} USD/day"
                 for s, v, b, u in zip(members, rows.get("annualized_vol", np.nan), rows.get("beta_btc", np.nan),
                                       rows.get("avg_daily_volume_usd", np.nan), strict=True)]
        fig.add_trace(go.Scatter(
            x=tiers.score[members], y=rng.uniform(-1, 1, len(members)), mode="markers",
            name=f"tier {t} of {tiers.n_tiers} ({len(members)})", hovertext=hover, hoverinfo="text",
            customdata=list(members), marker={"color": tier_colour(t, tiers.n_tiers, tiers.cluster), "size": 9,
                                              "line": {"width": 0.5, "color": "white"}},
        ))
    for cut in tiers.cuts:
        fig.add_vline(x=cut, line={"dash": "dash", "color": "#444", "width": 1.5},
                      annotation_text=f"cut {cut:.2f}", annotation_position="top")
    fig.update_layout(
        height=300, legend={"title": "Tiers (cuts of a spread)", "itemsizing": "constant"},
        xaxis={"title": f"position along the spread's main axis{': ' + axis_label if axis_label else ''}",
               "zeroline": False},
        yaxis={"visible": False}, margin={"l": 10, "r": 10, "t": 40, "b": 40},
    )
    return fig
