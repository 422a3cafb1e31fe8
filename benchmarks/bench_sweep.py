"""The 360-setting parameter sweep on the bundled hourly data: serial against Dask's LocalCluster."""

from __future__ import annotations

import heapq
import os
import time

from benchmarks._harness import Row
from cluster_core.data import load_sample
from cluster_core.strategies import Strategy
from cluster_core.sweep import SweepGrid, local_cluster, run_sweep
from cluster_core.walkforward import clear_caches

SMALL = SweepGrid(lookback_days=(60, 90), k=(4, None), features=("behaviour", "seed"), smoothness=(0.0, 0.6),
                  strategy=tuple(Strategy))


def _timed_serial(data, grid) -> tuple[float, list[float], object]:
    """Serial run from empty caches; the seconds each group of shared fits took."""
    clear_caches()
    groups, last = [], [time.perf_counter()]

    def progress(done: int, total: int, group: str, status: str) -> None:
        now = time.perf_counter()
        groups.append(now - last[0])
        last[0] = now

    start = time.perf_counter()
    result = run_sweep(data, grid, serial=True, progress=progress)
    return time.perf_counter() - start, groups, result


def _makespan(durations: list[float], workers: int) -> float:
    """Longest-first greedy schedule of the groups on ``workers`` (what Dask's scheduler approaches)."""
    loads = [0.0] * workers
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + d)
    return max(loads)


def _worker_rss_mb(cluster) -> float:
    from distributed import Client

    with Client(cluster, set_as_default=False) as client:
        rss = client.run(lambda: __import__("psutil").Process().memory_info().rss)
    return max(rss.values()) / 2**20


def _distributed(data, grid, workers: int) -> tuple[float, float, object, float]:
    local_cluster(workers).close()  # a fresh cluster: its workers' fit caches are empty
    start = time.perf_counter()
    cluster = local_cluster(workers)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    result = run_sweep(data, grid)
    return startup, time.perf_counter() - start, result, _worker_rss_mb(cluster)


def run() -> list[Row]:
    data = load_sample("hourly")
    cores = os.cpu_count() or 1
    rows = []
    serial_s, _, serial = _timed_serial(data, SMALL)
    for workers in (1, cores):
        startup, seconds, result, rss = _distributed(data, SMALL, workers)
        same = result.table.equals(serial.table)
        rows.append(Row(f"parameter sweep, LocalCluster {workers} worker(s) vs serial", f"hourly, {SMALL.size} "
                        "settings, 8 fit groups", seconds, serial_s, rss,
                        f"+{startup:.1f} s cluster start; peak MB = largest worker's RSS; identical to serial: {same}"))
    grid = SweepGrid()
    serial_s, groups, serial = _timed_serial(data, grid)
    startup, seconds, result, rss = _distributed(data, grid, cores)
    same = result.table.equals(serial.table)
    projected = ", ".join(f"{n} cores {_makespan(groups, n):.0f} s" for n in (4, 8, 16, 60))
    rows.append(Row(f"parameter sweep, 360 settings, LocalCluster {cores} workers vs serial",
                    f"hourly, 153 symbols, {len(groups)} fit groups", seconds, serial_s, rss,
                    f"+{startup:.1f} s cluster start; identical to serial: {same}; groups {min(groups):.1f}-"
                    f"{max(groups):.1f} s; projected makespan: {projected}"))
    return rows
