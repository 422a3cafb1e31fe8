"""Figures for acting on clusters: equity curves, laggards, stability over time, sectors."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cluster_core.charts._style import PALETTE, cluster_colour

__all__ = [
    "plot_ari_over_time",
    "plot_equity",
    "plot_laggards",
    "plot_migrations",
    "plot_peer_history",
    "plot_sector_crosstab",
    "plot_tradeoff",
    "plot_turnover",
    "plot_weights",
]


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
    """Plot each month's agreement with the month before, the symbols that moved, and the months carried.

    ``table`` is :attr:`cluster_core.pipeline.StabilityResult.table` (``carried`` and
    ``silhouette`` optional): carried months (no clear groups in the month's own fit,
    last month's groups kept) are shaded.
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=table["date"], y=table["ari_vs_previous"], name="ARI vs previous month",
                             mode="lines+markers", line={"color": PALETTE[0], "width": 2.5}))
    if "silhouette" in table:
        fig.add_trace(go.Scatter(x=table["date"], y=table["silhouette"], name="silhouette (published groups)",
                                 mode="lines+markers", line={"color": PALETTE[2], "dash": "dot"}))
    fig.add_trace(go.Bar(x=table["date"], y=table["n_changed"], name="symbols that changed group", yaxis="y2",
                         opacity=0.35, marker_color=PALETTE[1]))
    if "carried" in table and table["carried"].any():
        carried = table[table["carried"].astype(bool)]
        fig.add_trace(go.Scatter(x=carried["date"], y=[1.02] * len(carried), mode="markers",
                                 name="groups carried (own fit: no clear groups)",
                                 marker={"symbol": "square", "size": 11, "color": "rgba(120,120,120,0.6)"},
                                 hovertemplate="%{x|%Y-%m}: groups carried from last month<extra></extra>"))
    fig.update_layout(height=380, yaxis={"title": "ARI / silhouette", "range": [-0.15, 1.08]},
                      yaxis2={"title": "changed", "overlaying": "y", "side": "right", "showgrid": False},
                      legend={"orientation": "h", "y": -0.2}, margin={"l": 60, "r": 60, "t": 20, "b": 40})
    return fig


def plot_tradeoff(tradeoff: pd.DataFrame, current: float) -> go.Figure:
    """Plot what stability costs in fit: median month-to-month ARI against silhouette, one point per smoothness.

    ``tradeoff`` is :attr:`cluster_core.pipeline.StabilityResult.tradeoff`; the point of
    ``current`` (the chosen smoothness) is drawn larger and outlined.
    """
    table = tradeoff.sort_values("smoothness")
    chosen = (table["smoothness"] - current).abs() < 1e-9
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=table["current_silhouette"], y=table["median_ari"], mode="lines+markers+text", name="smoothness",
        text=[f"{v:g}" for v in table["smoothness"]], textposition="top center",
        marker={"size": [18 if c else 10 for c in chosen], "color": PALETTE[0],
                "line": {"width": [3 if c else 0 for c in chosen], "color": "black"}},
        line={"color": PALETTE[0], "width": 1},
        customdata=table[["smoothness", "median_silhouette", "median_ari_with_groups", "median_k"]].to_numpy(),
        hovertemplate=("smoothness %{customdata[0]:g}<br>median ARI %{y:.2f} (months with groups: "
                       "%{customdata[2]:.2f})<br>this month's silhouette %{x:.2f}<br>median silhouette "
                       "%{customdata[1]:.2f}, median k %{customdata[3]:g}<extra></extra>"),
    ))
    fig.update_layout(height=380, xaxis={"title": "this month's silhouette (fit to current behaviour)"},
                      yaxis={"title": "median ARI, month to month (stability)"}, showlegend=False,
                      margin={"l": 60, "r": 20, "t": 20, "b": 50})
    return fig


