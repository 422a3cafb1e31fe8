"""Figures of a clustering: the 2-D map, the dendrogram, the seriated correlation heatmap, profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy.cluster import hierarchy

from cluster_core.charts._numbers import format_value
from cluster_core.charts._style import LINK_COLOUR, cluster_colour, tier_colour
from cluster_core.clustering import Tiers
from cluster_core.errors import ParameterError
from cluster_core.interpretation import BOUNDARY  # confidence below this: a boundary symbol, outlined

__all__ = [
    "BRANCH_COLUMNS",
    "dendrogram_branches",
    "heatmap_sample",
    "plot_cluster_map",
    "plot_correlation_heatmap",
    "plot_dendrogram",
    "plot_profile_heatmap",
]

HOVER_FEATURES = ("annualized_vol", "btc_corr", "beta_btc", "avg_daily_volume_usd", "annualized_return",
                  "momentum_30d", "max_drawdown")


WEBGL_ABOVE = 1000  # symbols on the map above which it is drawn with WebGL (Scattergl)
SMALL_MARKERS_FROM = 300  # above this many symbols the markers shrink (to 35 % of their size at 2,500+)


def plot_cluster_map(
    coords: pd.DataFrame,
    labels: pd.Series,
    names: pd.Series,
    X: pd.DataFrame,
    title: str = "",
    confidence: pd.Series | None = None,
    size_by: str = "avg_daily_volume_usd",
    tiers: Tiers | None = None,
    highlight: str | None = None,
) -> go.Figure:
    """2-D map: one trace per cluster (legend = names), marker size = log daily volume.

    With ``confidence``, a marker's opacity follows it (core members solid, boundary
    symbols faint) and symbols below 0.6 get a dark outline; the hover shows it, next
    to the behaviour and the window's performance. ``size_by`` picks the feature behind
    the marker size: volume (log scale) by default, or any other column by its rank, so a
    performance feature (30-day momentum, return) can be read on top of the behaviour
    clusters. Above :data:`WEBGL_ABOVE` symbols the traces are WebGL (``Scattergl``).

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
    tiers : Tiers, optional
        Draw the continuum that ``tiers`` cuts one trace per tier, from light (tier 1) to
        dark, labelled as tiers of that cluster: cuts of a spread, not groups.
    highlight : str, optional
        A symbol looked up: ringed and labelled on top of its cluster (ignored when not on the map).
    """
    if size_by not in X.columns:
        raise ParameterError(f"`size_by` must be one of {', '.join(X.columns)}; got {size_by!r}.")
    values = X[size_by].reindex(coords.index)
    if size_by in ("avg_daily_volume_usd", "amihud_illiquidity"):
        values = np.log10(values.where(values > 0))
        span = (values.max() - values.min()) or 1.0
        size = (7 + 15 * (values - values.min()) / span).fillna(8)
    else:
        size = (7 + 15 * values.rank(pct=True)).fillna(8)
    size *= min(1.0, max(0.35, (SMALL_MARKERS_FROM / len(coords)) ** 0.5))  # thousands of points: smaller markers
    fig = go.Figure()
    trace = go.Scattergl if len(coords) > WEBGL_ABOVE else go.Scatter  # WebGL keeps thousands of points fluid
    every_conf = (confidence if confidence is not None else pd.Series(1.0, index=labels.index))
    every_conf = every_conf.reindex(labels.index).fillna(1.0).clip(0, 1)
    hover = _hover_texts(labels.index, X, None if confidence is None else every_conf)
    for members, name, colour, label in _traces(labels, names, tiers):
        conf = every_conf.loc[members].to_numpy()
        boundary = conf < BOUNDARY
        fig.add_trace(
            trace(
                x=coords.loc[members, "x"], y=coords.loc[members, "y"], mode="markers+text" if len(coords) <= 60
                else "markers", name=f"{name} ({len(members)})", text=list(members),
                textposition="top center", textfont={"size": 9}, hovertext=hover.loc[members].tolist(),
                hoverinfo="text", customdata=list(members),
                marker={"size": size.loc[members], "color": colour,
                        "opacity": (0.25 + 0.7 * conf).round(3), "symbol": "x" if label < 0 else "circle",
                        # outline colour as numbers on a two-colour scale: plotly checks a list of
                        # colour names one by one (0.3 s for 5,000 symbols), numbers at once
                        "line": {"width": np.where(boundary, 2.0, 0.5), "color": boundary.astype(float),
                                 "colorscale": [[0, "white"], [1, "#222"]], "cmin": 0, "cmax": 1}},
            )
        )
    if highlight is not None and highlight in coords.index:
        fig.add_trace(trace(
            x=[coords.loc[highlight, "x"]], y=[coords.loc[highlight, "y"]], mode="markers+text",
            name=f"Looked up: {highlight}", text=[f"<b>{highlight}</b>"], textposition="top center",
            textfont={"size": 14}, hovertext=[hover.loc[highlight]], hoverinfo="text", customdata=[highlight],
            marker={"size": 24, "color": "rgba(0,0,0,0)", "symbol": "circle",
                    "line": {"width": 3, "color": "#111"}}))
    fig.update_layout(
        title=title or None, height=620, legend={"title": "Clusters", "itemsizing": "constant"},
        xaxis={"title": None, "showticklabels": False, "zeroline": False},
        yaxis={"title": None, "showticklabels": False, "zeroline": False},
        margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10}, dragmode="zoom",
    )
    return fig


def _traces(labels: pd.Series, names: pd.Series, tiers: Tiers | None) -> list[tuple[pd.Index, str, str, int]]:
    """``(members, legend name, colour, label)`` of each map trace: one per cluster, one per tier of the continuum."""
    out = []
    for label in sorted(labels.unique(), key=lambda c: (c < 0, c)):
        members = labels.index[labels == label]
        name = str(names.get(label, label))
        if tiers is None or int(label) != tiers.cluster:
            out.append((members, name, cluster_colour(int(label)), int(label)))
            continue
        tier = tiers.tier.reindex(members)
        for t in range(1, tiers.n_tiers + 1):
            out.append((members[(tier == t).to_numpy()], f"{name} · tier {t} of {tiers.n_tiers}",
                        tier_colour(t, tiers.n_tiers, int(label)), int(label)))
    return out


def _hover_texts(symbols: pd.Index, X: pd.DataFrame, confidence: pd.Series | None) -> pd.Series:
    """Hover text of every symbol: name, confidence, behaviour and performance (one pass per feature)."""
    parts = [[f"<b>{symbol}</b>"] for symbol in symbols]
    if confidence is not None:
        for part, value in zip(parts, confidence.reindex(symbols).to_numpy(), strict=True):
            part.append(f"confidence: {format_value('confidence', value)}{' (boundary)' if value < BOUNDARY else ''}")
    for name in HOVER_FEATURES:
        if name not in X.columns:
            continue
        values = X[name].reindex(symbols).to_numpy(dtype=float)
        for part, value in zip(parts, values, strict=True):
            if value == value:  # not NaN
                part.append(f"{name}: {format_value(name, value)}")  # as in every table
    return pd.Series(["<br>".join(part) for part in parts], index=symbols)


DENDROGRAM_MAX_LEAVES = 300  # above this many symbols the tree is drawn down to its top branches only
DENDROGRAM_BRANCHES = 60  # ...this many, each a leaf standing for its members (dendrogram_branches lists them)


def plot_dendrogram(
    tree: np.ndarray, symbols: list[str], labels: pd.Series, names: pd.Series, cut: float | None = None,
    max_leaves: int | None = None,
) -> go.Figure:
    """Horizontal dendrogram drawn from scipy's coordinates, one trace per cluster colour.

    Links whose leaves all belong to one cluster take that cluster's colour (as on the
    map), others are grey; the cut height is a dashed line. Readable at 150+ leaves: the
    figure grows 13 px per leaf. Above ``max_leaves`` symbols (default
    :data:`DENDROGRAM_MAX_LEAVES`) only the top
    :data:`DENDROGRAM_BRANCHES` branches are drawn, each ending in one leaf labelled with
    its size and main cluster (its members: :func:`dendrogram_branches`).
    """
    if len(symbols) != len(tree) + 1:
        raise ParameterError(f"The tree has {len(tree) + 1} leaves but {len(symbols)} symbols were given.")
    leaf_labels = labels.reindex(symbols).to_numpy()
    link_label = _link_labels(tree, leaf_labels)
    truncated = len(symbols) > (DENDROGRAM_MAX_LEAVES if max_leaves is None else max_leaves)
    drawn = hierarchy.dendrogram(
        tree, no_plot=True, labels=symbols, orientation="right", link_color_func=lambda i: str(link_label[i]),
        **({"truncate_mode": "lastp", "p": DENDROGRAM_BRANCHES} if truncated else {}),
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
    if truncated:
        branches = _branches(tree, symbols, labels, names, drawn["leaves"])
        ticks = [f"{row.size} · {row.cluster_name}" if row.size > 1 else row.members for row in branches.itertuples()]
        colours = [cluster_colour(int(c)) for c in branches["cluster"]]
        hover = [f"branch {row.branch}: {row.size} symbols, {row.share:.0%} {row.cluster_name}<br>"
                 f"{_first(row.members)}" for row in branches.itertuples()]
        sizes = list(np.clip(4 + 2 * np.sqrt(branches["size"].to_numpy()), 5, 18))
    else:
        ticks = list(drawn["ivl"])
        colours = [cluster_colour(int(labels.get(s, -1))) for s in ticks]
        hover = [f"{s}: {names.get(int(labels.get(s, -1)), '')}" for s in ticks]
        sizes = 5
    positions = [5 + 10 * i for i in range(len(ticks))]
    fig.add_trace(
        go.Scatter(x=[0] * len(ticks), y=positions, mode="markers", showlegend=False,
                   marker={"size": sizes, "color": colours}, hovertext=hover, hoverinfo="text")
    )
    if cut is not None:
        fig.add_vline(x=cut, line={"dash": "dash", "color": "#ef4444"}, annotation_text=f"cut {cut:.3g}")
    fig.update_layout(
        height=max(420, 13 * len(ticks) + 80),
        yaxis={"tickvals": positions, "ticktext": ticks, "tickfont": {"size": 10}, "range": [0, 10 * len(ticks)]},
        xaxis={"title": "merge distance", "autorange": "reversed"},
        legend={"title": "Clusters"}, margin={"l": 80, "r": 20, "t": 30, "b": 40},
    )
    return fig


BRANCH_COLUMNS = ("branch", "size", "cluster", "cluster_name", "share", "members")


def dendrogram_branches(
    tree: np.ndarray, symbols: list[str], labels: pd.Series, names: pd.Series, branches: int = DENDROGRAM_BRANCHES
) -> pd.DataFrame:
    """Members of the top ``branches`` branches of the tree, in the drawn order (top to bottom of the figure).

    Returns
    -------
    DataFrame
        Columns :data:`BRANCH_COLUMNS`: branch number, its number of symbols, its most
        common cluster with that cluster's name and share of the branch, and the members
        (comma-separated). Every symbol is in exactly one branch.
    """
    if len(symbols) != len(tree) + 1:
        raise ParameterError(f"The tree has {len(tree) + 1} leaves but {len(symbols)} symbols were given.")
    drawn = hierarchy.dendrogram(tree, no_plot=True, truncate_mode="lastp", p=branches, orientation="right")
    return _branches(tree, symbols, labels, names, drawn["leaves"]).iloc[::-1].reset_index(drop=True)


def _branches(tree: np.ndarray, symbols: list[str], labels: pd.Series, names: pd.Series,
              nodes: list[int]) -> pd.DataFrame:
    """One row per drawn leaf node (scipy's order: bottom to top of the figure), numbered from the top."""
    n = len(symbols)
    rows = []
    for position, node in enumerate(nodes):
        members, stack = [], [int(node)]
        while stack:
            current = stack.pop()
            if current < n:
                members.append(symbols[current])
            else:
                stack.extend(int(child) for child in tree[current - n, :2])
        counts = labels.reindex(members).value_counts()
        main = int(counts.index[0]) if len(counts) else -1
        rows.append((len(nodes) - position, len(members), main, str(names.get(main, "noise" if main < 0 else main)),
                     float(counts.iloc[0] / len(members)) if len(counts) else 0.0, ", ".join(sorted(members))))
    return pd.DataFrame(rows, columns=list(BRANCH_COLUMNS))


def _first(members: str, shown: int = 12) -> str:
    names = members.split(", ")
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


HEATMAP_MAX_SYMBOLS = 300  # a correlation heatmap of more symbols is unreadable (and heavy in the browser)


def heatmap_sample(labels: pd.Series, max_symbols: int | None = None, seed: int = 0) -> list[str]:
    """Return a seeded sample of about ``max_symbols`` symbols, each cluster in proportion (at least 2 each).

    All symbols when there are no more than ``max_symbols`` (default :data:`HEATMAP_MAX_SYMBOLS`).
    """
    max_symbols = HEATMAP_MAX_SYMBOLS if max_symbols is None else max_symbols
    if len(labels) <= max_symbols:
        return list(labels.index)
    rng = np.random.default_rng(seed)
    picked = []
    for _, members in labels.groupby(labels):
        take = min(len(members), max(2, round(max_symbols * len(members) / len(labels))))
        picked.extend(rng.choice(members.index.to_numpy(), take, replace=False))
    return list(labels.index[np.sort(labels.index.get_indexer(picked))])


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
