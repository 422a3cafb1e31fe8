"""The Robustness page's sweep: grid controls, a Dask run with progress and cancel, results kept per server.

A finished sweep is kept in a server-wide memo keyed on the data, the grid and the fixed
settings, so any session asking for the same sweep sees it at once; a cancelled one is
kept in the session (the settings done so far). The engine call is
:func:`cluster_core.sweep.sweep_steps`; closing it (a cancel reruns the page) cancels the
queued tasks.
"""

from __future__ import annotations

import os
import time
from contextlib import closing
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from cluster_core._memo import Memo
from cluster_core.errors import ClusterCoreError
from cluster_core.features import FeaturePreset, preset_of
from cluster_core.strategies import BacktestConfig, Strategy
from cluster_core.sweep import AXES, SweepBase, SweepGrid, SweepResult, sweep_returns, sweep_steps, sweep_table
from pages._results import Session
from pages._state import SWEEP_KS, SWEEP_LOOKBACKS, SWEEP_SMOOTHNESS, sync_state

_SWEEPS = Memo(size=8, max_bytes=64 * 2**20)
_PARTIAL = "robust.partial"
SCHEDULER_ENV = "CLUSTER_CORE_DASK_SCHEDULER"


@dataclass(frozen=True)
class Sweep:
    """A sweep to show: its key, grid and base, and the result when there is one."""

    key: tuple
    grid: SweepGrid
    base: SweepBase
    result: SweepResult | None


def grid_widgets() -> SweepGrid:
    """Draw the grid's five multiselects and the scheduler setting; return the grid."""
    cols = st.columns(5)
    cols[0].multiselect("Lookbacks (days)", SWEEP_LOOKBACKS, key="robust.lookbacks")
    cols[1].multiselect("k", SWEEP_KS, key="robust.ks", help="auto = the automatic choice of k every month")
    cols[2].multiselect("Feature presets", [p.value for p in FeaturePreset], key="robust.presets")
    cols[3].multiselect("Smoothness", SWEEP_SMOOTHNESS, key="robust.smoothness")
    cols[4].multiselect("Strategies", [s.value for s in Strategy], key="robust.strategies")
    sync_state()
    state = st.session_state
    return SweepGrid(lookback_days=tuple(state["robust.lookbacks"]),
                     k=tuple(None if k == "auto" else int(k) for k in state["robust.ks"]),
                     features=tuple(state["robust.presets"]), smoothness=tuple(state["robust.smoothness"]),
                     strategy=tuple(Strategy(s) for s in state["robust.strategies"]))


def current_setting(session: Session, config: BacktestConfig) -> dict[str, object]:
    """Return the sidebar's setting on the sweep's axes (``features`` is ``None`` for a custom pick)."""
    preset = preset_of(session.prep.features)
    k = session.clustering.n_clusters
    return {"lookback_days": session.features.lookback_days, "k": "auto" if k is None else str(k),
            "features": preset.value if preset else None, "smoothness": config.smoothness,
            "strategy": config.strategy.value}


def find_sweep(session: Session, grid: SweepGrid, config: BacktestConfig) -> Sweep:
    """Return the sweep the page asks for, with its result if this server has it (or this session a cancelled part).

    Raises
    ------
    ClusterCoreError
        A bad grid (:meth:`cluster_core.sweep.SweepGrid.validated`).
    """
    base = SweepBase(features=session.features, universe=session.universe, prep=session.prep,
                     clustering=session.clustering, backtest=config)
    grid = grid.validated(session.data, base)  # a bad grid is refused here, before any work
    key = (session.data.fingerprint, grid, base)
    result = _SWEEPS.peek(key)
    if result is None:
        partial = st.session_state.get(_PARTIAL)
        result = partial[1] if partial is not None and partial[0] == key else None
    return Sweep(key, grid, base, result)  # type: ignore[arg-type]


