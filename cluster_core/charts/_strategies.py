"""Figures for acting on clusters: equity curves, laggards, stability over time, sectors."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cluster_core.charts._style import PALETTE, cluster_colour

__all__ = ["plot_ari_over_time", "plot_equity", "plot_laggards", "plot_migrations", "plot_sector_crosstab"]


def plot_equity(curves: pd.DataFrame, log_scale: bool = True) -> go.Figure:
    """Equity curves (strategy, BTC, equal-weight), starting at 1."""
    labels = {"strategy": "Strategy (after costs)", "BTC": "BTC buy & hold", "equal_weight": "Equal-weight universe"}
    fig = go.Figure()
    for i, column in enumerate(curves.columns):
        fig.add_trace(go.Scatter(x=curves.index, y=curves[column], name=labels.get(column, column),
                                 mode="lines+markers",
                                 line={"width": 3 if column == "strategy" else 1.5, "color": PALETTE[i]}))
    fig.update_layout(height=440, yaxis={"type": "log" if log_scale else "linear", "title": "equity (start = 1)"},
                      hovermode="x unified", legend={"orientation": "h", "y": -0.15},
                      margin={"l": 60, "r": 20, "t": 20, "b": 40})
    return fig


def plot_laggards(table: pd.DataFrame, max_rows: int = 40) -> go.Figure:
    """Momentum gap between each leader and its lagging peers (largest first)."""
    top = table.head(max_rows).iloc[::-1]
    fig = go.Figure(go.Bar(
        x=top["gap"], y=[f"{p} vs {leader}" for p, leader in zip(top["peer"], top["leader"], strict=True)],
        orientation="h", marker_color=[cluster_colour(int(c)) for c in top["cluster"]],
        hovertemplate="%{y}: gap %{x:.1%}<extra></extra>",
    ))
    fig.update_layout(height=max(320, 18 * len(top) + 80), xaxis={"title": "30-day momentum gap", "tickformat": ".0%"},
                      margin={"l": 160, "r": 20, "t": 20, "b": 40})
    return fig


def plot_ari_over_time(table: pd.DataFrame) -> go.Figure:
    """Plot the adjusted Rand index of each month's clusters against the month before, and symbols that moved."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=table["date"], y=table["ari_vs_previous"], name="ARI vs previous month",
                             mode="lines+markers"))
    fig.add_trace(go.Bar(x=table["date"], y=table["n_changed"], name="symbols that changed group", yaxis="y2",
                         opacity=0.35))
    fig.update_layout(height=380, yaxis={"title": "ARI", "range": [-0.1, 1.05]},
                      yaxis2={"title": "changed", "overlaying": "y", "side": "right", "showgrid": False},
                      legend={"orientation": "h", "y": -0.2}, margin={"l": 60, "r": 60, "t": 20, "b": 40})
    return fig


def plot_migrations(previous: pd.Series, current: pd.Series, names_prev: pd.Series, names_curr: pd.Series) -> go.Figure:
    """Sankey of symbols moving between last month's clusters (left) and this month's (right)."""
    common = previous.index.intersection(current.index)
    flows = pd.crosstab(previous[common], current[common])
    left = [f"{names_prev.get(c, c)} (then)" for c in flows.index]
    right = [f"{names_curr.get(c, c)} (now)" for c in flows.columns]
    sources, targets, values = [], [], []
    for i, a in enumerate(flows.index):
        for j, b in enumerate(flows.columns):
            if flows.loc[a, b] > 0:
                sources.append(i)
                targets.append(len(left) + j)
                values.append(int(flows.loc[a, b]))
    colours = [cluster_colour(int(c)) for c in flows.index] + [cluster_colour(int(c)) for c in flows.columns]
    fig = go.Figure(go.Sankey(node={"label": left + right, "color": colours, "pad": 12},
                              link={"source": sources, "target": targets, "value": values}))
    fig.update_layout(height=460, margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return fig


def plot_sector_crosstab(crosstab: pd.DataFrame) -> go.Figure:
    """Symbols per (sector, cluster): where each sector's coins fall."""
    fig = go.Figure(go.Heatmap(z=crosstab.to_numpy(), x=list(crosstab.columns), y=list(crosstab.index),
                               colorscale="Blues", text=crosstab.to_numpy(), texttemplate="%{text}",
                               hovertemplate="%{y} in %{x}: %{z}<extra></extra>", colorbar={"title": "symbols"}))
    fig.update_layout(height=120 + 30 * len(crosstab), margin={"l": 200, "r": 20, "t": 20, "b": 140})
    return fig
