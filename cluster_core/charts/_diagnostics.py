"""Figures that explain the automatic choices: k curves, k-distance, silhouettes."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cluster_core.charts._style import cluster_colour

__all__ = ["plot_k_curve", "plot_k_distance", "plot_silhouette"]


def plot_k_curve(curve: pd.DataFrame, chosen_k: int | None) -> go.Figure:
    """Inertia (elbow) and silhouette against k, the chosen k marked."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=curve["k"], y=curve["inertia"], name="inertia (within-cluster SS)",
                             mode="lines+markers"), secondary_y=False)
    fig.add_trace(go.Scatter(x=curve["k"], y=curve["silhouette"], name="silhouette", mode="lines+markers",
                             line={"dash": "dot"}), secondary_y=True)
    if chosen_k is not None:
        fig.add_vline(x=chosen_k, line={"dash": "dash", "color": "#ef4444"}, annotation_text=f"k = {chosen_k}")
    fig.update_layout(height=400, xaxis_title="k", legend={"orientation": "h", "y": -0.2},
                      margin={"l": 60, "r": 60, "t": 30, "b": 60})
    fig.update_yaxes(title_text="inertia", secondary_y=False)
    fig.update_yaxes(title_text="silhouette", secondary_y=True)
    return fig


def plot_k_distance(curve: pd.DataFrame, eps: float | None, min_samples: int) -> go.Figure:
    """Sorted distance to the ``min_samples``-th neighbour, the eps in use as a line."""
    fig = go.Figure(go.Scatter(x=curve["rank"], y=curve["distance"], mode="lines+markers", text=curve["symbol"],
                               hovertemplate="%{text}: %{y:.3f}<extra></extra>", name="k-distance"))
    if eps is not None:
        fig.add_hline(y=eps, line={"dash": "dash", "color": "#ef4444"}, annotation_text=f"eps = {eps:.3g}")
    fig.update_layout(height=400, xaxis_title="symbols, sorted", yaxis_title=f"distance to neighbour #{min_samples}",
                      margin={"l": 60, "r": 20, "t": 30, "b": 50})
    return fig


def plot_silhouette(samples: pd.Series, labels: pd.Series, names: pd.Series) -> go.Figure:
    """Per-symbol silhouette, grouped by cluster and sorted (noise left out)."""
    frame = pd.DataFrame({"s": samples, "c": labels}).dropna()
    frame = frame[frame["c"] >= 0].sort_values(["c", "s"], ascending=[True, False])
    fig = go.Figure()
    for label, part in frame.groupby("c", sort=True):
        fig.add_trace(go.Bar(x=part["s"], y=list(part.index), orientation="h", name=str(names.get(label, label)),
                             marker_color=cluster_colour(int(label)),
                             hovertemplate="%{y}: %{x:.2f}<extra></extra>"))
    mean = frame["s"].mean() if len(frame) else None
    if mean is not None:
        fig.add_vline(x=mean, line={"dash": "dash"}, annotation_text=f"mean {mean:.2f}")
    fig.update_layout(height=max(400, 11 * len(frame) + 80), xaxis_title="silhouette", barmode="overlay",
                      yaxis={"autorange": "reversed", "tickfont": {"size": 8}, "categoryorder": "array",
                             "categoryarray": list(frame.index)},
                      margin={"l": 70, "r": 20, "t": 30, "b": 40})
    return fig