def run_with_progress(session: Session, sweep: Sweep, scheduler: str) -> SweepResult | None:
    """Run ``sweep`` on Dask with a progress bar and a Cancel button; keep what finishes.

    A click on Cancel reruns the page, which interrupts this run at its next progress
    update (at most a second later): the queued tasks are cancelled and the settings done
    so far stay in the session. An engine error is shown and ``None`` returned.
    """
    bar = st.progress(0.0, text="Starting the Dask workers...")
    cancel = st.empty()
    cancel.button("Cancel", key="robust.cancel", icon=":material/stop_circle:")
    started = time.perf_counter()
    step, partial_rows = None, ()
    try:
        with closing(sweep_steps(session.data, sweep.grid, sweep.base, scheduler=scheduler or None,
                                 heartbeat=1.0)) as steps:
            for step in steps:
                if step.rows and step.done != len(partial_rows):  # new rows (not a heartbeat)
                    partial_rows = step.rows
                    partial = SweepResult(sweep_table(step.rows, sweep.grid), sweep.grid, sweep.base, step.where,
                                          time.perf_counter() - started, step.done == step.total, step.notes,
                                          sweep_returns(step.rows))
                    st.session_state[_PARTIAL] = (sweep.key, partial)
                bar.progress(step.done / step.total,
                             text=f"{step.done}/{step.total} settings on {step.where} "
                                  f"({time.perf_counter() - started:.0f} s)"
                                  + (f"; last done: {step.last}" if step.last else ""))
    except ClusterCoreError as exc:
        bar.empty()
        cancel.empty()
        st.error(str(exc))
        return None
    bar.empty()
    cancel.empty()
    result = st.session_state[_PARTIAL][1] if step is not None and step.rows else None
    if result is not None and result.complete:
        _SWEEPS.put(sweep.key, result)
        st.session_state.pop(_PARTIAL, None)
    return result


def default_scheduler() -> str:
    """Return the scheduler address the app starts with (``$CLUSTER_CORE_DASK_SCHEDULER``; blank = this machine)."""
    return os.environ.get(SCHEDULER_ENV, "")


@dataclass(frozen=True)
class SweepRank:
    """Where the Backtest page's setting stands in a finished sweep of this server."""

    n_settings: int
    beaten: float  # share of the sweep's settings with a lower CAGR
    deflated_sharpe: float
    pbo: float | None
    rotation_beats_btc: tuple[int, int] = (0, 0)  # rotation settings of the sweep that beat BTC, of how many


def rank_in_sweeps(session: Session, config: BacktestConfig) -> SweepRank | None:
    """Return the setting's rank, deflated Sharpe and the sweep's PBO from a kept sweep that holds it, or None.

    A kept sweep counts when it ran on the same data, universe, features (outside its axes)
    and strategy settings (outside its axes); the newest such sweep is used.
    """
    here = current_setting(session, config)
    for key in reversed(_SWEEPS.keys()):
        result = _SWEEPS.peek(key)
        if result is None or key[0] != session.data.fingerprint or not _same_base(result.base, session, config):
            continue
        table = result.table
        match = table[(table[list(AXES)].astype(str) == pd.Series({a: str(here[a]) for a in AXES})).all(axis=1)]
        if match.empty or pd.isna(match["cagr"].iloc[0]):
            continue
        overfit = result.overfitting()
        ran = table["cagr"].dropna()
        rotation = table[(table["strategy"] == Strategy.ROTATION.value) & table["cagr"].notna()]
        return SweepRank(len(table), float((ran < match["cagr"].iloc[0]).mean()),
                         float(match["deflated_sharpe"].iloc[0]), None if overfit is None else overfit.pbo,
                         (int(rotation["beats_btc"].sum()), len(rotation)))
    return None


def _same_base(base: SweepBase, session: Session, config: BacktestConfig) -> bool:
    axes_free = {"strategy": config.strategy, "smoothness": config.smoothness}
    return (base.universe == session.universe and base.clustering.method == session.clustering.method
            and replace(base.backtest, **axes_free) == config
            and replace(base.features, lookback_days=session.features.lookback_days) == session.features)
