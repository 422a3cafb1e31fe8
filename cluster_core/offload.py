"""Month-by-month results (backtest, stability, peers over time), cached, computed on worker processes.

A walk-forward refits the clustering at every month end: seconds of CPU that, run in a
web server's script threads, hold the GIL the other sessions need and share two cores
with everything else. Here each month end's own fit is one task on the Dask
``LocalCluster`` the sweep uses (:func:`cluster_core.sweep.local_cluster`: a
single-threaded worker process per core, BLAS single-threaded), and the result is
assembled by one more task on a worker; the caller's thread only waits and reports
progress. Two callers asking for the same month ends share the tasks (their keys are the
settings' tokens), and each sees the progress. Finished results are kept here, so a page,
the warm-up and the next analyst make one call and read the same cache.

With workers off (:func:`set_workers`, ``CLUSTER_CORE_WORKERS=off``; the default outside
the server) the same functions compute in the calling thread. The results are the same
either way: the tasks run the unchanged engine functions.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from cluster_core._memo import Memo
from cluster_core._typing import ProgressCallback
from cluster_core.clustering import ClusterConfig, validated_smoothness
from cluster_core.data import MarketData
from cluster_core.errors import ClusterCoreError, ClusterLost
from cluster_core.features import FeatureConfig, PrepConfig
from cluster_core.pipeline import UniverseConfig
from cluster_core.strategies import BacktestConfig, BacktestResult
from cluster_core.walkforward import (
    PeerHistory,
    StabilityResult,
    month_ends,
    own_fits,
    run_backtest,
    run_peer_history,
    run_stability,
)

__all__ = ["WARMING_SAYS", "Warming", "backtest", "clear", "foreground", "peer_history", "prefetching", "set_workers",
           "stability", "warming", "workers_enabled", "workers_unavailable"]

WORKERS_ENV = "CLUSTER_CORE_WORKERS"
_RESULTS = Memo(size=32, max_bytes=512 * 2**20)  # finished results, shared by every caller in this process
_STATE: dict[str, Any] = {"enabled": os.environ.get(WORKERS_ENV, "off").strip().lower() not in {"", "0", "off"}}
_LOCK = threading.Lock()
_SCATTERED: dict[str, object] = {}  # data fingerprint -> its future on the workers (the newest few)
_WARMING: set[tuple] = set()  # keys of the results :func:`prefetching` started and not yet kept
_KEEP_DATA = 4


def set_workers(enabled: bool) -> None:
    """Compute on the local cluster's worker processes (True) or in the calling thread (False)."""
    _STATE["enabled"] = bool(enabled)


def workers_enabled() -> bool:
    """Whether month-by-month results are computed on worker processes."""
    return bool(_STATE["enabled"])


def workers_unavailable() -> str | None:
    """Why the worker processes could not be started (then everything computes in-process), or None."""
    return _STATE.get("unavailable")


def clear() -> None:
    """Forget the finished results (benchmarks measure from scratch)."""
    _RESULTS.clear()


def backtest(data: MarketData, features: FeatureConfig | None, universe: UniverseConfig | None,
             prep: PrepConfig | None, clustering: ClusterConfig | None, config: BacktestConfig,
             progress: ProgressCallback | None = None) -> BacktestResult:
    """:func:`cluster_core.walkforward.run_backtest`, cached, on the workers when they are enabled."""
    args = (features, universe, prep, clustering, config)
    return _result("backtest", data, args, progress, "A monthly walk-forward")


def stability(data: MarketData, features: FeatureConfig | None, universe: UniverseConfig | None,
              prep: PrepConfig | None, clustering: ClusterConfig | None, smoothness: float, months: int | None,
              progress: ProgressCallback | None = None) -> StabilityResult:
    """:func:`cluster_core.walkforward.run_stability`, cached, on the workers when they are enabled."""
    args = (features, universe, prep, clustering, smoothness, months)
    return _result("stability", data, args, progress, "Month-to-month stability")


