"""Figures of a parameter sweep: a metric over two grid axes, and the spread of outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cluster_core.charts._style import PALETTE
from cluster_core.sweep import AXIS_LABELS, METRIC_INFO

__all__ = ["plot_overfitting", "plot_sweep_heatmap", "plot_sweep_spread"]


def _tick(axis: str, value: object) -> str:
    return f"{value} d" if axis == "lookback_days" else f"{value:g}" if isinstance(value, float) else str(value)


def _format(metric: str, value: float) -> str:
    if not np.isfinite(value):
        return ""
    return f"{value:.0%}" if METRIC_INFO[metric].percent else f"{value:.2f}"


def plot_sweep_heatmap(
    pivot: pd.DataFrame, metric: str, x: str, y: str, current: tuple[object, object] | None = None,
) -> go.Figure:
    """Heatmap of ``metric`` (:func:`cluster_core.sweep.sweep_pivot`) with the current setting outlined.

    Green is better (:data:`cluster_core.sweep.METRIC_INFO`); returns and Sharpe are
    centred on 0; ``current`` = (x value, y value) of the sidebar's setting, outlined
    when the grid has it.
    """
    info = METRIC_INFO[metric]
    z = pivot.to_numpy(dtype=np.float64)
    scale = "RdYlGn" if info.higher_is_better is not False else "RdYlGn_r"
    if info.higher_is_better is None:
        scale = "Blues"
    centred = metric in ("cagr", "excess_vs_btc", "sharpe")  # a loss is red however the grid compares
    fig = go.Figure(go.Heatmap(
        z=z, x=list(range(z.shape[1])), y=list(range(z.shape[0])), colorscale=scale,
        zmid=0 if centred else None, text=[[_format(metric, v) for v in row] for row in z],
        texttemplate="%{text}", textfont={"size": 14},
        customdata=[[f"{AXIS_LABELS[y]} {_tick(y, r)}, {AXIS_LABELS[x]} {_tick(x, c)}" for c in pivot.columns]
                    for r in pivot.index],
        hovertemplate="%{customdata}: %{text}<extra></extra>",
        colorbar={"title": {"text": info.label}, "tickformat": ".0%" if info.percent else None},
    ))
    if current is not None and current[0] in list(pivot.columns) and current[1] in list(pivot.index):
        col, row = list(pivot.columns).index(current[0]), list(pivot.index).index(current[1])
        fig.add_shape(type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5,
                      line={"color": "#111827", "width": 4})
        fig.add_annotation(x=col, y=row + 0.5, text="sidebar setting", showarrow=False, yshift=10,
                           font={"size": 12, "color": "#111827"}, bgcolor="rgba(255,255,255,0.8)")
    fig.update_layout(
        height=max(320, 70 * len(pivot.index) + 140),
        xaxis={"title": AXIS_LABELS[x], "tickvals": list(range(len(pivot.columns))),
               "ticktext": [_tick(x, c) for c in pivot.columns], "side": "bottom"},
        yaxis={"title": AXIS_LABELS[y], "tickvals": list(range(len(pivot.index))),
               "ticktext": [_tick(y, r) for r in pivot.index], "autorange": "reversed"},
        margin={"l": 90, "r": 20, "t": 30, "b": 60},
    )
    return fig


def plot_sweep_spread(table: pd.DataFrame, metric: str, by: str = "strategy", current: int | None = None) -> go.Figure:
    """Every setting's ``metric`` as a point, one box per value of ``by``; BTC and equal weight as lines for CAGR.

    ``current``: row position in ``table`` of the sidebar's setting (drawn as a star).
    """
    info = METRIC_INFO[metric]
    values = table[metric].astype(float)
    fig = go.Figure()
    for i, (group, rows) in enumerate(table.groupby(by, sort=False)):
        labels = [", ".join(_tick(a, r[a]) for a in AXIS_LABELS if a != by) for _, r in rows.iterrows()]
        fig.add_trace(go.Box(
            y=values.loc[rows.index], name=_tick(by, group), boxpoints="all", jitter=0.5, pointpos=0,
            marker={"color": PALETTE[i % len(PALETTE)], "size": 6, "opacity": 0.7}, line={"width": 1.5},
            text=labels, hovertemplate="%{text}: %{y}<extra>" + _tick(by, group) + "</extra>",
        ))
    if metric == "cagr":
        lines = (("btc_cagr", "BTC buy & hold", "dash", "top left"),
                 ("equal_weight_cagr", "Equal weight", "dot", "bottom right"))
        for column, name, dash, where in lines:
            level = float(table[column].median())
            fig.add_hline(y=level, line={"dash": dash, "color": "#374151"},
                          annotation_text=f"{name} {level:.0%} (median over lookbacks)", annotation_position=where)
    if current is not None:
        row = table.iloc[current]
        fig.add_trace(go.Scatter(x=[_tick(by, row[by])], y=[row[metric]], mode="markers", name="sidebar setting",
                                 marker={"symbol": "star", "size": 18, "color": "#111827",
                                         "line": {"color": "white", "width": 1}}))
    fig.update_layout(height=420, showlegend=current is not None,
                      yaxis={"title": info.label, "tickformat": ".0%" if info.percent else None},
                      xaxis={"title": AXIS_LABELS[by]}, margin={"l": 70, "r": 20, "t": 30, "b": 50},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def plot_overfitting(logits: np.ndarray, pbo: float) -> go.Figure:
    """Histogram of CSCV's logits: left of 0, the in-sample best setting fell to the bottom half out of sample.

    Parameters
    ----------
    logits : array
        ``lambda = logit(rank / (N + 1))`` of the in-sample best setting in each split
        (:class:`cluster_core.strategies.Overfitting`).
    pbo : float
        The share of logits at or below 0.
    """
    fig = go.Figure(go.Histogram(x=logits, nbinsx=40, histnorm="probability", marker={"color": "#60a5fa"},
                                 name="splits"))
    fig.add_vline(x=0.0, line_dash="dash", line_color="#dc2626",
                  annotation_text=f"PBO {pbo:.0%} of the splits at or left of 0", annotation_position="top left")
    fig.update_layout(height=320, xaxis={"title": "logit of the in-sample best setting's out-of-sample rank"},
                      yaxis={"title": "share of splits"}, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      showlegend=False)
    return fig
