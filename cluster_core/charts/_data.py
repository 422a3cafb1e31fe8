"""Figures of the data and the features."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from cluster_core.charts._style import PALETTE
from cluster_core.data import MarketData
from cluster_core.errors import ParameterError

__all__ = ["plot_coverage", "plot_feature_scatter", "plot_prices"]

_COVERAGE_SCALE = [[0.0, "#f4f4f5"], [0.001, "#fde68a"], [0.9, "#60a5fa"], [1.0, "#1e40af"]]


def plot_coverage(data: MarketData, max_symbols: int = 600) -> go.Figure:
    """Heatmap of the share of bars with a price, per symbol (rows) and month (columns).

    Symbols are ordered by their first bar, so late listings sit at the bottom and
    delistings show as rows that go blank; white cells are months without any bar.

    Parameters
    ----------
    data : MarketData
    max_symbols : int, default=600
        Cap on rows, to keep the figure readable; the most recently listed are cut.

    Returns
    -------
    go.Figure
    """
    present = data.close.notna()
    monthly = present.resample("MS").mean()
    coverage = data.coverage().set_index("symbol")
    order = coverage.sort_values(["first_bar", "symbol"], ascending=[True, True]).index[:max_symbols]
    z = monthly[order].T
    hover = [
        [f"{sym} {month:%Y-%m}: {value:.0%} of bars" for month, value in zip(z.columns, row, strict=True)]
        for sym, row in zip(z.index, z.to_numpy(), strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=[m.strftime("%Y-%m") for m in z.columns],
            y=list(z.index),
            zmin=0,
            zmax=1,
            colorscale=_COVERAGE_SCALE,
            colorbar={"title": "bars with<br>a price", "tickformat": ".0%"},
            hovertext=hover,
            hoverinfo="text",
            xgap=1,
        )
    )
    fig.update_layout(
        title=f"Coverage per symbol and month ({len(order)} symbols, {data.interval_label} bars)",
        height=max(320, 14 * len(order) + 120),
        yaxis={"autorange": "reversed", "tickfont": {"size": 9}, "title": None},
        xaxis={"title": None, "side": "top"},
        margin={"l": 90, "r": 20, "t": 90, "b": 20},
    )
    return fig


def plot_prices(data: MarketData, symbols: Sequence[str], log_scale: bool = True) -> go.Figure:
    """Plot the closes of a few symbols, rebased to 1 at each symbol's first bar in the data.

    Gaps stay gaps (no line is drawn across a missing bar).

    Raises
    ------
    ParameterError
        If a symbol is not in the data or none is given.
    """
    if not symbols:
        raise ParameterError("`symbols` is empty; pick at least one symbol to plot.")
    close = data.select(list(symbols)).close
    step = max(1, len(close) // 4000)  # thin the line for speed; every bar is kept in the data
    close = close.iloc[::step]
    fig = go.Figure()
    for symbol in close.columns:
        series = close[symbol]
        first = series.dropna()
        if first.empty:
            continue
        rebased = series / first.iloc[0]
        fig.add_trace(go.Scattergl(x=rebased.index, y=rebased.to_numpy(), name=symbol, mode="lines", connectgaps=False))
    fig.update_layout(
        title="Price rebased to 1 at the first bar",
        yaxis={"type": "log" if log_scale else "linear", "title": "growth of 1 USD"},
        hovermode="x unified",
        height=420,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
    )
    return fig




def plot_feature_scatter(
    X: pd.DataFrame, x: str, y: str, color: pd.Series | None = None, log_x: bool = False, log_y: bool = False
) -> go.Figure:
    """Scatter of two features, one point per symbol, labelled on hover.

    Parameters
    ----------
    X : DataFrame
        Features, index symbol.
    x, y : str
        Column names.
    color : Series, optional
        A label per symbol (sector, hygiene flag...) for the colour legend.
    log_x, log_y : bool, default=False
        Log axes (volumes).

    Raises
    ------
    ParameterError
        If a column is missing.
    """
    for name in (x, y):
        if name not in X.columns:
            raise ParameterError(f"Feature {name!r} is not available; choose one of {', '.join(X.columns)}.")
    groups = color.reindex(X.index).fillna("other") if color is not None else pd.Series("all", index=X.index)
    fig = go.Figure()
    for i, label in enumerate(sorted(groups.unique())):
        part = X[groups == label]
        fig.add_trace(
            go.Scatter(
                x=part[x], y=part[y], mode="markers+text" if len(X) <= 40 else "markers", name=str(label),
                text=list(part.index), textposition="top center",
                marker={"size": 9, "opacity": 0.85, "color": PALETTE[i % len(PALETTE)]},
                hovertemplate=f"<b>%{{text}}</b><br>{x}: %{{x:.4g}}<br>{y}: %{{y:.4g}}<extra>{label}</extra>",
            )
        )
    fig.update_layout(
        height=520, xaxis_title=x, yaxis_title=y, legend_title=None, showlegend=color is not None,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
    )
    fig.update_xaxes(type="log" if log_x else "linear")
    fig.update_yaxes(type="log" if log_y else "linear")
    return fig