def peer_history(data: MarketData, features: FeatureConfig | None, universe: UniverseConfig | None,
                 prep: PrepConfig | None, clustering: ClusterConfig | None, smoothness: float, z_threshold: float,
                 include_pegged: bool, progress: ProgressCallback | None = None) -> PeerHistory:
    """:func:`cluster_core.walkforward.run_peer_history`, cached, on the workers when they are enabled."""
    args = (features, universe, prep, clustering, smoothness, z_threshold, include_pegged)
    return _result("peers", data, args, progress, "Peers over time")


def _run(kind: str, data: MarketData, args: tuple, progress: ProgressCallback | None) -> object:
    """Run one month-by-month computation with the engine's own function (here, or on a worker)."""
    if kind == "backtest":
        features, universe, prep, clustering, config = args
        return run_backtest(data, features, universe, prep, clustering, config, progress=progress)
    if kind == "stability":
        features, universe, prep, clustering, smoothness, months = args
        return run_stability(data, features, universe, prep, clustering, months, progress=progress,
                             smoothness=smoothness)
    features, universe, prep, clustering, smoothness, z_threshold, include_pegged = args
    return run_peer_history(data, features, universe, prep, clustering, smoothness, z_threshold,
                            progress=progress, include_pegged=include_pegged)


WARMING_SAYS = "is being computed in the background."  # the end of every Warming message


class Warming(ClusterCoreError):
    """Raised instead of a result while :func:`prefetching`: the result is being computed in the background."""


@contextmanager
def prefetching() -> Iterator[None]:
    """Within this block, a result not yet kept is started in the background and :class:`Warming` is raised.

    The server's start-up runs the Backtest and Stability pages once with their default
    settings inside this block (before it listens, in a second or two): the walk-forwards
    those pages ask for then compute on the workers while the server already serves, once
    the server is quiet (:func:`foreground`), and the first analyst to open them finds them
    done, or joins the running tasks.
    """
    _STATE["prefetch"] = True
    try:
        yield
    finally:
        _STATE["prefetch"] = False


def warming() -> list[str]:
    """Return the kinds of the results still being computed by :func:`prefetching`."""
    with _LOCK:
        return [key[0] for key in _WARMING]


QUIET_S = 4.0  # what :func:`prefetching` started computes once no foreground work began for this long
QUIET_AT_MOST_S = 30.0  # ... or this long after it was asked for, however busy the server is


def foreground() -> None:
    """Note foreground work starting now: an analyst's page run, or the server about to listen.

    The results :func:`prefetching` starts wait until there has been none for
    :data:`QUIET_S` (at most :data:`QUIET_AT_MOST_S`): on a fresh server the first analyst's
    landing page, and the browser drawing it on the same small machine, get the cores
    before the background walk-forwards take them. An analyst who opens the page in the
    meantime computes the result at once (the warm-up then finds it kept).
    """
    _STATE["foreground"] = time.monotonic()


def _wait_for_quiet(asked: float) -> None:
    while (now := time.monotonic()) < asked + QUIET_AT_MOST_S:
        quiet_at = max(asked, _STATE.get("foreground", 0.0)) + QUIET_S
        if now >= quiet_at:
            return
        time.sleep(min(quiet_at, asked + QUIET_AT_MOST_S) - now)


def _warm(kind: str, data: MarketData, args: tuple, what: str, key: tuple, asked: float) -> None:
    try:
        _wait_for_quiet(asked)
        # An analyst who opened the page meantime computed it or is computing it: on the
        # workers the same task keys are shared, here the cache's single flight joins them.
        if not workers_enabled():
            _RESULTS.get(key, lambda: _run(kind, data, args, None))
        elif _RESULTS.peek(key) is None:
            _RESULTS.put(key, _on_workers(kind, data, args, None, what))
    except Exception:  # noqa: BLE001, S110  a failed warm-up only costs the first visitor time; the page reports
        pass
    finally:
        with _LOCK:
            _WARMING.discard(key)


