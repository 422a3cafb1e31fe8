"""Month-by-month results for the pages (backtest, stability, peers over time): memoised, with a progress bar.

The monthly fits behind them are cached in the engine (:mod:`cluster_core.walkforward`),
so these three views and every smoothness share them; this memo keeps the finished
results, keyed on the data's fingerprint and the frozen configs. Engine errors become
``st.error`` and a stop, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from cluster_core._memo import Memo
from cluster_core.errors import ClusterCoreError
from cluster_core.strategies import BacktestConfig, BacktestResult
from cluster_core.walkforward import PeerHistory, StabilityResult, run_backtest, run_peer_history, run_stability
from pages._results import Session

T = TypeVar("T")
_WALK_CACHE = Memo(size=16, max_bytes=512 * 2**20)


def backtest_result(session: Session, config: BacktestConfig) -> BacktestResult:
    """Walk-forward result for the current settings (cached), with a progress bar while it runs."""
    key = (session.data.fingerprint, session.features, session.universe, session.prep, session.clustering, config)
    return _walk_forward(key, lambda progress: run_backtest(session.data, session.features, session.universe,
                                                            session.prep, session.clustering, config,
                                                            progress=progress))


def stability_result(session: Session, smoothness: float, months: int) -> StabilityResult:
    """Month-to-month stability of the published clusters (cached), with a progress bar while it runs."""
    key = ("stability", session.data.fingerprint, session.features, session.universe, session.prep,
           session.clustering, smoothness, months)
    return _walk_forward(key, lambda progress: run_stability(session.data, session.features, session.universe,
                                                             session.prep, session.clustering, months,
                                                             progress=progress, smoothness=smoothness))


def peer_history(session: Session, smoothness: float, z_threshold: float, include_pegged: bool) -> PeerHistory:
    """Peer laggards at every month end and the month after (cached), with a progress bar while it runs."""
    key = ("peers", session.data.fingerprint, session.features, session.universe, session.prep, session.clustering,
           smoothness, z_threshold, include_pegged)
    return _walk_forward(key, lambda progress: run_peer_history(session.data, session.features, session.universe,
                                                                session.prep, session.clustering, smoothness,
                                                                z_threshold, progress=progress,
                                                                include_pegged=include_pegged))


def _walk_forward(key: tuple, compute: Callable[[Callable], T]) -> T:
    bar = st.empty()

    def progress(done: int, total: int, month: str, status: str) -> None:
        bar.progress(done / total, text=f"Walk-forward: re-clustering at {month} ({done}/{total})")

    try:
        result = _WALK_CACHE.get(key, lambda: compute(progress))
    except ClusterCoreError as exc:
        bar.empty()
        st.error(str(exc))
        st.stop()
        raise
    bar.empty()
    return result
