"""Monthly walk-forward with re-clustering: against a naive recompute-everything loop, the engine of the day the
slowness was reported (:mod:`benchmarks._filing_day`) and the calling process."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks import _filing_day
from benchmarks._harness import ROOT, Row, run_cli
from cluster_core.clustering import ClusterConfig, fit_clusters
from cluster_core.data import DATASETS_DIR, MarketData, build_market_data, load_sample
from cluster_core.features import FeatureConfig, compute_features, prepare_features
from cluster_core.strategies import BacktestConfig, rebalance_dates
from cluster_core.walkforward import clear_caches, run_backtest

N_SYMBOLS = 100
START, END = "2022-01-01", "2023-12-31"


def _naive(long: pd.DataFrame, dates: list[pd.Timestamp], lookback: int) -> None:
    """What a first prototype does each month: rebuild the data from the raw rows, recompute, refit."""
    for date in dates:
        data = build_market_data(long[long["timestamp"] <= date], source="naive")
        features = compute_features(data, FeatureConfig(lookback_days=lookback))
        fit_clusters(prepare_features(features.X).Z, ClusterConfig(n_clusters=6))


def run() -> list[Row]:
    full = load_sample("hourly")
    symbols = list(full.coverage().sort_values("avg_daily_volume_usd", ascending=False)["symbol"][:N_SYMBOLS])
    if "BTC" not in symbols:
        symbols[-1] = "BTC"
    data = full.select(symbols).between(START, END)
    long = pd.read_parquet(DATASETS_DIR / "crypto_hourly.parquet")
    long = long[long["symbol"].isin(symbols) & (long["timestamp"] >= pd.Timestamp(START, tz="UTC"))]
    dates = rebalance_dates(data, 90)
    start = time.perf_counter()
    run_backtest(data, clustering=ClusterConfig(n_clusters=6))
    engine = time.perf_counter() - start
    start = time.perf_counter()
    _naive(long, dates, 90)
    rows = [Row("walk-forward, monthly re-clustering (k=6)", f"{N_SYMBOLS} symbols, {len(dates)} months", engine,
                time.perf_counter() - start, note="target < 3 s; baseline rebuilds the data each month")]
    rows += _against_the_filing_day(len(dates))
    rows.append(_on_workers(full))
    return rows


def _on_workers(data: MarketData) -> Row:
    """A cold walk-forward as the server runs it (month fits as tasks on two worker processes) against in-process."""
    from cluster_core import offload

    offload.set_workers(True)
    try:
        client = offload._client()  # started (and the data sent) before the clock: the server does it once
        offload._scatter(client, data)
        features = FeatureConfig(lookback_days=75)  # not the default: nothing cached anywhere
        offload.clear()
        start = time.perf_counter()
        offload.backtest(data, features, None, None, None, BacktestConfig())
        workers = time.perf_counter() - start
    finally:
        offload.set_workers(False)
    clear_caches()
    start = time.perf_counter()
    run_backtest(data, features)
    here = time.perf_counter() - start
    return Row("walk-forward on the server's 2 worker processes (automatic k, cold)",
               f"bundled hourly, {len(rebalance_dates(data, 75))} month ends", workers, here, None,
               "baseline: the same walk-forward in the calling process (as the pages ran it before)")


BACKTEST_CLI = ("backtest", "--data", "sample", "--strategy", "diversified", "--rebalance", "monthly")


def _against_the_filing_day(months: int) -> list[Row]:
    """Automatic k month by month: today's engine against the filing day's (``_filing_day``), fresh processes."""
    out = str(Path(tempfile.gettempdir()) / "bench_backtest.csv")
    with _filing_day.checkout() as (old, why):
        walk = _filing_day.walk_forward_seconds(ROOT, N_SYMBOLS, START, END)
        seconds, peak, status = run_cli(*BACKTEST_CLI, "--out", out)
        walk_then = cli_then = None
        note = why
        if old is not None:
            walk_then = _filing_day.walk_forward_seconds(old, N_SYMBOLS, START, END)
            cli_then, peak_then, status_then = run_cli(*BACKTEST_CLI, "--out", out, cwd=old)
            note = f"baseline: main at {_filing_day.FILING_DAY} (issue 20's filing day), same run"
    return [
        Row("walk-forward, monthly re-clustering (auto k), fresh process", f"{N_SYMBOLS} symbols, {months} months",
            walk, walk_then, note=f"{note}; imports and loading excluded"),
        Row("CLI backtest, bundled hourly, defaults (automatic k, 29 month ends), fresh process", "151 symbols",
            seconds, cli_then, peak, f"{status}; {note}"
            + (f" (peak {peak_then:.0f} MB, {status_then})" if cli_then is not None else "")
            + "; start-up and loading included; target 4 s"),
    ]
