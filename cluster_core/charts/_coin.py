"""Figures of one coin: its beta and correlation to the benchmark over time, its group month by month."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cluster_core.charts._style import PALETTE, cluster_colour

__all__ = ["plot_group_history", "plot_rolling_beta"]


def plot_rolling_beta(rolling: pd.DataFrame, symbol: str, benchmark: str, days: int = 30) -> go.Figure:
    """Plot ``symbol``'s trailing-``days`` beta (left axis) and correlation (right axis) to ``benchmark``.

    ``rolling`` is :attr:`cluster_core.coin.CoinView.rolling` (index day, ``beta``, ``correlation``).
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=rolling.index, y=rolling["beta"], name=f"beta to {benchmark}", mode="lines",
                             line={"color": PALETTE[0], "width": 2.5},
                             hovertemplate="%{x|%Y-%m-%d}: beta %{y:.2f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=rolling.index, y=rolling["correlation"], name=f"correlation with {benchmark}",
                             mode="lines", yaxis="y2", line={"color": PALETTE[1], "dash": "dot"},
                             hovertemplate="%{x|%Y-%m-%d}: correlation %{y:.2f}<extra></extra>"))
    fig.update_layout(height=340, yaxis={"title": f"{days}-day beta"},
                      yaxis2={"title": f"{days}-day correlation", "overlaying": "y", "side": "right",
                              "range": [-1, 1], "dtick": 0.5, "showgrid": False, "zeroline": False},
                      legend={"orientation": "h", "y": -0.2}, margin={"l": 60, "r": 60, "t": 20, "b": 40},
                      title=None)
    return fig


def plot_group_history(history: pd.DataFrame, symbol: str) -> go.Figure:
    """Plot the published group ``symbol`` was in at every month end (one row per group name).

    ``history`` is :func:`cluster_core.coin.group_history`'s table; the hover gives the
    group's size and the share of its group-mates kept from the month before.
    """
    fig = go.Figure()
    shown = history.dropna(subset=["cluster"])
    for name, rows in shown.groupby("cluster_name", sort=False):
        label = int(rows["cluster"].iloc[0])
        kept = rows["mates_kept"].map(lambda v: "–" if pd.isna(v) else f"{v:.0%}")
        fig.add_trace(go.Scatter(
            x=rows["date"], y=[name] * len(rows), mode="markers", name=str(name),
            marker={"size": 16, "symbol": "square", "color": cluster_colour(label)},
            customdata=list(zip(rows["group_size"], kept, strict=True)),
            hovertemplate="%{x|%Y-%m}: " + f"{symbol} in {name}" +
                          " (%{customdata[0]} symbols; %{customdata[1]} of its mates kept)<extra></extra>"))
    fig.update_layout(height=120 + 45 * max(shown["cluster_name"].nunique(), 1), showlegend=False,
                      yaxis={"title": None, "type": "category"}, xaxis={"title": None},
                      margin={"l": 10, "r": 10, "t": 10, "b": 30})
    return fig
