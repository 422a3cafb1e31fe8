"""One coin looked up: its group, what behaves like it, what moves with it, and its history.

Everything here reads a finished :class:`~cluster_core.pipeline.ClusterResult` (the window's
clusters) and the market data up to that window's last bar; nothing after ``as_of`` is used.

- **Behaviour distance**: Euclidean distance in the space the clustering used (the prepared,
  scaled and trait-weighted features), so "behaves like" means exactly what the clusters mean.
- **Correlation**: Pearson correlation of the window's simple returns on shared bars.
- **Residual correlation**: the same after each coin's beta to the benchmark is removed
  (``r_i - beta_i * r_benchmark``, beta on the window's bars), i.e. co-movement beyond the
  market mode that drives every crypto asset.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core.data import MarketData
from cluster_core.errors import ParameterError
from cluster_core.features import MIN_SHARED_BARS, MarketMode, pair_stats, residual_returns
from cluster_core.history import Month
from cluster_core.interpretation import tiered_groups
from cluster_core.pipeline import ClusterResult, window_returns

__all__ = ["CoinView", "NEIGHBOUR_COLUMNS", "ROLLING_DAYS", "coin_view", "find_symbol", "group_history",
           "neighbours", "rolling_vs_benchmark"]

ROLLING_DAYS = 30
NEIGHBOUR_COLUMNS = ("symbol", "cluster", "cluster_name", "same_group", "behaviour_distance", "behaviour_rank",
                     "correlation", "residual_correlation")


@dataclass(frozen=True, eq=False)
class CoinView:
    """What the coin page shows for one symbol in one window.

    Attributes
    ----------
    symbol : str
    cluster : int
        Its cluster in the window's fit (-1 = noise).
    cluster_name : str
    confidence : float
        The symbol's confidence (:func:`cluster_core.clustering.confidence`), NaN for noise.
    tier : int or None
        Its tier when its cluster is the continuum cut into tiers.
    peer_group : str
        The group it is compared with: its tier of the continuum when there are tiers (as
        the Peers and Portfolio pages act on them), else its cluster.
    neighbours : DataFrame
        Every other clustered symbol once (:data:`NEIGHBOUR_COLUMNS`), nearest in behaviour first.
    features : DataFrame
        Index feature: ``value``, ``group_median`` (of :attr:`peer_group`), ``universe_median``,
        ``universe_percentile``.
    peers : Series
        Its 30-day momentum against its group's: ``momentum_30d``, ``group_median``,
        ``gap`` (the two's difference), ``z_in_group``, ``rank_in_group``, ``group_size``.
    rolling : DataFrame
        Daily: ``beta`` and ``correlation`` to the benchmark over the last 30 days of bars.
    benchmark : str
    """

    symbol: str
    cluster: int
    cluster_name: str
    confidence: float
    tier: int | None
    peer_group: str
    neighbours: pd.DataFrame
    features: pd.DataFrame
    peers: pd.Series
    rolling: pd.DataFrame
    benchmark: str


def find_symbol(result: ClusterResult, text: str) -> str:
    """Find the clustered symbol ``text`` names (case-insensitive), or say clearly why there is none.

    Raises
    ------
    ParameterError
        Unknown symbol (with the closest known ones), or one left out of this window (with why).
    """
    wanted = str(text).strip().upper()
    clustered = list(result.clustering.labels.index)
    by_upper = {s.upper(): s for s in clustered}
    if wanted in by_upper:
        return by_upper[wanted]
    dropped = result.view.features.dropped
    why = dropped.loc[dropped["symbol"].str.upper() == wanted, "reason"]
    if len(why):
        raise ParameterError(f"{text} is not clustered in this window: {why.iloc[0]}.")
    close = difflib.get_close_matches(wanted, list(by_upper), n=3, cutoff=0.5)
    hint = f" Closest: {', '.join(by_upper[c] for c in close)}." if close else ""
    raise ParameterError(f"No symbol {text!r} among the {len(clustered)} clustered symbols.{hint}")


def neighbours(result: ClusterResult, returns: pd.DataFrame, symbol: str, benchmark: str) -> pd.DataFrame:
    """Every other clustered symbol with its behaviour distance and return correlations to ``symbol``.

    Parameters
    ----------
    result : ClusterResult
    returns : DataFrame
        The window's simple returns (bars x symbols), e.g. :func:`cluster_core.pipeline.window_returns`.
    symbol : str
        A clustered symbol.
    benchmark : str
        The market mode removed for ``residual_correlation`` (left empty when it is not in ``returns``).

    Returns
    -------
    DataFrame
        Columns :data:`NEIGHBOUR_COLUMNS`, one row per other symbol, nearest in behaviour first.
    """
    labels = result.clustering.labels
    Z = result.prepared.Z.loc[labels.index]
    distance = np.sqrt(((Z - Z.loc[symbol]) ** 2).sum(axis=1)).drop(symbol)
    others = distance.sort_values(kind="stable").index
    r = returns.reindex(columns=labels.index)
    correlation = _correlations(r, symbol)
    residual = pd.Series(np.nan, index=labels.index)
    if benchmark in r.columns:
        residual = _correlations(residual_returns(r, MarketMode.BTC_RESIDUAL, benchmark), symbol)
        residual[benchmark] = np.nan  # a benchmark's residual against itself is zero: no co-movement to measure
    mine = labels[symbol]
    return pd.DataFrame({
        "symbol": others,
        "cluster": labels[others].to_numpy(),
        "cluster_name": result.profile.name_of(labels[others]).to_numpy(),
        "same_group": (labels[others] == mine).to_numpy() & (mine >= 0),
        "behaviour_distance": distance[others].to_numpy(),
        "behaviour_rank": np.arange(1, len(others) + 1),
        "correlation": correlation[others].to_numpy(),
        "residual_correlation": residual[others].to_numpy(),
    }, columns=list(NEIGHBOUR_COLUMNS))


def _correlations(r: pd.DataFrame, symbol: str) -> pd.Series:
    """Pearson correlation of every column with ``symbol``'s on the bars both have (NaN below 10 shared bars)."""
    corr, _ = pair_stats(r.to_numpy(dtype=np.float64), r[symbol].to_numpy(dtype=np.float64))
    return pd.Series(corr, index=r.columns)


def rolling_vs_benchmark(data: MarketData, symbol: str, benchmark: str, start: pd.Timestamp,
                         end: pd.Timestamp, days: int = ROLLING_DAYS) -> pd.DataFrame:
    """Daily beta and correlation of ``symbol``'s returns to ``benchmark``'s over the trailing ``days``.

    Uses bars up to ``end`` only; the first point is at ``start`` (its window reaches back
    ``days`` before it when the data allow). Empty when either symbol has no prices.

    Returns
    -------
    DataFrame
        Index day (the last bar of each day), columns ``beta``, ``correlation``.
    """
    if symbol not in data.close.columns or benchmark not in data.close.columns:
        return pd.DataFrame(columns=["beta", "correlation"], dtype=float)
    close = data.close.loc[start - pd.Timedelta(days=days + 1): end, [symbol, benchmark]]
    r = close / close.shift(1) - 1
    window = f"{days}D"
    minimum = max(MIN_SHARED_BARS, int(len(r) / max((end - close.index[0]).days, 1) * days / 2))
    pair = r.dropna()
    cov = pair[symbol].rolling(window, min_periods=minimum).cov(pair[benchmark])
    var = pair[benchmark].rolling(window, min_periods=minimum).var()
    corr = pair[symbol].rolling(window, min_periods=minimum).corr(pair[benchmark])
    out = pd.DataFrame({"beta": cov / var.where(var > 0), "correlation": corr}).loc[start:]
    return out.groupby(out.index.floor("D")).last().rename_axis("day")


def group_history(months: Sequence[Month], symbol: str) -> pd.DataFrame:
    """Tabulate the symbol's published group at every month end, and how many of its group-mates stayed.

    Returns
    -------
    DataFrame
        ``date``, ``cluster``, ``cluster_name``, ``group_size``, ``changed_group`` (its group's
        name differs from last month's), ``mates_kept`` (Jaccard overlap of its group-mates
        with last month's; empty the first month, when it is new, or noise).
    """
    rows, before = [], None
    for month in months:
        if symbol not in month.labels.index:
            rows.append({"date": month.date, "cluster": pd.NA, "cluster_name": "not in the universe",
                         "group_size": 0, "changed_group": False, "mates_kept": np.nan})
            before = None
            continue
        c = int(month.labels[symbol])
        mates = set(month.labels.index[month.labels == c]) - {symbol} if c >= 0 else set()
        name = month.names.get(c, str(c))
        kept = np.nan
        if before is not None and c >= 0 and before[1]:
            kept = len(mates & before[1]) / len(mates | before[1]) if mates | before[1] else 1.0
        rows.append({"date": month.date, "cluster": c, "cluster_name": name, "group_size": len(mates) + 1,
                     "changed_group": before is not None and before[0] != name, "mates_kept": kept})
        before = (name, mates)
    return pd.DataFrame(rows, columns=["date", "cluster", "cluster_name", "group_size", "changed_group",
                                       "mates_kept"])


def coin_view(data: MarketData, result: ClusterResult, symbol: str) -> CoinView:
    """Look one symbol up in a window's clustering (see the module docstring).

    Raises
    ------
    ParameterError
        As :func:`find_symbol`.
    """
    symbol = find_symbol(result, symbol)
    fs = result.view.features
    labels = result.clustering.labels
    c = int(labels[symbol])
    benchmark = fs.config.benchmark
    table = neighbours(result, window_returns(data, fs), symbol, benchmark)
    X = fs.X.loc[labels.index]
    acting, acting_names = tiered_groups(labels, result.profile.names, result.tiers)
    g = int(acting[symbol])
    group = X[acting == g] if g >= 0 else X.loc[[symbol]]
    features = pd.DataFrame({
        "value": X.loc[symbol],
        "group_median": group.median(),
        "universe_median": X.median(),
        "universe_percentile": (X.rank(pct=True).loc[symbol]),
    }).rename_axis("feature")
    conf = result.clustering.confidence
    tiers = result.tiers
    tier = int(tiers.tier[symbol]) if tiers is not None and symbol in tiers.tier.index else None
    return CoinView(symbol, c, str(result.profile.names.get(c, "Noise / outliers")),
                    float(conf[symbol]) if conf is not None else np.nan, tier,
                    str(acting_names.get(g, "Noise / outliers")), table, features,
                    _peer_standing(group["momentum_30d"], symbol), rolling_vs_benchmark(
                        data, symbol, benchmark, fs.window_start, fs.window_end), benchmark)


def _peer_standing(momentum: pd.Series, symbol: str) -> pd.Series:
    mine = float(momentum[symbol])
    spread = float(momentum.std(ddof=1)) if len(momentum) > 1 else np.nan
    return pd.Series({
        "momentum_30d": mine,
        "group_median": float(momentum.median()),
        "gap": mine - float(momentum.median()),
        "z_in_group": (mine - float(momentum.mean())) / spread if spread and spread > 0 else np.nan,
        "rank_in_group": int((momentum > mine).sum()) + 1,
        "group_size": len(momentum),
    })
