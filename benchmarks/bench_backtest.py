"""Monthly walk-forward with re-clustering against a naive recompute-everything loop."""

from __future__ import annotations

import time

import pandas as pd

from benchmarks._harness import Row
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
    rows = []
    for label, config in (("k=6", ClusterConfig(n_clusters=6)), ("auto k", ClusterConfig())):
        start = time.perf_counter()
        run_backtest(data, clustering=config)
        engine = time.perf_counter() - start
        baseline = None
        if label == "k=6":
            start = time.perf_counter()
            _naive(long, dates, 90)
            baseline = time.perf_counter() - start
        rows.append(Row(f"walk-forward, monthly re-clustering ({label})", f"{N_SYMBOLS} symbols, {len(dates)} months",
                        engine, baseline, note="target < 3 s; baseline rebuilds the data each month"))
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
