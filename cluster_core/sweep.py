"""Is the result robust? The monthly walk-forward over a grid of settings, on Dask.

A sweep varies five settings (:data:`AXES`: lookback, k, feature preset, smoothness,
strategy) around a base of the usual frozen configs (:class:`SweepBase`) and runs the
existing walk-forward (:func:`cluster_core.walkforward.run_backtest`) unchanged for every
combination, so each row keeps its no-look-ahead guarantee and equals the single run with
the same settings. The table has one row per setting (:data:`SWEEP_COLUMNS`).

Cells that share lookback, k and preset share their monthly fits, so they run as one task,
in order, in one worker (its fit cache does the sharing). The tasks run on a
``dask.distributed`` cluster: an in-process :class:`~distributed.LocalCluster` with one
single-threaded worker per core by default (:func:`local_cluster`), or the scheduler at an
address the user gives. The market data go to the workers once (scattered). ``serial``
runs the same tasks in this process, for comparison and tests.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cluster_core._typing import ProgressCallback
from cluster_core._validation import check_enum, check_int
from cluster_core.clustering import ClusterConfig, ClusterMethod, validated_smoothness
from cluster_core.data import MarketData
from cluster_core.errors import ClusterCoreError, ClusterLost, DataError, ParameterError
from cluster_core.features import FeatureConfig, FeaturePreset, PrepConfig, resolve_features
from cluster_core.history import changes
from cluster_core.pipeline import UniverseConfig
from cluster_core.strategies import (
    BacktestConfig,
    Overfitting,
    Strategy,
    deflated_sharpe,
    probability_of_overfitting,
    rebalance_dates,
)
from cluster_core.walkforward import monthly, run_backtest

__all__ = [
    "AXES",
    "AXIS_LABELS",
    "METRIC_INFO",
    "MAX_CELLS",
    "SWEEP_COLUMNS",
    "SweepBase",
    "SweepCell",
    "SweepGrid",
    "SweepResult",
    "SweepStep",
    "MetricInfo",
    "local_cluster",
    "parse_axis",
    "run_cell",
    "run_sweep",
    "setting_label",
    "sweep_returns",
    "sweep_pivot",
    "sweep_steps",
    "sweep_table",
]

AXES = ("lookback_days", "k", "features", "smoothness", "strategy")
METRICS = ("cagr", "sharpe", "deflated_sharpe", "max_drawdown", "volatility", "turnover", "cost_drag", "ari_median",
           "silhouette_mean", "k_median", "btc_cagr", "equal_weight_cagr", "excess_vs_btc", "beats_btc",
           "beats_equal_weight", "months", "cash_months")
SWEEP_COLUMNS = (*AXES, *METRICS, "start", "end", "note")


@dataclass(frozen=True)
class MetricInfo:
    """How a sweep metric reads: its label, whether it is a share, and which way is better."""

    label: str
    percent: bool
    higher_is_better: bool | None


METRIC_INFO = {
    "cagr": MetricInfo("CAGR", True, True),
    "excess_vs_btc": MetricInfo("CAGR minus BTC's", True, True),
    "sharpe": MetricInfo("Sharpe", False, True),
    "deflated_sharpe": MetricInfo("Deflated Sharpe (probability of skill)", False, True),
    "max_drawdown": MetricInfo("Max drawdown", True, True),
    "volatility": MetricInfo("Volatility", True, False),
    "turnover": MetricInfo("Turnover / month", True, False),
    "cost_drag": MetricInfo("Cost drag / year", True, False),
    "ari_median": MetricInfo("Month-to-month ARI (median)", False, True),
    "silhouette_mean": MetricInfo("Silhouette (mean)", False, True),
    "k_median": MetricInfo("k chosen (median)", False, None),
    "beats_btc": MetricInfo("Share beating BTC", True, True),
    "beats_equal_weight": MetricInfo("Share beating equal weight", True, True),
}
AXIS_LABELS = {"lookback_days": "Lookback (days)", "k": "k", "features": "Feature preset",
               "smoothness": "Smoothness", "strategy": "Strategy"}
MAX_CELLS = 5000


def _k_text(k: int | None) -> str:
    return "auto" if k is None else str(k)


@dataclass(frozen=True)
class SweepCell:
    """One setting of the grid; :meth:`configs` turns it into the walk-forward's configs."""

    lookback_days: int
    k: int | None
    features: str
    smoothness: float
    strategy: Strategy

    def configs(self, base: SweepBase) -> tuple[FeatureConfig, UniverseConfig | None, PrepConfig, ClusterConfig,
                                                BacktestConfig]:
        """Return the base's configs with this cell's five settings put in."""
        return (replace(base.features, lookback_days=self.lookback_days), base.universe,
                replace(base.prep, features=resolve_features(self.features)),
                replace(base.clustering, n_clusters=self.k),
                replace(base.backtest, smoothness=self.smoothness, strategy=self.strategy))

    @property
    def fits_key(self) -> tuple[int, int | None, str]:
        """Cells with the same key share their monthly fits (smoothness and strategy only act on them)."""
        return self.lookback_days, self.k, self.features

    def label(self) -> str:
        """Return ``90 d, k=auto, behaviour, s=0.6, diversified``."""
        return (f"{self.lookback_days} d, k={_k_text(self.k)}, {self.features}, s={self.smoothness:g}, "
                f"{self.strategy.value}")


