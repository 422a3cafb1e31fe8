"""Walk-forward monthly backtests: re-cluster at every month end on data up to it, hold a month."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from cluster_core._validation import check_enum, check_float, check_int
from cluster_core.clustering import DEFAULT_SMOOTHNESS, validated_smoothness
from cluster_core.data import MarketData
from cluster_core.strategies._portfolio import DEFAULT_MAX_WEIGHT, PickRule, Weighting, diversified_picks

__all__ = [
    "BACKTEST_COLUMNS",
    "BacktestConfig",
    "BacktestResult",
    "Strategy",
    "equity_curves",
    "performance_metrics",
    "period_returns",
    "rebalance_dates",
    "simulate",
    "target_weights",
]

BACKTEST_COLUMNS = ("date", "holdings", "weights", "period_return", "equity")
MONTHS_PER_YEAR = 12


class Strategy(StrEnum):
    """What is held between two rebalances."""

    DIVERSIFIED = "diversified"  # one or two symbols per cluster
    ROTATION = "rotation"  # the best symbols of the cluster with the best momentum


@dataclass(frozen=True)
class BacktestConfig:
    """Parameters of :func:`run_backtest` (hashable).

    Parameters
    ----------
    strategy : Strategy, default="diversified"
    cost_bps : float, default=10.0
        Transaction cost in basis points of turnover (sum of absolute weight changes).
    per_cluster : int, default=1
        Diversified: symbols picked per cluster.
    top_n : int, default=1
        Rotation: symbols held from the top cluster.
    rule : PickRule, default="sharpe"
    weighting : Weighting, default="equal"
    include_noise : bool, default=False
    min_holdings : int, default=8
        Diversified: hold at least this many symbols (more picks per cluster when the
        clusters are fewer; see :func:`diversified_picks`). Below ~8 names a crypto
        portfolio is one or two coins' idiosyncratic risk, whatever the clusters say.
    keep_top : float, default=0.5
        Diversified: a holding is kept while it ranks in this top share of its cluster
        (``keep_top`` of :func:`diversified_picks`); 0 re-picks every month.
    smoothness : float, default=0.6
        Weight of the past in the monthly clusters (:func:`cluster_core.clustering.evolve`);
        0 = each month clustered on its own.
    include_pegged : bool, default=False
        Hold pegged coins (stablecoins, gold tokens at rest) too. Off: a risk portfolio of
        one coin per group would otherwise hold cash-like stablecoins in every month.
    tiers : int, default=3
        Automatic k: when a month's largest group is one continuum, the holdings are picked
        per tier of it (:func:`cluster_core.interpretation.tiered_groups`), 2 to 5.
    max_weight : float, default=0.25
        Diversified: no holding above this weight (:func:`cap_weights`; too few picks for it
        leave the rest in cash). Rotation holds its ``top_n`` names in equal weights: a
        one-coin rotation is a one-coin bet by design.
    """

    strategy: Strategy = Strategy.DIVERSIFIED
    cost_bps: float = 10.0
    per_cluster: int = 1
    top_n: int = 1
    rule: PickRule = PickRule.SHARPE
    weighting: Weighting = Weighting.EQUAL
    include_noise: bool = False
    min_holdings: int = 8
    keep_top: float = 0.5
    smoothness: float = DEFAULT_SMOOTHNESS
    include_pegged: bool = False
    tiers: int = 3
    max_weight: float = DEFAULT_MAX_WEIGHT

    def validated(self) -> BacktestConfig:
        """Return a checked copy; raise :class:`ParameterError` with the rule broken."""
        return BacktestConfig(
            strategy=check_enum("strategy", self.strategy, Strategy),
            cost_bps=check_float("cost_bps", self.cost_bps, 0.0, 1000.0),
            per_cluster=check_int("per_cluster", self.per_cluster, 1, 10),
            top_n=check_int("top_n", self.top_n, 1, 50),
            rule=check_enum("rule", self.rule, PickRule),
            weighting=check_enum("weighting", self.weighting, Weighting),
            include_noise=bool(self.include_noise),
            min_holdings=check_int("min_holdings", self.min_holdings, 1, 50),
            keep_top=check_float("keep_top", self.keep_top, 0.0, 1.0),
            smoothness=validated_smoothness(self.smoothness),
            include_pegged=bool(self.include_pegged),
            tiers=check_int("tiers", self.tiers, 2, 5),
            max_weight=check_float("max_weight", self.max_weight, 0.01, 1.0),
        )


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Outputs of a walk-forward backtest.

    Attributes
    ----------
    rows : DataFrame
        The ``backtest.csv`` contract (``date, holdings, weights, period_return, equity``)
        plus ``period_end``, ``turnover``, ``cost``, ``n_clusters``.
    curves : DataFrame
        Index = period ends (first row = the first rebalance date, equity 1), columns
        ``strategy``, ``BTC``, ``equal_weight`` equity.
    metrics : DataFrame
        CAGR, volatility, Sharpe, Sortino, max drawdown, turnover, hit rate per curve.
    labels : dict of Timestamp to Series
        Cluster per symbol at each rebalance date.
    names : dict of Timestamp to Series
        Cluster names at each rebalance date.
    notes : tuple of str
        What went wrong (months held in cash...).
    pegged_left_out : tuple of int
        Pegged coins left out of the holdings at each rebalance that could be clustered
        (all 0 with ``include_pegged``).
    """

    rows: pd.DataFrame
    curves: pd.DataFrame
    metrics: pd.DataFrame
    labels: dict[pd.Timestamp, pd.Series]
    names: dict[pd.Timestamp, pd.Series]
    notes: tuple[str, ...] = field(default=())
    pegged_left_out: tuple[int, ...] = field(default=())

    def pegged_note(self) -> str:
        """Say how many pegged coins the holdings left out ("" when none were)."""
        if not any(self.pegged_left_out):
            return ""
        low, high = min(self.pegged_left_out), max(self.pegged_left_out)
        return (f"Pegged coins (flagged pegged, or in the Stablecoins / pegged group) were left out of the holdings: "
                f"{low}-{high} a month. 'Include pegged coins' holds them too.")

    def csv_table(self) -> pd.DataFrame:
        """Return the DESIGN.md ``backtest.csv`` columns only."""
        return self.rows[list(BACKTEST_COLUMNS)]


