"""The engine as it was when the month-by-month slowness was reported, as a baseline measured in the same run.

Issue 20 measured a cold CLI walk-forward at 11.2-11.7 s on main at :data:`FILING_DAY`,
where automatic k ran 13 values of k x 10 restarts, eight null references, a refinement and
20 confidence refits at every month end. Machine speed here varies two- to threefold
between days, so a figure from that day cannot be compared with one from today; this
module checks that commit out (``git worktree``, a temporary folder) and times the same
work with both engines, one fresh process each, in the same run.

The checkout's ``python -m cluster_core`` imports its own engine because the working
directory comes first on ``sys.path``; the installed (editable) engine is found only
after it.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchmarks._harness import ROOT

FILING_DAY = "56be97a"  # main when issue 20 was filed (2026-11-25, before automatic k by separate modes)

# Runs in a fresh process whose working directory is an engine's folder: it times one
# in-process walk-forward with automatic k (imports and loading excluded), using only the
# API both engines share, and prints the seconds.
WALK_FORWARD = """
import time
from cluster_core.clustering import ClusterConfig
from cluster_core.data import load_sample
from cluster_core.walkforward import run_backtest
full = load_sample("hourly")
symbols = list(full.coverage().sort_values("avg_daily_volume_usd", ascending=False)["symbol"][:{n}])
if "BTC" not in symbols:
    symbols[-1] = "BTC"
data = full.select(symbols).between("{start}", "{end}")
start = time.perf_counter()
run_backtest(data, clustering=ClusterConfig())
print(time.perf_counter() - start)
"""


@contextlib.contextmanager
def checkout(commit: str = FILING_DAY) -> Iterator[tuple[Path | None, str]]:
    """A temporary worktree of ``commit``: ``(folder, "")``, or ``(None, why)`` when git cannot give it."""
    with tempfile.TemporaryDirectory(prefix="cluster-core-filing-day-") as parent:
        folder = Path(parent) / "engine"
        made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(folder), commit],
                              capture_output=True, text=True)
        if made.returncode != 0:
            yield None, f"no checkout of {commit}: {(made.stderr.strip().splitlines() or ['git failed'])[-1]}"
            return
        try:
            yield folder, ""
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)],
                           capture_output=True)


def walk_forward_seconds(engine: Path, n_symbols: int, start: str, end: str) -> float:
    """Seconds of one automatic-k walk-forward by the engine in folder ``engine`` (a fresh process)."""
    code = WALK_FORWARD.format(n=n_symbols, start=start, end=end)
    done = subprocess.run([sys.executable, "-c", code], cwd=engine, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])
