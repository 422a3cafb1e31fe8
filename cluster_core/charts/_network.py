"""The correlation network (minimum spanning tree) and the eigenvalue spectrum against Marchenko-Pastur."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cluster_core.charts._clusters import _traces
from cluster_core.charts._numbers import format_value
from cluster_core.charts._style import LINK_COLOUR
from cluster_core.clustering import Tiers
from cluster_core.features import Spectrum
from cluster_core.network import BACKBONE_ABOVE, Network, backbone

LABELS_UP_TO = 160  # symbols on the tree above which only hubs carry a text label
EDGE_BANDS = ((-1.0, 0.3, 0.8), (0.3, 0.5, 1.8), (0.5, 1.01, 3.5))  # correlation band -> line width
# The legend draws every line at one width, so each band also says which width is its own.
EDGE_WORDS = ("thin", "medium", "thick")


def plot_network(
    network: Network,
    layout: pd.DataFrame,
    labels: pd.Series,
    names: pd.Series,
    volume: pd.Series,
    tiers: Tiers | None = None,
    highlight: str | None = None,
) -> go.Figure:
    """Draw the spanning tree: node colour = cluster (as the map), size = log volume, edge width = correlation.

    Above :data:`BACKBONE_ABOVE` symbols only the backbone is drawn (the tree without its
    leaves); each hub's hover says how many leaves hang on it. A node's hover lists its
    three most correlated symbols (any pair, not only its tree edges).

    Parameters
    ----------
    network : Network
    layout : DataFrame
        ``x``, ``y`` per symbol (:func:`cluster_core.network.tree_layout` of the edges drawn).
    labels, names : Series
        Cluster per symbol and name per cluster (symbols without a cluster are grey).
    volume : Series
        Average daily USD volume per symbol.
    tiers : Tiers, optional
        Colours a continuum's tiers as the map does.
    highlight : str, optional
        A symbol ringed and labelled.
    """
    edges, hung = network.edges, pd.Series(dtype=int)
    if len(network.correlation) > BACKBONE_ABOVE:
        edges, hung = backbone(edges)
    shown = layout.index.intersection(pd.Index(pd.concat([edges["source"], edges["target"]]).unique()))
    fig = go.Figure()
    for (low, high, width), word in zip(EDGE_BANDS, EDGE_WORDS, strict=True):
        band = edges[(edges["correlation"] >= low) & (edges["correlation"] < high)]
        if band.empty:
            continue
        xs = np.column_stack([layout.loc[band["source"], "x"], layout.loc[band["target"], "x"],
                              np.full(len(band), np.nan)]).ravel()
        ys = np.column_stack([layout.loc[band["source"], "y"], layout.loc[band["target"], "y"],
                              np.full(len(band), np.nan)]).ravel()
        name = f"correlation {max(low, -1):.1f} to {min(high, 1):.1f} ({word} links)"
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", line={"width": width,
                                 "color": LINK_COLOUR}, name=name, legendgroup="edges", opacity=0.8))
    node_labels = labels.reindex(shown).fillna(-1).astype(int)
    log_volume = np.log10(volume.reindex(shown).where(lambda v: v > 0))
    span = (log_volume.max() - log_volume.min()) or 1.0
    size = (6 + 16 * (log_volume - log_volume.min()) / span).fillna(6)
    hover = _hover(network, shown, node_labels, names, volume, hung)
    text_mode = "markers+text" if len(shown) <= LABELS_UP_TO else "markers"
    for members, name, colour, _ in _traces(node_labels, names, tiers):
        if len(members) == 0:
            continue
        fig.add_trace(go.Scatter(
            x=layout.loc[members, "x"], y=layout.loc[members, "y"], mode=text_mode, text=list(members),
            textposition="top center", textfont={"size": 8}, name=f"{name} ({len(members)})",
            hovertext=hover.loc[members].tolist(), hoverinfo="text", customdata=list(members),
            marker={"size": size.loc[members], "color": colour, "line": {"width": 0.5, "color": "white"}}))
    if highlight is not None and highlight in shown:
        fig.add_trace(go.Scatter(
            x=[layout.loc[highlight, "x"]], y=[layout.loc[highlight, "y"]], mode="markers+text",
            name=f"Looked up: {highlight}", text=[f"<b>{highlight}</b>"], textposition="top center",
            hovertext=[hover.loc[highlight]], hoverinfo="text",
            marker={"size": 24, "color": "rgba(0,0,0,0)", "line": {"width": 3, "color": "#111"}}))
    fig.update_layout(
        height=680, legend={"title": "Clusters (as on the map) and links", "itemsizing": "constant"},
        xaxis={"visible": False}, yaxis={"visible": False},
        margin={"l": 10, "r": 10, "t": 20, "b": 10}, dragmode="zoom", plot_bgcolor="white",
    )
    return fig


def _hover(network: Network, symbols: pd.Index, labels: pd.Series, names: pd.Series, volume: pd.Series,
           hung: pd.Series) -> pd.Series:
    texts = []
    for symbol in symbols:
        strongest = network.strongest(symbol)
        lines = [f"<b>{symbol}</b> · {names.get(labels[symbol], 'not clustered')}",
                 f"avg_daily_volume_usd: {format_value('avg_daily_volume_usd', volume.get(symbol, np.nan))}",
                 "moves most with: " + ", ".join(f"{s} {rho:.2f}" for s, rho in strongest.items())]
        if symbol in hung.index:
            lines.append(f"+{int(hung[symbol])} leaves not drawn")
        texts.append("<br>".join(lines))
    return pd.Series(texts, index=symbols)


def plot_spectrum(spectrum: Spectrum) -> go.Figure:
    """Histogram of the eigenvalues with the Marchenko-Pastur density of the same shape; the edge marked.

    The axis ends at 1.8 times the edge (at least 3) so the band stays readable; the
    eigenvalues beyond it (the market, strong sectors) are listed in the corner.
    """
    values = spectrum.eigenvalues
    right = max(spectrum.edge * 1.8, 3.0)
    inside = values[values <= right]
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=inside, histnorm="probability density", xbins={"start": 0, "end": right,
                               "size": right / 60}, name="eigenvalues", marker={"color": "#93c5fd"}))
    grid = np.linspace(max(spectrum.lower_edge, 1e-6), spectrum.edge, 400)
    fig.add_trace(go.Scatter(x=grid, y=spectrum.density(grid), mode="lines", name="Marchenko-Pastur (noise)",
                             line={"color": "#111", "width": 2}))
    above = inside[inside > spectrum.edge]
    fig.add_trace(go.Scatter(x=above, y=np.zeros(len(above)), mode="markers", name="above the edge",
                             marker={"symbol": "line-ns-open", "size": 18, "color": "#dc2626", "line": {"width": 2}}))
    fig.add_vline(x=spectrum.edge, line_dash="dash", line_color="#dc2626",
                  annotation_text=f"edge {spectrum.edge:.2f}", annotation_position="top right")
    beyond = values[values > right]
    if len(beyond):
        fig.add_annotation(x=right, y=1, xref="x", yref="paper", xanchor="right", showarrow=False, align="right",
                           text="beyond the axis: " + ", ".join(f"{v:.1f}" for v in beyond[:8])
                           + (" ..." if len(beyond) > 8 else ""), font={"color": "#dc2626"})
    fig.update_layout(height=380, xaxis={"title": "eigenvalue", "range": [0, right]}, yaxis={"title": "density"},
                      margin={"l": 10, "r": 10, "t": 30, "b": 10}, bargap=0.05, legend={"orientation": "h", "y": -0.25})
    return fig