def rebalance_dates(data: MarketData, lookback_days: int) -> list[pd.Timestamp]:
    """Return the last bar of every calendar month whose lookback fits in the data, before the last bar."""
    index = data.close.index
    month_end = pd.Series(index, index=index).groupby(index.tz_convert(None).to_period("M")).max()
    first_ok = index[0] + pd.Timedelta(days=lookback_days)
    return [d for d in month_end if first_ok <= d < index[-1]]


def simulate(
    close: pd.DataFrame,
    decisions: list[tuple[pd.Timestamp, pd.Series]],
    end: pd.Timestamp,
    cost_bps: float,
) -> pd.DataFrame:
    """Account for a sequence of target weights: drift, turnover, costs, returns, equity.

    Parameters
    ----------
    close : DataFrame
        Closes (bars x symbols).
    decisions : list of (date, weights)
        Target weights (summing to 1, or empty for cash) decided at each date, ascending.
    end : Timestamp
        End of the last holding period.
    cost_bps : float
        Cost in basis points of turnover, charged at the start of each period.

    Returns
    -------
    DataFrame
        One row per decision: ``date``, ``period_end``, ``holdings``, ``weights``,
        ``turnover``, ``cost``, ``gross_return``, ``period_return``, ``equity``.

    Notes
    -----
    A symbol's return over a period is ``close(end) / close(start) - 1``, each the last
    close at or before that time; one that stops trading exits at its last close.
    Turnover is ``sum |target - drifted previous weights|`` (the first rebalance buys
    everything: turnover 1); ``period_return = gross_return - turnover * cost_bps / 1e4``.
    """
    rows = []
    drifted = pd.Series(dtype=np.float64)
    equity = 1.0
    for i, (date, target) in enumerate(decisions):
        period_end = decisions[i + 1][0] if i + 1 < len(decisions) else end
        symbols = list(target.index)
        growth = period_returns(close, symbols, date, period_end)
        union = target.index.union(drifted.index)
        turnover = float((target.reindex(union, fill_value=0.0) - drifted.reindex(union, fill_value=0.0)).abs().sum())
        cost = turnover * cost_bps / 1e4
        gross = float((target * growth).sum()) if len(target) else 0.0
        period_return = gross - cost
        equity *= 1.0 + period_return
        rows.append(
            {
                "date": date,
                "period_end": period_end,
                "holdings": ";".join(symbols),
                "weights": ";".join(f"{w:.6f}" for w in target.to_numpy()),
                "turnover": turnover,
                "cost": cost,
                "gross_return": gross,
                "period_return": period_return,
                "equity": equity,
            }
        )
        drifted = (target * (1 + growth) / (1 + gross)) if len(target) and gross > -1 else pd.Series(dtype=np.float64)
    return pd.DataFrame(rows)


def _price_at(close: pd.DataFrame, symbols: list[str], when: pd.Timestamp) -> pd.Series:
    """Last close at or before ``when`` of each symbol (NaN if it never traded before)."""
    last = int(close.index.searchsorted(when, side="right")) - 1
    if last < 0:
        return pd.Series(np.nan, index=symbols)
    cols = close.columns.get_indexer(symbols)
    values = close.to_numpy()
    span = 1024  # the last month of hourly bars holds nearly every symbol's last close: look further only if not
    while True:
        lo = max(0, last + 1 - span)
        seen = ~np.isnan(values[lo : last + 1, cols])[::-1]  # newest bar first
        traded = seen.any(axis=0)
        if lo == 0 or traded.all():
            break
        span *= 8
    newest = last - seen.argmax(axis=0)
    return pd.Series(np.where(traded, values[newest, cols], np.nan), index=symbols)