def plot_turnover(rows: pd.DataFrame) -> go.Figure:
    """Turnover of each monthly rebalance (bars) and the trading costs paid so far (line, right axis)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=rows["date"], y=rows["turnover"], name="turnover", marker_color=PALETTE[1],
                         hovertemplate="%{x|%Y-%m}: turnover %{y:.0%}<extra></extra>"))
    fig.add_trace(go.Scatter(x=rows["date"], y=rows["cost"].cumsum(), name="costs paid so far (sum of monthly costs)",
                             yaxis="y2", mode="lines", line={"color": PALETTE[0], "width": 2.5},
                             hovertemplate="%{x|%Y-%m}: %{y:.2%} of equity paid in costs so far<extra></extra>"))
    fig.update_layout(height=300, yaxis={"title": "turnover", "tickformat": ".0%"},
                      yaxis2={"title": "cumulative cost", "overlaying": "y", "side": "right", "showgrid": False,
                              "tickformat": ".1%", "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.25}, margin={"l": 60, "r": 60, "t": 20, "b": 40})
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
                              link={"source": sources, "target": targets, "value": values},
                              textfont={"color": "#111827", "size": 13, "shadow": "none"}))
    fig.update_layout(height=460, margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return fig


def plot_sector_crosstab(crosstab: pd.DataFrame) -> go.Figure:
    """Symbols per (sector, cluster): where each sector's coins fall."""
    fig = go.Figure(go.Heatmap(z=crosstab.to_numpy(), x=list(crosstab.columns), y=list(crosstab.index),
                               colorscale="Blues", text=crosstab.to_numpy(), texttemplate="%{text}",
                               hovertemplate="%{y} in %{x}: %{z}<extra></extra>", colorbar={"title": "symbols"}))
    fig.update_layout(height=120 + 30 * len(crosstab), margin={"l": 200, "r": 20, "t": 20, "b": 140})
    return fig


def plot_peer_history(table: pd.DataFrame) -> go.Figure:
    """Per month end: how the lagging peers (bars) and the leaders (line) did the next month against their group.

    ``table`` is :attr:`cluster_core.walkforward.PeerHistory.table`; each peer and each
    leader counts once per month.
    """
    peers = table.drop_duplicates(["date", "peer"]).groupby("date")["peer_vs_group"].mean()
    leaders = table.drop_duplicates(["date", "leader"])
    leaders = (leaders["leader_next_return"] - leaders["group_next_return"]).groupby(leaders["date"]).mean()
    fig = go.Figure()
    fig.add_trace(go.Bar(x=peers.index, y=peers.to_numpy(), name="lagging peers vs their group",
                         marker_color=[PALETTE[2] if v > 0 else PALETTE[1] for v in peers.to_numpy()],
                         hovertemplate="%{x|%Y-%m}: laggards %{y:+.1%} vs group<extra></extra>"))
    fig.add_trace(go.Scatter(x=leaders.index, y=leaders.to_numpy(), name="leaders vs their group",
                             mode="lines+markers", line={"color": PALETTE[0]},
                             hovertemplate="%{x|%Y-%m}: leaders %{y:+.1%} vs group<extra></extra>"))
    fig.update_layout(height=360, yaxis={"title": "next-month return minus the group's", "tickformat": ".0%"},
                      legend={"orientation": "h", "y": -0.2}, margin={"l": 60, "r": 20, "t": 20, "b": 40})
    return fig


def plot_weights(picks: pd.DataFrame, max_weight: float | None = None,
                 colours: dict[int, str] | None = None) -> go.Figure:
    """Plot the portfolio's weights, largest first, coloured by the group each pick came from.

    ``picks`` is :func:`cluster_core.strategies.diversified_picks`'s table; a dashed line
    marks ``max_weight``, and the cash left when the picks are too few for it is a grey bar.
    ``colours`` maps a group label to its colour (the map's tier shades,
    :func:`cluster_core.charts.group_colours`); by default each cluster's own colour.
    """
    shown = picks.sort_values("weight", ascending=False, kind="stable")
    fig = go.Figure()
    for (cluster, name), rows in shown.groupby(["cluster", "cluster_name"], sort=False):
        fig.add_trace(go.Bar(x=rows["symbol"], y=rows["weight"], name=str(name),
                             marker_color=(colours or {}).get(int(cluster), cluster_colour(int(cluster))),
                             hovertemplate="%{x}: %{y:.1%}<extra>" + str(name) + "</extra>"))
    cash = 1.0 - float(picks["weight"].sum())
    if cash > 1e-9:
        fig.add_trace(go.Bar(x=["cash"], y=[cash], name="cash (too few picks for the maximum weight)",
                             marker_color="#d1d5db", hovertemplate="cash: %{y:.1%}<extra></extra>"))
    if max_weight is not None and max_weight < 1:
        fig.add_hline(y=max_weight, line={"dash": "dash", "color": "#555"},
                      annotation_text=f"maximum weight {max_weight:.0%}", annotation_position="top right")
    fig.update_layout(height=320, yaxis={"title": "weight", "tickformat": ".0%", "rangemode": "tozero"},
                      xaxis={"title": None, "categoryorder": "array",
                             "categoryarray": [*shown["symbol"], *(["cash"] if cash > 1e-9 else [])]},
                      legend={"orientation": "h", "y": -0.25}, margin={"l": 60, "r": 20, "t": 20, "b": 40},
                      barmode="overlay")
    return fig