def _result(kind: str, data: MarketData, args: tuple, progress: ProgressCallback | None, what: str) -> Any:
    key = (kind, data.fingerprint, *args)
    kept = _RESULTS.peek(key)
    if kept is not None:
        return kept
    if _STATE.get("prefetch"):
        with _LOCK:
            started = key in _WARMING
            _WARMING.add(key)
        if not started:
            threading.Thread(target=_warm, args=(kind, data, args, what, key, time.monotonic()),
                             name=f"warm-{kind}", daemon=True).start()
        raise Warming(f"{what} {WARMING_SAYS}")
    if not workers_enabled():
        return _RESULTS.get(key, lambda: _run(kind, data, args, progress))
    # No single flight here: a second caller submits the same task keys, so Dask runs them
    # once, and each caller watches (and shows) the progress of the shared tasks.
    value = _on_workers(kind, data, args, progress, what)
    _RESULTS.put(key, value)
    return value


def _on_workers(kind: str, data: MarketData, args: tuple, progress: ProgressCallback | None, what: str) -> object:
    features, universe, prep, clustering = args[:4]
    fcfg = features or FeatureConfig()
    (clustering or ClusterConfig()).validated(n_samples=2**31)  # wrong whatever the month: said at once
    if kind != "backtest":
        validated_smoothness(args[4])
    dates = month_ends(data, fcfg, what)
    attempt = 1
    while True:
        try:
            client = _client()
        except Exception as exc:  # noqa: BLE001  no worker processes here (e.g. none may be started): compute in-process
            _STATE["enabled"] = False
            _STATE["unavailable"] = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
            return _run(kind, data, args, progress)
        if not _wait_for_a_worker(client):
            return _run(kind, data, args, progress)
        generation = _STATE.get("generation", 0)  # a failure starts new keys: a cancelled task is never handed back
        try:
            return _walk(client, kind, data, args, dates, fcfg, progress, generation)
        except ClusterLost:
            # Workers died under this walk (or right after the data was sent again, while the
            # scheduler still listed a dead one): forget the data and the keys, and once more.
            _forget(data, generation)
            if attempt == ATTEMPTS:
                raise
            attempt += 1


ATTEMPTS = 2  # a walk the cluster lost under it is run once more before its error is shown
WORKER_WAIT_S = 90  # how long a request waits for a restarted worker before computing in its own thread


def _wait_for_a_worker(client: Any) -> bool:
    """Whether a worker is there, after a crash waiting for the nannies to start new ones.

    Only the first request after the workers went missing waits (:data:`WORKER_WAIT_S`);
    while none has come back, the next ones compute in their own thread at once instead of
    each waiting in vain. The first request to find a worker again clears the mark.
    """
    if _STATE.get("workers_missing"):
        if not client.scheduler_info().get("workers"):
            return False
        _STATE["workers_missing"] = False
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError:
        _STATE["workers_missing"] = True
        return False
    return True


def _walk(client: Any, kind: str, data: MarketData, args: tuple, dates: list, fcfg: FeatureConfig,
          progress: ProgressCallback | None, generation: int) -> object:
    """Submit one walk-forward as month-fit tasks plus the task that assembles them; wait for it."""
    from dask.base import tokenize
    from distributed import as_completed

    _, universe, prep, clustering = args[:4]
    try:
        shared = _scatter(client, data)
    except Exception as exc:  # noqa: BLE001  sending local data fails only when the cluster does
        raise ClusterLost(f"The local worker processes failed to receive the data for this walk-forward: "
                          f"{type(exc).__name__}. "
                          "Nothing is kept from it: open the page again to recompute.") from None
    fits = {client.submit(_month_fit, shared, date, fcfg, universe, prep, clustering,
                          key=f"month-fit-{tokenize(data.fingerprint, date, fcfg, universe, prep, clustering)}"
                              f"-{generation}"): date
            for date in dates}
    assembled = client.submit(_finish, kind, shared, args, dates, fcfg, universe, prep, clustering, list(fits),
                              key=f"month-walk-{kind}-{tokenize(data.fingerprint, args)}-{generation}")
    if progress is not None:  # the fits stay on the workers: only their completion is reported here
        for finished, future in enumerate(as_completed(list(fits), loop=client.loop), start=1):
            progress(finished, len(dates), f"{fits[future]:%Y-%m}", "fitted")
    return _gather(assembled)


