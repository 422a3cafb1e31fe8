"""Month-by-month results for the pages (backtest, stability, peers over time), with a progress bar.

The engine computes and keeps them (:mod:`cluster_core.offload`): on worker processes
when the server enabled them (``serve.py`` does), so this script thread only waits and
shows the progress, also of a computation another session started. Engine errors become
``st.error`` and a stop, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from cluster_core import offload
from cluster_core.errors import ClusterCoreError
from cluster_core.strategies import BacktestConfig, BacktestResult
from cluster_core.walkforward import PeerHistory, StabilityResult
from pages._results import Session

T = TypeVar("T")


def backtest_result(session: Session, config: BacktestConfig) -> BacktestResult:
    """Walk-forward result for the current settings (cached), with a progress bar while it runs."""
    return _walk_forward(lambda progress: offload.backtest(session.data, session.features, session.universe,
                                                           session.prep, session.clustering, config, progress))


def stability_result(session: Session, smoothness: float, months: int) -> StabilityResult:
    """Month-to-month stability of the published clusters (cached), with a progress bar while it runs."""
    return _walk_forward(lambda progress: offload.stability(session.data, session.features, session.universe,
                                                            session.prep, session.clustering, smoothness, months,
                                                            progress))


def peer_history(session: Session, smoothness: float, z_threshold: float, include_pegged: bool) -> PeerHistory:
    """Peer laggards at every month end and the month after (cached), with a progress bar while it runs."""
    return _walk_forward(lambda progress: offload.peer_history(session.data, session.features, session.universe,
                                                               session.prep, session.clustering, smoothness,
                                                               z_threshold, include_pegged, progress))


def _walk_forward(compute: Callable[[Callable], T]) -> T:
    bar = st.empty()
    where = " (worker processes)" if offload.workers_enabled() else ""

    def progress(done: int, total: int, month: str, status: str) -> None:
        bar.progress(done / total, text=f"Walk-forward{where}: re-clustered {month} ({done}/{total} month ends)")

    try:
        result = compute(progress)
    except ClusterCoreError as exc:
        bar.empty()
        st.error(str(exc))
        st.stop()
        raise
    bar.empty()
    return result
