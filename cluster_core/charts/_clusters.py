"""Figures of a clustering: the 2-D map, the dendrogram, the seriated correlation heatmap, profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy.cluster import hierarchy

from cluster_core.charts._style import LINK_COLOUR, cluster_colour
from cluster_core.errors import ParameterError

__all__ = ["plot_cluster_map", "plot_correlation_heatmap", "plot_dendrogram", "plot_profile_heatmap"]

HOVER_FEATURES = ("annualized_return", "annualized_vol", "btc_corr", "max_drawdown", "avg_daily_volume_usd")


def plot_cluster_map(
    coords: pd.DataFrame, labels: pd.Series, names: pd.Series, X: pd.DataFrame, title: str = ""
) -> go.Figure:
    """2-D map: one trace per cluster (legend = names), marker size = log daily volume.

    Parameters
    ----------
    coords : DataFrame
        ``x``, ``y`` per symbol.
    labels : Series
        Cluster per symbol (-1 = noise).
    names : Series
        Name per cluster label.
    X : DataFrame
        Raw features, for the hover text and the marker size.
    """
    volume = X.get("avg_daily_volume_usd", pd.Series(np.nan, index=X.index)).reindex(coords.index)
    logv = np.log10(volume.where(volume > 0))
    span = (logv.max() - logv.min()) or 1.0
    size = (7 + 15 * (logv - logv.min()) / span).fillna(8)
    fig = go.Figure()
    for label in sorted(labels.unique(), key=lambda c: (c < 0, c)):
        members = labels.index[labels == label]
        hover = [_hover(symbol, X) for symbol in members]
        fig.add_trace(
            go.Scatter(
                x=coords.loc[members, "x"], y=coords.loc[members, "y"], mode="markers+text" if len(coords) <= 60
                else "markers", name=f"{names.get(label, label)} ({len(members)})", text=list(members),
                textposition="top center", textfont={"size": 9}, hovertext=hover, hoverinfo="text",
                customdata=list(members),
                marker={"size": size.loc[members], "color": cluster_colour(int(label)), "opacity": 0.85,
                        "symbol": "x" if label < 0 else "circle", "line": {"width": 0.5, "color": "white"}},
            )
        )
    fig.update_layout(
        title=title or None, height=620, legend={"title": "Clusters", "itemsizing": "constant"},
        xaxis={"title": None, "showticklabels": False, "zeroline": False},
        yaxis={"title": None, "showticklabels": False, "zeroline": False},
        margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10}, dragmode="lasso",
    )
    return fig


def _hover(symbol: str, X: pd.DataFrame) -> str:
    parts = [f"<b>{symbol}</b>"]
    for name in HOVER_FEATURES:
        if name in X.columns and pd.notna(X.at[symbol, name]):
            value = X.at[symbol, name]
            text = f"{value:,.0f} USD" if name == "avg_daily_volume_usd" else (
                f"{value:.2f}" if name == "btc_corr" else f"{value:.1%}")
            parts.append(f"{name}: {text}")
    return "<br>".join(parts)


def plot_dendrogram(
    tree: np.ndarray, symbols: list[str], labels: pd.Series, names: pd.Series, cut: float | None = None
) -> go.Figure:
    """Horizontal dendrogram drawn from scipy's coordinates, one trace per cluster colour.

    Links whose leaves all belong to one cluster take that cluster's colour (as on the
    map), others are grey; the cut height is a dashed line. Readable at 150+ leaves: the
    figure grows 13 px per leaf.
    """
    if len(symbols) != len(tree) + 1:
        raise ParameterError(f"The tree has {len(tree) + 1} leaves but {len(symbols)} symbols were given.")
    leaf_labels = labels.reindex(symbols).to_numpy()
    link_label = _link_labels(tree, leaf_labels)
    drawn = hierarchy.dendrogram(
        tree, no_plot=True, labels=symbols, orientation="right",
        link_color_func=lambda i: str(link_label[i]),
    )
    segments: dict[str, tuple[list[float], list[float]]] = {}
    for xs, ys, colour in zip(drawn["dcoord"], drawn["icoord"], drawn["color_list"], strict=True):
        px, py = segments.setdefault(colour, ([], []))
        px.extend([*xs, None])
        py.extend([*ys, None])
    fig = go.Figure()
    for colour, (px, py) in sorted(segments.items(), key=lambda kv: int(kv[0])):
        label = int(colour)
        fig.add_trace(
            go.Scatter(
                x=px, y=py, mode="lines", hoverinfo="skip",
                line={"color": LINK_COLOUR if label == -2 else cluster_colour(label), "width": 1.4},
                name="between clusters" if label == -2 else str(names.get(label, label)),
            )
        )
    leaves = drawn["ivl"]
    positions = [5 + 10 * i for i in range(len(leaves))]
    fig.add_trace(
        go.Scatter(
            x=[0] * len(leaves), y=positions, mode="markers", showlegend=False,
            marker={"size": 5, "color": [cluster_colour(int(labels.get(s, -1))) for s in leaves]},
            hovertext=[f"{s}: {names.get(int(labels.get(s, -1)), '')}" for s in leaves], hoverinfo="text",
        )
    )
    if cut is not None:
        fig.add_vline(x=cut, line={"dash": "dash", "color": "#ef4444"}, annotation_text=f"cut {cut:.3g}")
    fig.update_layout(
        height=max(420, 13 * len(leaves) + 80),
        yaxis={"tickvals": positions, "ticktext": leaves, "tickfont": {"size": 10}, "range": [0, 10 * len(leaves)]},
        xaxis={"title": "merge distance", "autorange": "reversed"},
        legend={"title": "Clusters"}, margin={"l": 80, "r": 20, "t": 30, "b": 40},
    )
    return fig


def _link_labels(tree: np.ndarray, leaf_labels: np.ndarray) -> dict[int, int]:
    """Cluster label of each link id (>= n), or -2 when its leaves span several clusters."""
    n = len(leaf_labels)
    node_label: dict[int, int] = {i: int(c) for i, c in enumerate(leaf_labels)}
    for j, (a, b, *_rest) in enumerate(tree):
        la, lb = node_label[int(a)], node_label[int(b)]
        node_label[n + j] = la if la == lb and la >= 0 else -2
    return node_label


def plot_correlation_heatmap(corr: pd.DataFrame, labels: pd.Series, names: pd.Series) -> go.Figure:
    """Plot return correlations grouped by cluster, with a box around every cluster.

    Inside a cluster, rows and columns follow an average-linkage leaf order (seriation).
    """
    symbols = [s for s in corr.index if s in labels.index]
    corr = corr.loc[symbols, symbols]
    distance = np.sqrt(np.clip(2 * (1 - corr.fillna(0).to_numpy()), 0, 4))
    np.fill_diagonal(distance, 0)
    leaves = hierarchy.leaves_list(hierarchy.linkage(distance[np.triu_indices(len(symbols), 1)], "average"))
    seriation = {symbols[i]: rank for rank, i in enumerate(leaves)}
    order = sorted(symbols, key=lambda s: (labels[s] < 0, labels[s], seriation[s]))
    z = corr.loc[order, order]
    fig = go.Figure(
        go.Heatmap(z=z.to_numpy(), x=order, y=order, zmin=-1, zmax=1, colorscale="RdBu", reversescale=True,
                   colorbar={"title": "corr"}, hovertemplate="%{y} / %{x}: %{z:.2f}<extra></extra>")
    )
    start = 0
    for label in sorted(labels.unique(), key=lambda c: (c < 0, c)):
        size = int((labels.reindex(order) == label).sum())
        if size:
            fig.add_shape(type="rect", x0=start - 0.5, x1=start + size - 0.5, y0=start - 0.5, y1=start + size - 0.5,
                          line={"color": cluster_colour(int(label)), "width": 2})
            start += size
    fig.update_layout(height=max(500, 9 * len(order) + 120), yaxis={"autorange": "reversed", "tickfont": {"size": 8}},
                      xaxis={"tickfont": {"size": 8}}, margin={"l": 60, "r": 20, "t": 30, "b": 60})
    return fig


def plot_profile_heatmap(zscores: pd.DataFrame) -> go.Figure:
    """Cluster (rows) x feature (columns) z-scores against the universe, clipped to +/-3."""
    z = zscores.clip(-3, 3)
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(), x=list(z.columns), y=list(z.index), zmid=0, zmin=-3, zmax=3, colorscale="RdBu",
            reversescale=True, text=np.round(zscores.to_numpy(), 1), texttemplate="%{text}",
            colorbar={"title": "z"}, hovertemplate="%{y}<br>%{x}: z = %{text}<extra></extra>",
        )
    )
    fig.update_layout(height=120 + 42 * len(z), margin={"l": 180, "r": 20, "t": 30, "b": 120},
                      yaxis={"autorange": "reversed"})
    return fig