def period_returns(close: pd.DataFrame, symbols: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Return each symbol's simple return from its last close at or before ``start`` to ``end``'s.

    A symbol that stops trading in between returns to its last close; one with no close
    by ``start`` returns 0.
    """
    if not symbols:
        return pd.Series(dtype=np.float64)
    growth = _price_at(close, symbols, end) / _price_at(close, symbols, start) - 1.0
    return growth.fillna(0.0)


def target_weights(
    cfg: BacktestConfig, X: pd.DataFrame, Z: pd.DataFrame, labels: pd.Series, names: pd.Series,
    held: Iterable[str] = (), exclude: Iterable[str] = (),
) -> pd.Series:
    """Weights to hold after a rebalance (index symbol, summing to 1; empty = cash).

    Diversified: :func:`diversified_picks` (``held`` = the current holdings, kept while
    still in the top ``keep_top`` of their cluster). Rotation: the cluster with the best
    mean 30-day momentum, its ``top_n`` symbols by momentum, equal weights. Symbols in
    ``exclude`` (the month's pegged coins unless ``cfg.include_pegged``) are never held.
    """
    labels = labels.drop(list(exclude), errors="ignore")
    if cfg.strategy is Strategy.DIVERSIFIED:
        picks = diversified_picks(X, Z, labels, names, per_cluster=cfg.per_cluster, rule=cfg.rule,
                                  weighting=cfg.weighting, include_noise=cfg.include_noise,
                                  min_holdings=cfg.min_holdings, held=held, keep_top=cfg.keep_top,
                                  max_weight=cfg.max_weight)
        return pd.Series(picks["weight"].to_numpy(), index=picks["symbol"])
    momentum = X["momentum_30d"]
    clustered = labels[labels >= 0]
    if clustered.empty:
        return pd.Series(dtype=np.float64)
    best = momentum.groupby(clustered).mean().idxmax()
    members = momentum.loc[clustered.index[clustered == best]].dropna().sort_values(ascending=False)
    chosen = list(members.index[: cfg.top_n])
    return pd.Series(1.0 / len(chosen), index=chosen) if chosen else pd.Series(dtype=np.float64)


def equity_curves(data: MarketData, rows: pd.DataFrame, universes: dict[pd.Timestamp, list[str]]) -> pd.DataFrame:
    """Strategy equity next to BTC buy-and-hold and an equal-weight portfolio of each month's universe."""
    start = rows["date"].iloc[0]
    ends = list(rows["period_end"])
    strategy = [1.0, *rows["equity"]]
    btc, ew = [1.0], [1.0]
    for date, end in zip(rows["date"], ends, strict=True):
        r_btc = period_returns(data.close, ["BTC"], date, end).iloc[0] if "BTC" in data.symbols else np.nan
        members = universes.get(date, [])
        r_ew = float(period_returns(data.close, members, date, end).mean()) if members else 0.0
        btc.append(btc[-1] * (1 + r_btc))
        ew.append(ew[-1] * (1 + r_ew))
    index = pd.DatetimeIndex([start, *ends], name="date")
    return pd.DataFrame({"strategy": strategy, "BTC": btc, "equal_weight": ew}, index=index)


def performance_metrics(curves: pd.DataFrame, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """CAGR, annualised vol, Sharpe, Sortino, max drawdown, hit rate (turnover, cost drag) per equity curve.

    Period returns are the curve's monthly steps; annualisation uses 12 periods a year;
    CAGR uses calendar days between the first and last point. ``avg_turnover`` is the
    mean monthly turnover and ``cost_drag`` the mean monthly cost times 12 (the return
    a year of trading costs takes), for the strategy only.
    """
    out = {}
    years = (curves.index[-1] - curves.index[0]) / pd.Timedelta(days=365.25)
    for name in curves.columns:
        equity = curves[name]
        r = equity.pct_change().dropna()
        downside = np.sqrt((np.minimum(r, 0) ** 2).mean())
        out[name] = {
            "CAGR": float(equity.iloc[-1] ** (1 / years) - 1) if years > 0 and equity.iloc[-1] > 0 else np.nan,
            "volatility": float(r.std(ddof=1) * np.sqrt(MONTHS_PER_YEAR)),
            "sharpe": float(r.mean() / r.std(ddof=1) * np.sqrt(MONTHS_PER_YEAR)) if r.std(ddof=1) > 0 else 0.0,
            "sortino": float(r.mean() * MONTHS_PER_YEAR / (downside * np.sqrt(MONTHS_PER_YEAR)))
            if downside > 0
            else 0.0,
            "max_drawdown": float((equity / equity.cummax() - 1).min()),
            "hit_rate": float((r > 0).mean()),
            "avg_turnover": float(rows["turnover"].mean()) if rows is not None and name == "strategy" else np.nan,
            "cost_drag": float(rows["cost"].mean() * MONTHS_PER_YEAR)
            if rows is not None and name == "strategy" else np.nan,
        }
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("curve")