@dataclass(frozen=True)
class SweepBase:
    """The settings a sweep does not vary (the sidebar's, on the Robustness page).

    The grid replaces ``features.lookback_days``, ``prep.features``,
    ``clustering.n_clusters``, ``backtest.smoothness`` and ``backtest.strategy``.
    """

    features: FeatureConfig = field(default_factory=FeatureConfig)
    universe: UniverseConfig | None = None
    prep: PrepConfig = field(default_factory=PrepConfig)
    clustering: ClusterConfig = field(default_factory=ClusterConfig)
    backtest: BacktestConfig = field(default_factory=BacktestConfig)


@dataclass(frozen=True)
class SweepGrid:
    """The values each axis takes (:data:`AXES`); the sweep runs every combination.

    Parameters
    ----------
    lookback_days : tuple of int, default=(30, 60, 90, 180)
    k : tuple of int or None, default=(4, 6, 8, 10, None)
        ``None`` = automatic k. Only K-Means and hierarchical clustering take a k.
    features : tuple of str, default=("behaviour", "seed", "all")
        Feature presets (:class:`cluster_core.features.FeaturePreset`).
    smoothness : tuple of float, default=(0.0, 0.6, 0.9)
    strategy : tuple of Strategy, default=(diversified, rotation)
    """

    lookback_days: tuple[int, ...] = (30, 60, 90, 180)
    k: tuple[int | None, ...] = (4, 6, 8, 10, None)
    features: tuple[str, ...] = tuple(p.value for p in FeaturePreset)
    smoothness: tuple[float, ...] = (0.0, 0.6, 0.9)
    strategy: tuple[Strategy, ...] = tuple(Strategy)

    @property
    def size(self) -> int:
        """Number of settings."""
        return math.prod(len(getattr(self, axis)) for axis in AXES)

    def cells(self) -> list[SweepCell]:
        """Every setting, in grid order (the last axis varies fastest)."""
        return [SweepCell(*values) for values in itertools.product(*(getattr(self, axis) for axis in AXES))]

    def validated(self, data: MarketData, base: SweepBase) -> SweepGrid:
        """Return a checked copy (values unique, in the given order); raise with the fix before any work.

        Raises
        ------
        ParameterError
            An empty axis, an unknown preset or strategy, a k below 2 or not below the
            number of symbols, a k axis with a method that takes none, a smoothness outside
            [0, 0.9], more than :data:`MAX_CELLS` settings.
        DataError
            A lookback that leaves fewer than two month ends in the data.
        """
        for axis in AXES:
            if not getattr(self, axis):
                raise ParameterError(f"The sweep's {axis} list is empty; give at least one value.")
        n_symbols = len(data.symbols)
        lookbacks = _unique(check_int("lookback_days", d, 7, 3650) for d in self.lookback_days)
        for days in lookbacks:
            if len(rebalance_dates(data, days)) < 2:
                raise DataError(f"A {days}-day lookback leaves fewer than 2 month ends in the data "
                                f"({data.start:%Y-%m-%d} to {data.end:%Y-%m-%d}); drop it from the sweep.")
        ks = _unique(None if k is None else check_int("k", k, 2, 10_000) for k in self.k)
        too_big = [k for k in ks if k is not None and k >= n_symbols]
        if too_big:
            raise ParameterError(f"k={too_big[0]} needs more than {too_big[0]} symbols; the data has {n_symbols}. "
                                 "Drop it from the sweep.")
        method = check_enum("method", base.clustering.method, ClusterMethod)
        if ks != [None] and method not in (ClusterMethod.KMEANS, ClusterMethod.HIERARCHICAL):
            raise ParameterError(f"{method.value} takes no k; sweep k with K-Means or hierarchical clustering, "
                                 "or leave the k list at auto.")
        presets = _unique(check_enum("features", f, FeaturePreset).value for f in self.features)
        grid = SweepGrid(tuple(lookbacks), tuple(ks), tuple(presets),
                         tuple(_unique(validated_smoothness(s) for s in self.smoothness)),
                         tuple(_unique(check_enum("strategy", s, Strategy) for s in self.strategy)))
        if grid.size > MAX_CELLS:
            raise ParameterError(f"The sweep has {grid.size} settings; at most {MAX_CELLS}. Drop values from an axis.")
        base.clustering.validated(n_samples=n_symbols)
        base.backtest.validated()
        return grid


