"""Timing and peak-memory helpers, and the result table."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    case: str
    size: str
    engine_s: float
    baseline_s: float | None
    peak_mb: float | None = None
    note: str = ""

    @property
    def ratio(self) -> str:
        if self.baseline_s is None:
            return "-"
        return f"{self.baseline_s / self.engine_s:,.1f}x"


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Peak memory allocated by Python and numpy during one call (MB)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def run_cli(*args: str, module: str = "cluster_core", cwd: Path = ROOT) -> tuple[float, float, str]:
    """Run ``python -m cluster_core *args`` (or ``module``) in a fresh process: wall time, peak RSS (MB), status.

    ``cwd`` is the folder it runs in, whose ``cluster_core`` it imports (another checkout's, for a baseline).

    The peak is the child's own RSS sampled every 10 ms (its rusage would count the parent's
    pages at fork). The status is "ok", or the last line of its stderr.
    """
    start = time.perf_counter()
    child = psutil.Popen([sys.executable, "-m", module, *args], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, cwd=cwd)
    rss = 0.0
    while child.poll() is None:
        try:
            rss = max(rss, child.memory_info().rss / 2**20)
        except psutil.Error:
            break
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    error = child.stderr.read().strip()
    return seconds, rss, "ok" if child.returncode == 0 else error.splitlines()[-1]


def render(rows: list[Row]) -> str:
    header = ["case", "size", "engine", "baseline", "speed-up", "peak MB", "note"]
    body = [
        [
            r.case,
            r.size,
            _fmt(r.engine_s),
            "-" if r.baseline_s is None else _fmt(r.baseline_s),
            r.ratio,
            "-" if r.peak_mb is None else f"{r.peak_mb:,.0f}",
            r.note,
        ]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=True)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    rows_txt = ["| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)) + " |" for r in body]
    return "\n".join([line, sep, *rows_txt])


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"
