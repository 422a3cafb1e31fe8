"""Monthly walk-forward with re-clustering against a naive recompute-everything loop."""

from __future__ import annotations

import time

import pandas as pd

from benchmarks._harness import Row
from cluster_core.clustering import ClusterConfig, fit_clusters
from cluster_core.data import DATASETS_DIR, build_market_data, load_sample
from cluster_core.features import FeatureConfig, compute_features, prepare_features
from cluster_core.strategies import rebalance_dates
from cluster_core.walkforward import run_backtest

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
    return rows