def _unique(values: Iterator) -> list:
    return list(dict.fromkeys(values))


def parse_axis(axis: str, text: str) -> tuple:
    """Parse a comma-separated CLI list for ``axis`` (``30,60,90``, ``4,6,auto``); raise :class:`ParameterError`."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ParameterError(f"The sweep's {axis} list is empty; give comma-separated values.")
    try:
        if axis == "lookback_days":
            return tuple(int(p) for p in parts)
        if axis == "k":
            return tuple(None if p == "auto" else int(p) for p in parts)
        if axis == "smoothness":
            return tuple(float(p) for p in parts)
    except ValueError:
        raise ParameterError(f"The sweep's {axis} list must hold numbers{' or auto' if axis == 'k' else ''}; "
                             f"got {text!r}.") from None
    return tuple(parts)


def run_cell(data: MarketData, cell: SweepCell, base: SweepBase | None = None) -> dict[str, object]:
    """Run one setting's walk-forward (:func:`cluster_core.walkforward.run_backtest`) and summarise it in a row.

    The metrics come from the backtest (strategy, BTC and equal-weight curves over the same
    months) and from its published monthly clusters: ``ari_median`` between consecutive
    months, ``silhouette_mean``, ``k_median``. A setting the engine refuses gives a row of
    missing metrics with the reason in ``note``.
    """
    base = base or SweepBase()
    features, universe, prep, clustering, backtest = cell.configs(base)
    row: dict[str, object] = {"lookback_days": cell.lookback_days, "k": _k_text(cell.k), "features": cell.features,
                              "smoothness": cell.smoothness, "strategy": cell.strategy.value}
    try:
        result = run_backtest(data, features, universe, prep, clustering, backtest)
        walked = monthly(data, features, universe, prep, clustering, backtest.smoothness)
    except ClusterCoreError as exc:
        return {**row, **dict.fromkeys(METRICS, np.nan), "start": pd.NaT, "end": pd.NaT, "note": str(exc)}
    metrics = result.metrics
    months = walked.months
    aris = [changes(before, now)[0] for before, now in itertools.pairwise(months)]
    silhouettes = [m.silhouette for m in months if np.isfinite(m.silhouette)]
    strategy, btc, ew = (metrics.loc[name, "CAGR"] for name in ("strategy", "BTC", "equal_weight"))
    row.update({
        "cagr": strategy, "sharpe": metrics.loc["strategy", "sharpe"],
        "max_drawdown": metrics.loc["strategy", "max_drawdown"], "volatility": metrics.loc["strategy", "volatility"],
        "turnover": metrics.loc["strategy", "avg_turnover"], "cost_drag": metrics.loc["strategy", "cost_drag"],
        "ari_median": float(np.median(aris)) if aris else np.nan,
        "silhouette_mean": float(np.mean(silhouettes)) if silhouettes else np.nan,
        "k_median": float(np.median([m.k for m in months])) if months else np.nan,
        "btc_cagr": btc, "equal_weight_cagr": ew, "excess_vs_btc": strategy - btc,
        "beats_btc": bool(strategy > btc), "beats_equal_weight": bool(strategy > ew),
        "months": len(result.rows), "cash_months": int((result.rows["holdings"] == "").sum()),
        "start": result.rows["date"].iloc[0], "end": result.rows["period_end"].iloc[-1],
        "note": "; ".join(result.notes),
        RETURNS_KEY: pd.Series(result.rows["period_return"].to_numpy(), index=result.rows["period_end"].to_numpy()),
    })
    return row


RETURNS_KEY = "_monthly_returns"  # a row's monthly returns (period end -> return), kept out of the table


def setting_label(row: dict[str, object] | pd.Series) -> str:
    """Name a sweep row's setting in one string: ``90 d, k=auto, behaviour, smooth 0.6, diversified``."""
    return (f"{row['lookback_days']} d, k={row['k']}, {row['features']}, smooth {row['smoothness']:g}, "
            f"{row['strategy']}")


