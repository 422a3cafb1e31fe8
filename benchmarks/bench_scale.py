"""The whole path at the size users bring: 1,000 / 5,000 / 20,000 synthetic symbols, stage by stage.

Hourly, 90-day window (a partitioned Parquet folder of 92 days, read with the window pushed
into the scan), plus 20,000 daily symbols over 2 years. Each stage is timed once (they are
seconds long) with its peak memory (RSS growth during the call); the price matrix is one
float64 symbols x bars frame. The end-to-end row runs the CLI on a 1 GB dataset (5,000 hourly
symbols x 500 days, partitioned by month) in a child process and reads its peak RSS.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from benchmarks._harness import Row, run_cli
from benchmarks._synthetic import synthetic_market, write_partitioned
from cluster_core.clustering import ClusterConfig, confidence, fit_clusters
from cluster_core.data import load_file
from cluster_core.features import FeatureConfig, prepare_features
from cluster_core.pipeline import run_features
from cluster_core.reduction import Reduction, ReductionConfig, reduce_2d


def _stage(label: str, size: str, fn, matrix_mb: float) -> tuple[Row, object]:
    """Time one call; its peak memory = the process's RSS sampled every 10 ms, above the RSS before the call.

    (tracemalloc would slow the pandas-heavy loading several-fold and distort the times.)
    """
    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    peak, done = [before], threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    grown = max(peak[0], process.memory_info().rss) / 2**20 - before / 2**20
    return Row(label, size, seconds, None, grown, f"{grown / matrix_mb:.1f}x the {matrix_mb:,.0f} MB price matrix"), \
        value


def _path(n: int, days: int, lookback: int, freq: str, folder: Path, maps: tuple[Reduction, ...],
          whole: bool = True) -> list[Row]:
    """Stage by stage; ``whole=False`` (20,000 symbols) skips the confidence (20 resampled refits)."""
    market = synthetic_market(n, days=days, seed=7, daily=freq == "daily")
    write_partitioned(market, folder / "data", by="month")
    size = f"{n:,} {freq} symbols, {lookback} d"
    bars = int(lookback * (24 if freq == "hourly" else 1))
    matrix_mb = n * bars * 8 / 2**20
    del market
    rows = []
    print(f"  {size}: load", file=sys.stderr, flush=True)
    row, data = _stage("load (partitioned Parquet, window pushed down)", size,
                       lambda: load_file(folder / "data", last_days=lookback + 2), matrix_mb)
    rows.append(row)
    config = FeatureConfig(lookback_days=lookback)
    print(f"  {size}: features", file=sys.stderr, flush=True)
    row, view = _stage("features + hygiene (duplicate screen)", size, lambda: run_features(data, config), matrix_mb)
    X = view.features.X
    rows.append(row)
    prepared = prepare_features(X)
    print(f"  {size}: automatic k", file=sys.stderr, flush=True)
    row, _ = _stage(f"automatic k (search for separate modes{', confidence' if whole else ''})", size,
                    lambda: fit_clusters(prepared.Z, ClusterConfig(), order_by=X["annualized_vol"])
                    if not whole else fit_with_confidence(prepared), matrix_mb)
    rows.append(row)
    if whole:
        rows.append(_hierarchical_k_change(prepared, size))
    for method in maps:
        print(f"  {size}: {method.value}", file=sys.stderr, flush=True)
        row, _ = _stage(f"map: {method.value}", size, lambda m=method: reduce_2d(prepared.Z, ReductionConfig(method=m)),
                        matrix_mb)
        rows.append(row)
    return rows


def _hierarchical_k_change(prepared, size: str) -> Row:
    """Ward at k=8 with confidence (the first fit: 21 trees), then k=6 (the kept trees re-cut)."""
    def fit(k: int) -> None:
        confidence(prepared.Z, fit_clusters(prepared.Z, ClusterConfig(method="hierarchical", n_clusters=k)))

    start = time.perf_counter()
    fit(8)
    first = time.perf_counter() - start
    start = time.perf_counter()
    fit(6)
    return Row("k change, hierarchical (Ward) + confidence", size, time.perf_counter() - start, first, None,
               "baseline: the first fit at k=8 (its tree and 20 refits' trees built); the k change re-cuts them")


def fit_with_confidence(prepared):
    """What the app and the CLI do: the fit, then each symbol's confidence (resampled refits)."""
    fitted = fit_clusters(prepared.Z, ClusterConfig())
    return confidence(prepared.Z, fitted)


def _cli(folder: Path) -> list[Row]:
    market = synthetic_market(5000, days=500, seed=1)
    size_gb = write_partitioned(market, folder / "big", by="month") / 2**30
    del market
    rows = []
    for reduction in ("pca", "umap"):
        seconds, rss, status = run_cli("cluster", "--data", str(folder / "big"), "--lookback-days", "90",
                                       "--reduction", reduction, "--out", str(folder / "clusters.csv"))
        rows.append(Row(f"CLI cluster, automatic k + {reduction.upper()}, file to clusters.csv",
                        f"{size_gb:.2f} GB folder, 5,000 hourly x 500 d", seconds, None, rss,
                        f"{status}; a fresh process (imports included); peak = its RSS, sampled every 10 ms; reads the "
                        f"last 92 days (price matrix {5000 * 92 * 24 * 8 / 2**20:,.0f} MB)"))
    return rows


def run() -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("  CLI on a 1 GB folder", file=sys.stderr, flush=True)
        rows.extend(_cli(folder / "cli"))
        for n, maps in ((1000, (Reduction.PCA, Reduction.UMAP)), (5000, (Reduction.PCA, Reduction.UMAP))):
            rows.extend(_path(n, 92, 90, "hourly", folder / f"h{n}", maps))
        rows.extend(_path(20000, 92, 90, "hourly", folder / "h20000", (Reduction.PCA,), whole=False))
        rows.extend(_path(20000, 731, 730, "daily", folder / "d20000", (Reduction.PCA,), whole=False))
    return rows
