"""The backtest's metrics pinned against hand-worked numbers and a second implementation sharing no engine code.

The second implementation is plain Python (``math``, ``statistics``, lists): it reads only
the equity values, their dates and the rows' costs, and restates each definition of
DESIGN.md from scratch.
"""

from __future__ import annotations

import itertools
import math
import statistics
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from cluster_core.clustering import ClusterConfig
from cluster_core.data import MarketData
from cluster_core.strategies import performance_metrics, simulate
from cluster_core.walkforward import run_backtest


def reference_metrics(dates: list[datetime], equity: list[float], costs: list[float] | None) -> dict[str, float]:
    """Every headline metric from an equity list (first value the start) and its dates, the slow obvious way."""
    returns = [b / a - 1 for a, b in itertools.pairwise(equity)]
    years = (dates[-1] - dates[0]).total_seconds() / (365.25 * 86400)
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    peak, worst = equity[0], 0.0
    for value in equity:
        peak = max(peak, value)
        worst = min(worst, value / peak - 1)
    sd = statistics.stdev(returns)
    out = {
        "CAGR": (equity[-1] / equity[0]) ** (1 / years) - 1,
        "volatility": sd * math.sqrt(12),
        "sharpe": statistics.fmean(returns) / sd * math.sqrt(12),
        "sortino": statistics.fmean(returns) * 12 / (downside * math.sqrt(12)),
        "max_drawdown": worst,
        "hit_rate": sum(r > 0 for r in returns) / len(returns),
    }
    if costs is not None:
        out["cost_drag"] = statistics.fmean(costs) * 12
    return out


def test_metrics_of_a_hand_worked_three_month_example():
    """50/50 A and B in January, all A in February, all B in March, 10 bps (tests/unit/test_strategies.py)."""
    index = pd.date_range("2024-01-01", "2024-04-30", freq="1D", tz="UTC")
    close = pd.DataFrame(np.nan, index=index, columns=["A", "B"])
    for day, a, b in [("2024-01-31", 100, 50), ("2024-02-29", 110, 50), ("2024-03-31", 99, 60),
                      ("2024-04-30", 108.9, 54)]:
        close.loc[pd.Timestamp(day, tz="UTC")] = [a, b]
    close = close.ffill().bfill()
    d = [pd.Timestamp(x, tz="UTC") for x in ("2024-01-31", "2024-02-29", "2024-03-31")]
    rows = simulate(close, [(d[0], pd.Series({"A": 0.5, "B": 0.5})), (d[1], pd.Series({"A": 1.0})),
                            (d[2], pd.Series({"B": 1.0}))], pd.Timestamp("2024-04-30", tz="UTC"), cost_bps=10)
    curves = pd.DataFrame({"strategy": [1.0, *rows["equity"]]},
                          index=pd.DatetimeIndex([d[0], *rows["period_end"]]))
    got = performance_metrics(curves, rows).loc["strategy"]
    # By hand: returns 4.9 %, -10.095 %, -10.2 % (1,000 bps of turnover 1, 0.952, 2 at 10 bps), 90 days.
    r = [0.049, -0.10095238095238096, -0.102]
    mean = sum(r) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / 2)
    assert got["CAGR"] == pytest.approx(0.8469046552380952 ** (365.25 / 90) - 1, rel=1e-12)
    assert got["sharpe"] == pytest.approx(mean / sd * math.sqrt(12), rel=1e-12)
    assert got["volatility"] == pytest.approx(sd * math.sqrt(12), rel=1e-12)
    assert got["sortino"] == pytest.approx(mean * 12 / math.sqrt((0.10095238095238096**2 + 0.102**2) / 3)
                                           / math.sqrt(12), rel=1e-12)
    assert got["max_drawdown"] == pytest.approx(0.8469046552380952 / 1.049 - 1, rel=1e-12)
    assert got["hit_rate"] == pytest.approx(1 / 3)
    assert got["cost_drag"] == pytest.approx((1.0 + 0.9523809523809523 + 2.0) * 0.001 / 3 * 12, rel=1e-12)


@pytest.fixture(scope="module")
def walk(hourly):
    return hourly.select(list(hourly.symbols[:60]) + ["BTC"]).between("2022-06-01", "2023-06-30")


def test_every_curves_metrics_match_the_independent_implementation(walk):
    result = run_backtest(walk, clustering=ClusterConfig(n_clusters=5))
    dates = [t.to_pydatetime() for t in result.curves.index]
    for curve in ("strategy", "BTC", "equal_weight"):
        costs = list(result.rows["cost"]) if curve == "strategy" else None
        expected = reference_metrics(dates, list(result.curves[curve]), costs)
        got = result.metrics.loc[curve]
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, rel=1e-10, abs=1e-14), (curve, name)


def _decisions(result) -> pd.DataFrame:
    return result.rows[["date", "holdings", "weights"]]


@pytest.mark.parametrize("k", [5, None])
def test_no_look_ahead_in_future_volume_listings_or_delistings(walk, k):
    """Later volume, a coin listed later and a coin delisted later change no decision made before."""
    config = ClusterConfig(n_clusters=k)
    base = run_backtest(walk, clustering=config)
    cut = base.rows["date"].iloc[4]
    later = walk.close.index > cut
    rng = np.random.default_rng(1)
    volume = walk.volume_usd.copy()
    volume.loc[later] = volume.loc[later] * rng.uniform(0.01, 100, volume.loc[later].shape)
    close = walk.close.copy()
    held = [s for s in base.rows["holdings"].iloc[5].split(";") if s and s != "BTC"]
    close.loc[later, held[0]] = np.nan  # delisted right after the cut
    close["NEWCOIN"] = np.where(later, 1.0 + np.cumsum(later) * 1e-3, np.nan)  # listed right after it
    volume["NEWCOIN"] = np.where(later, 5e9, np.nan)
    other = run_backtest(MarketData(close, volume, walk.source), clustering=config)
    upto = base.rows["date"] <= cut
    pd.testing.assert_frame_equal(_decisions(base)[upto], _decisions(other)[upto])
    for date in base.rows.loc[upto, "date"]:
        pd.testing.assert_series_equal(base.labels[date], other.labels[date])
    assert not _decisions(base)[~upto].equals(_decisions(other)[~upto])  # the change does reach later months