def sweep_returns(rows: Sequence[dict[str, object]]) -> pd.DataFrame:
    """Return the months x settings matrix of the rows' monthly returns (NaN where a setting has no month)."""
    columns = {setting_label(r): r[RETURNS_KEY] for r in rows if isinstance(r.get(RETURNS_KEY), pd.Series)}
    if not columns:
        return pd.DataFrame()
    return pd.DataFrame(columns).sort_index().sort_index(axis=1)  # one order whatever order the rows came in


def _run_group(data: MarketData, cells: Sequence[SweepCell], base: SweepBase) -> list[dict[str, object]]:
    """Run cells that share their monthly fits, in order, in one process (its fit cache shares them)."""
    return [run_cell(data, cell, base) for cell in cells]


@dataclass(frozen=True)
class SweepStep:
    """Where a running sweep is: settings done, of how many, the last group finished, what runs it."""

    done: int
    total: int
    rows: tuple[dict[str, object], ...]
    last: str
    where: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A finished (or cancelled) sweep.

    Attributes
    ----------
    table : DataFrame
        :data:`SWEEP_COLUMNS`, one row per setting done, in grid order.
    grid : SweepGrid
        The validated grid.
    base : SweepBase
    where : str
        What ran it: ``serial``, ``LocalCluster (2 workers)``, ``tcp://host:8786 (4 workers)``.
    seconds : float
    complete : bool
        ``False`` when it was cancelled before every setting ran.
    notes : tuple of str
        E.g. a scheduler that could not be reached, and what ran instead.
    returns : DataFrame
        Months x settings (:func:`setting_label`): every setting's monthly returns.
    """

    table: pd.DataFrame
    grid: SweepGrid
    base: SweepBase
    where: str
    seconds: float
    complete: bool
    notes: tuple[str, ...] = ()
    returns: pd.DataFrame = field(default_factory=pd.DataFrame)

    def overfitting(self, n_blocks: int = 16) -> Overfitting | None:
        """Return the sweep's probability of backtest overfitting (CSCV on the months all settings cover), or None.

        None when fewer than 2 settings or 4 shared months ran. Computed once per result and block
        count (half a second for 360 settings): the Robustness and Backtest pages ask on every rerun.
        """
        kept = self.__dict__.setdefault("_overfitting", {})  # a frozen value's private memo, not a field
        if n_blocks not in kept:
            try:
                kept[n_blocks] = probability_of_overfitting(self.returns, n_blocks)
            except DataError:
                kept[n_blocks] = None
        return kept[n_blocks]


def sweep_table(rows: Sequence[dict[str, object]], grid: SweepGrid) -> pd.DataFrame:
    """Put rows in grid order with the :data:`SWEEP_COLUMNS`."""
    order = {(c.lookback_days, _k_text(c.k), c.features, c.smoothness, c.strategy.value): i
             for i, c in enumerate(grid.cells())}
    table = pd.DataFrame(list(rows), columns=list(SWEEP_COLUMNS))
    if table.empty:
        return table
    returns = sweep_returns(rows)
    if not returns.empty:  # every setting run is a trial: the deflation counts them all
        table["deflated_sharpe"] = deflated_sharpe(returns).reindex([setting_label(r) for r in rows]).to_numpy()
    position = [order[tuple(r)] for r in table[list(AXES)].itertuples(index=False)]
    return table.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)


def sweep_steps(
    data: MarketData,
    grid: SweepGrid,
    base: SweepBase | None = None,
    *,
    scheduler: str | None = None,
    serial: bool = False,
    heartbeat: float | None = None,
) -> Iterator[SweepStep]:
    """Run a sweep and yield a :class:`SweepStep` after every finished group of settings.

    With ``heartbeat`` (seconds; Dask only) a step with nothing new is also yielded when
    that long passes without a group finishing, so a UI can react to its user. Closing
    the generator (or an exception in the loop that drives it) cancels the tasks still
    queued, so a user's cancel stops the work. The grid is validated before any work is
    scheduled.
    """
    base = base or SweepBase()
    grid = grid.validated(data, base)
    groups = [list(g) for _, g in itertools.groupby(sorted(grid.cells(), key=lambda c: _group_order(c, grid)),
                                                     key=lambda c: c.fits_key)]
    rows: list[dict[str, object]] = []
    if serial:
        for group in groups:
            rows.extend(_run_group(data, group, base))
            yield SweepStep(len(rows), grid.size, tuple(rows), _group_label(group), "serial")
        return
    from distributed import as_completed

    with _client(scheduler) as (client, where, notes):
        shared = client.scatter(data, broadcast=True, hash=False)
        futures = {client.submit(_run_group, shared, group, base, pure=False): group for group in groups}
        completed, last, beat = as_completed(futures, loop=client.loop), "", time.monotonic()
        try:
            while not completed.is_empty():
                batch = completed.next_batch(block=heartbeat is None)
                if not batch:  # nothing finished yet: a heartbeat now and then, so whoever drives this can stop it
                    if time.monotonic() - beat >= heartbeat:
                        beat = time.monotonic()
                        yield SweepStep(len(rows), grid.size, tuple(rows), last, where, notes)
                    time.sleep(0.05)
                    continue
                for future in sorted(batch, key=lambda f: groups.index(futures[f])):
                    rows.extend(_result(future, where))
                    last = _group_label(futures[future])
                beat = time.monotonic()
                yield SweepStep(len(rows), grid.size, tuple(rows), last, where, notes)
        finally:
            client.cancel(list(futures))


def _result(future: object, where: str) -> list[dict[str, object]]:
    """Return a sweep task's rows; the cluster failing under it is one clear error."""
    return task_result(future, where, "during the sweep", "Run it again.")  # type: ignore[return-value]


