"""Warm a fresh process: heavy imports, the bundled data, and the default view, in a background thread.

The first page an analyst opens shows a UMAP map of the bundled data. Without a warm-up
it waits for imports (scikit-learn, scipy, kneed, plotly), umap-learn's numba code and
the default pipeline; ``serve.py`` starts this thread when the server process starts.
"""

from __future__ import annotations

import threading
import time

__all__ = ["warm_up", "warm_up_status"]

_STATE: dict[str, object] = {"started": False, "seconds": None, "error": None}
_LOCK = threading.Lock()


def warm_up(background: bool = True) -> dict[str, object]:
    """Run the warm-up once per process (idempotent); return its status dict."""
    with _LOCK:
        if _STATE["started"]:
            return _STATE
        _STATE["started"] = True
    if background:
        threading.Thread(target=_run, name="cluster-core-warm-up", daemon=True).start()
    else:
        _run()
    return _STATE


def warm_up_status() -> dict[str, object]:
    """Return ``started``, ``seconds`` (None while running) and ``error`` of the warm-up."""
    return dict(_STATE)


def _run() -> None:
    start = time.perf_counter()
    try:
        import kneed  # noqa: F401  (imported for their side effect: warm module cache)
        import plotly.graph_objects  # noqa: F401

        from cluster_core.clustering import ClusterConfig
        from cluster_core.data import load_sample
        from cluster_core.pipeline import run_clustering
        from cluster_core.reduction import Reduction, ReductionConfig

        data = load_sample()
        run_clustering(data, clustering=ClusterConfig(), reduction=ReductionConfig(Reduction.UMAP))
    except Exception as exc:  # noqa: BLE001  a failed warm-up only costs speed; the page reports real errors
        _STATE["error"] = f"{type(exc).__name__}: {exc}"
    _STATE["seconds"] = time.perf_counter() - start


def main() -> int:
    """``python -m cluster_core.warmup``: fill the on-disk caches (numba's machine code, the bundled build) once.

    Exit status 0 also when a step failed (it is printed): a cold cache only costs time, and
    ``make test`` must go on to the tests, which report any real fault themselves.
    """
    status = warm_up(background=False)
    error = f"; failed (the caches stay cold, nothing else changes): {status['error']}" if status["error"] else ""
    print(f"warm-up: {status['seconds']:.1f} s{error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