def _forget(data: MarketData, generation: int) -> None:
    """After a walk-forward the cluster lost: the next try scatters the data again and submits under new keys."""
    with _LOCK:
        _SCATTERED.pop(data.fingerprint, None)
        if _STATE.get("generation", 0) == generation:
            _STATE["generation"] = generation + 1


def _gather(future: Any) -> object:
    """Return a task's value; a cluster failing under it is one clear :class:`ClusterCoreError`."""
    from cluster_core.sweep import task_result

    return task_result(future, "the local worker processes", "during this walk-forward",
                       "Nothing is kept from it: open the page again to recompute.")


def _month_fit(data: MarketData, date: object, features: FeatureConfig, universe: UniverseConfig | None,
               prep: PrepConfig | None, clustering: ClusterConfig | None) -> object:
    """One month end's own fit on a worker (kept in the worker's cache), or the error that prevents it."""
    fits, notes = own_fits(data, [date], features, universe, prep, clustering, None)
    return fits[0] if fits else ClusterCoreError(notes[0] if notes else "no clustering")


def _finish(kind: str, data: MarketData, args: tuple, dates: list, features: FeatureConfig,
            universe: UniverseConfig | None, prep: PrepConfig | None, clustering: ClusterConfig | None,
            fits: list) -> object:
    """Assemble a month-by-month result on a worker from the month fits (some computed by other workers)."""
    from cluster_core.walkforward import _MONTH_FITS

    for date, fit in zip(dates, fits, strict=True):
        if not isinstance(fit, ClusterCoreError):
            _MONTH_FITS.put((data.fingerprint, date, features, universe, prep, clustering), fit)
    return _run(kind, data, args, None)


def _client() -> Any:
    """Return the process's client of the local cluster (started on first use)."""
    from distributed import Client

    from cluster_core.sweep import local_cluster

    with _LOCK:
        client = _STATE.get("client")
        cluster = local_cluster()
        if client is None or client.status != "running" or _STATE.get("cluster") is not cluster:
            client = Client(cluster, set_as_default=False)
            client.register_plugin(Background(), name="cluster-core-background")
            _STATE.update(client=client, cluster=cluster)
            _SCATTERED.clear()
            atexit.register(_close)  # before the cluster's own exit handler: scattered data released first
        return client


def _close() -> None:
    with _LOCK:
        _SCATTERED.clear()
        client = _STATE.pop("client", None)
    if client is not None:
        client.close()


class Background(WorkerPlugin):
    """A Dask worker plugin: the worker process runs at a lower CPU priority than the server.

    The server's script threads only draw pages; when they and a walk-forward want the same
    core, the page gets most of it, so a heavy computation barely slows another analyst's page.
    """

    idempotent = True

    def setup(self, worker: object) -> None:
        """Lower this worker process's priority to ``nice`` +5 (where that is not allowed, keep it).

        +5, not more: a contended core then goes ~3/4 to the server, and the workers are
        not starved when other programs share the machine (at +10 a busy neighbour slowed
        the walk-forwards ten-fold).
        """
        del worker
        try:
            os.nice(WORKER_NICENESS - os.nice(0))
        except OSError:
            pass


WORKER_NICENESS = 5


def _scatter(client: Any, data: MarketData) -> object:
    """Return the data's future on every worker (scattered once per data set; the newest few are kept)."""
    with _LOCK:
        future = _SCATTERED.get(data.fingerprint)
        if future is None or future.status != "finished":
            future = client.scatter(data, broadcast=True, hash=False)
            _SCATTERED[data.fingerprint] = future
            while len(_SCATTERED) > _KEEP_DATA:
                _SCATTERED.pop(next(iter(_SCATTERED)))
        return future