def task_result(future: object, where: str, during: str, then: str) -> object:
    """Return a Dask task's value; workers without the engine or a cluster failing under it: one clear error.

    ``where`` names the cluster, ``during`` what was running, ``then`` what to do next, e.g.
    "The Dask cluster (LocalCluster (2 workers)) failed during the sweep: KilledWorker: ... Run it again."
    """
    from concurrent.futures import CancelledError

    from distributed.scheduler import KilledWorker

    try:
        return future.result()  # type: ignore[attr-defined]
    except ImportError as exc:
        raise ClusterCoreError(f"The Dask workers of {where} cannot import the engine ({exc}); install this project "
                               "on them, or leave the scheduler blank to use this machine.") from None
    except (OSError, TimeoutError, KilledWorker, CancelledError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ClusterLost(f"The Dask cluster ({where}) failed {during}: {type(exc).__name__}: "
                               f"{reason}. {then}") from None


def _group_order(cell: SweepCell, grid: SweepGrid) -> tuple[int, ...]:
    """Slow groups (automatic k, long lookbacks) first, so the last task to finish is a short one."""
    auto = cell.k is None
    return (not auto, -cell.lookback_days, grid.k.index(cell.k), grid.features.index(cell.features),
            grid.smoothness.index(cell.smoothness), grid.strategy.index(cell.strategy))


def _group_label(group: Sequence[SweepCell]) -> str:
    first = group[0]
    return f"{first.lookback_days} d, k={_k_text(first.k)}, {first.features}"


def run_sweep(
    data: MarketData,
    grid: SweepGrid,
    base: SweepBase | None = None,
    *,
    scheduler: str | None = None,
    serial: bool = False,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> SweepResult:
    """Run every setting of ``grid`` through the walk-forward; return the table.

    Parameters
    ----------
    data : MarketData
    grid : SweepGrid
    base : SweepBase, optional
        The settings the grid does not vary.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); by default an
        in-process LocalCluster with one worker per core (:func:`local_cluster`). An
        unreachable address falls back to the local cluster, with a note.
    serial : bool, default=False
        Run in this process, one group after the other (no Dask).
    progress : callable, optional
        ``progress(done, total, group, status)`` after each finished group of settings.
    cancelled : callable, optional
        Polled after each group; when it returns ``True`` the queued tasks are cancelled
        and the settings done so far are returned (``complete=False``).

    Raises
    ------
    ParameterError, DataError
        A bad grid (:meth:`SweepGrid.validated`), before any work is scheduled.
    """
    base = base or SweepBase()
    start = time.perf_counter()
    validated = grid.validated(data, base)
    last = SweepStep(0, validated.size, (), "", "serial" if serial else "Dask")
    with closing(sweep_steps(data, validated, base, scheduler=scheduler, serial=serial)) as steps:
        for step in steps:
            last = step
            if progress is not None:
                progress(step.done, step.total, step.last, f"{step.done}/{step.total} settings")
            if cancelled is not None and cancelled():
                break
    return SweepResult(sweep_table(last.rows, validated), validated, base, last.where, time.perf_counter() - start,
                       last.done == validated.size, last.notes, sweep_returns(last.rows))


_LOCAL: dict[str, object] = {}
_LOCAL_LOCK = threading.Lock()


def local_cluster(n_workers: int | None = None) -> object:
    """Return the process's shared in-process ``LocalCluster`` (started on first use; a 1-thread worker per core).

    Workers are processes (the walk-forward holds the GIL in pandas code), each with its
    own fit cache that later sweeps reuse. ``n_workers`` other than the running cluster's
    starts a new one (the old one is closed); ``None`` keeps the running one, whatever its
    size, or starts one worker per core.
    """
    import dask
    from distributed import LocalCluster

    with _LOCAL_LOCK:
        cluster = _LOCAL.get("cluster")
        wanted = n_workers or (_LOCAL.get("n") if cluster is not None else None) or os.cpu_count() or 1
        if cluster is not None and (_LOCAL.get("n") != wanted or cluster.status.name != "running"):
            cluster.close()
            cluster = None
        if cluster is None:
            # Worker processes come from a fork server: started once, from a clean interpreter,
            # not forked from this process with its threads.
            dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
            _workers_never_import_main()
            # The scheduler's HTTP routes on a free loopback port, no dashboard: nothing is
            # exposed beyond this machine, and no clash with a user's own Dask on :8787.
            cluster = LocalCluster(n_workers=wanted, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                                   silence_logs=40)
            _LOCAL.update(cluster=cluster, n=wanted)
        return cluster


DASK_WORKER_PROCESS = "Dask Worker process (from Nanny)"  # the name distributed's nanny gives its worker processes


def _workers_never_import_main() -> None:
    """Start Dask worker processes without running this process's ``__main__`` again (installed once).

    Python's ``spawn`` and ``forkserver`` start methods run the parent's main module in
    every new process, whenever it starts: at the cluster's start and at each restart of a
    worker that died. Under Streamlit the main module is the page script that ran last, with
    no ``__name__`` guard: a restarted worker ran that page in Streamlit's bare mode, and
    where the run failed the worker never came back, so every walk-forward after a crash
    waited 90 s for one. The workers
    need nothing from ``__main__`` (their tasks are the engine's functions), so its entries
    are left out of the data a worker process starts from.
    """
    from multiprocessing import spawn

    original = spawn.get_preparation_data
    if getattr(original, "without_main_for_dask_workers", False):
        return

    def get_preparation_data(name: str) -> dict[str, object]:
        data = original(name)
        if name == DASK_WORKER_PROCESS:
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    get_preparation_data.without_main_for_dask_workers = True  # type: ignore[attr-defined]
    spawn.get_preparation_data = get_preparation_data


@contextmanager
def _client(scheduler: str | None) -> Iterator[tuple[object, str, tuple[str, ...]]]:
    """Connect to ``scheduler``, or to the local cluster (with a note when ``scheduler`` is unreachable)."""
    from distributed import Client

    client, notes = None, ()
    if scheduler:
        try:
            client = Client(scheduler, timeout="5s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            notes = (f"No Dask scheduler reachable at {scheduler} ({reason}); ran on this machine's cores instead.",)
    if client is None:
        cluster = local_cluster()
        client = Client(cluster, set_as_default=False)
        where = f"LocalCluster ({len(cluster.workers)} workers)"
    else:
        where = f"{scheduler} ({len(client.scheduler_info().get('workers', {}))} workers)"
        try:
            check_workers(client, scheduler)
        except BaseException:
            client.close()
            raise
    try:
        yield client, where, notes
    finally:
        client.close()


def check_workers(client: object, address: str) -> None:
    """Raise one clear :class:`ClusterCoreError` if a worker of ``address`` cannot import the engine.

    Asked before any data or task is sent: otherwise the first task fails on the worker
    with a bare ``ModuleNotFoundError`` that reaches the user as a traceback.
    """

    def probe() -> str:  # a local function: sent by value, so a worker without the engine can run it
        import importlib

        try:
            importlib.import_module("cluster_core.sweep")
        except Exception as exc:  # noqa: BLE001  reported back, whatever it is
            return f"{type(exc).__name__}: {exc}"
        return ""

    try:
        answers = client.run(probe)  # type: ignore[attr-defined]
    except (OSError, TimeoutError) as exc:
        raise ClusterCoreError(f"The Dask workers of {address} did not answer ({type(exc).__name__}).") from None
    broken = {worker: problem for worker, problem in answers.items() if problem}
    if not answers:
        raise ClusterCoreError(f"The Dask scheduler at {address} has no workers; start one with "
                               f"`.venv/bin/dask worker {address}` (see the README).")
    if broken:
        worker, problem = next(iter(broken.items()))
        raise ClusterCoreError(
            f"{len(broken)} of {len(answers)} Dask worker(s) at {address} cannot import the engine (first: {worker}: "
            f"{problem}); start each worker from this project's .venv (`make run` or `make test` installs the "
            f"engine there), e.g. `.venv/bin/dask worker {address}` (see the README)."
        )


def sweep_pivot(
    table: pd.DataFrame, metric: str, x: str, y: str, fixed: dict[str, object] | None = None,
) -> pd.DataFrame:
    """Tabulate ``metric`` over two axes: rows ``y``, columns ``x``; other axes at ``fixed`` values or averaged.

    Parameters
    ----------
    table : DataFrame
        :attr:`SweepResult.table`.
    metric : str
        One of the metric columns (booleans give the share of settings).
    x, y : str
        Two different :data:`AXES`.
    fixed : dict, optional
        Axis -> value for the axes held fixed; the axes not named are averaged over.

    Raises
    ------
    ParameterError
        Unknown metric or axis, the same axis twice, or a fixed value no row has.
    """
    if metric not in METRICS:
        raise ParameterError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")
    if x not in AXES or y not in AXES or x == y:
        raise ParameterError(f"Choose two different axes of {', '.join(AXES)}; got {x!r} and {y!r}.")
    rows = table
    for axis, value in (fixed or {}).items():
        if axis in (x, y):
            continue
        rows = rows[rows[axis] == value]
        if rows.empty:
            raise ParameterError(f"No setting in the sweep has {axis} = {value!r}.")
    values = rows[metric].astype(float)
    pivot = values.groupby([rows[y], rows[x]], sort=False).mean().unstack(x)
    return pivot.reindex(index=_axis_order(table, y), columns=_axis_order(table, x))


def _axis_order(table: pd.DataFrame, axis: str) -> list:
    return list(dict.fromkeys(table[axis]))
