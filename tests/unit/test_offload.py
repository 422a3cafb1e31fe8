"""Month-by-month results on worker processes: the same values as in-process, shared tasks, failures said clearly."""

from __future__ import annotations

import os
import sys
import threading
import time
import types

import pandas as pd
import pytest

from cluster_core import offload
from cluster_core.clustering import ClusterConfig
from cluster_core.errors import ClusterCoreError, DataError
from cluster_core.features import FeatureConfig
from cluster_core.strategies import BacktestConfig
from cluster_core.walkforward import clear_caches, run_backtest, run_peer_history, run_stability


@pytest.fixture(scope="module")
def recent(hourly):
    return hourly.between(start="2023-05-01")


@pytest.fixture
def workers():
    offload.set_workers(True)
    offload.clear()
    yield offload._client()
    offload.set_workers(False)
    offload.clear()


FEATURES = FeatureConfig(lookback_days=45)


@pytest.mark.slow
def test_results_on_the_workers_equal_the_engine_run_in_this_process(recent, workers):
    config = BacktestConfig()
    progress = []
    on_workers = offload.backtest(recent, FEATURES, None, None, None, config,
                                  progress=lambda *step: progress.append(step))
    clear_caches()
    here = run_backtest(recent, FEATURES, config=config)
    pd.testing.assert_frame_equal(on_workers.rows, here.rows, check_exact=True)
    pd.testing.assert_frame_equal(on_workers.curves, here.curves, check_exact=True)
    pd.testing.assert_frame_equal(on_workers.metrics, here.metrics, check_exact=True)
    assert [done for done, *_ in progress] == list(range(1, len(here.rows) + 1))
    assert {total for _, total, *_ in progress} == {len(here.rows)}
    stability = offload.stability(recent, FEATURES, None, None, None, 0.6, None)
    pd.testing.assert_frame_equal(stability.table, run_stability(recent, FEATURES, months=None).table,
                                  check_exact=True)
    peers = offload.peer_history(recent, FEATURES, None, None, None, 0.6, 1.5, False)
    pd.testing.assert_frame_equal(peers.table, run_peer_history(recent, FEATURES).table, check_exact=True)
    # kept: a second call is the same object, not a second computation
    assert offload.backtest(recent, FEATURES, None, None, None, config) is on_workers


def test_two_sessions_asking_at_once_share_the_tasks_and_both_see_progress(recent, workers):
    features = FeatureConfig(lookback_days=50)
    seen: dict[int, list] = {0: [], 1: []}
    results = {}

    def session(i: int) -> None:
        results[i] = offload.backtest(recent, features, None, None, None, BacktestConfig(),
                                      progress=lambda done, total, *_: seen[i].append((done, total)))

    threads = [threading.Thread(target=session, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    pd.testing.assert_frame_equal(results[0].rows, results[1].rows, check_exact=True)
    for steps in seen.values():  # each session's bar runs to the end, also when the other one started the work
        assert steps and steps[-1][0] == steps[-1][1] == len(results[0].rows)


def test_a_setting_wrong_whatever_the_month_is_said_at_once_on_the_workers(recent, workers):
    with pytest.raises(ClusterCoreError, match="n_clusters"):
        offload.backtest(recent, FEATURES, None, None, ClusterConfig(n_clusters=1), BacktestConfig())
    with pytest.raises(DataError, match="at least 2 month ends"):
        offload.stability(recent, FeatureConfig(lookback_days=400), None, None, None, 0.6, None)


@pytest.mark.slow
def test_a_worker_killed_during_a_walk_forward_gives_the_result_or_one_clear_error_then_recomputes(recent, workers):
    features = FeatureConfig(lookback_days=55)
    pids = list(workers.run(os.getpid).values())
    killed = []

    def progress(done: int, *_: object) -> None:
        if done == 1 and not killed:  # the walk is under way: one worker process dies
            os.kill(pids[0], 9)
            killed.append(pids[0])

    try:
        result = offload.backtest(recent, features, None, None, None, BacktestConfig(), progress=progress)
    except ClusterCoreError as exc:  # the scheduler gave up on the task: one line, and what to do
        assert "\n" not in str(exc) and "open the page again to recompute" in str(exc)
        result = offload.backtest(recent, features, None, None, None, BacktestConfig())
    assert killed
    clear_caches()
    pd.testing.assert_frame_equal(result.rows, run_backtest(recent, features).rows, check_exact=True)


def test_when_every_worker_dies_the_error_is_one_line_and_the_next_request_recomputes(recent, workers):
    # All worker processes die: the data scattered to them is gone, so this walk cannot finish.
    # The next request must scatter again under new task keys, not get the cancelled task back.
    features = FeatureConfig(lookback_days=58)
    killed = []

    def progress(done: int, *_: object) -> None:
        if done == 1 and not killed:
            for pid in workers.run(os.getpid).values():
                os.kill(pid, 9)
                killed.append(pid)

    try:
        failed = None
        offload.backtest(recent, features, None, None, None, BacktestConfig(), progress=progress)
    except ClusterCoreError as exc:
        failed = exc
    assert killed
    if failed is not None:  # the walk is tried once more on the restarted workers; if that fails too, one line
        assert "\n" not in str(failed) and "open the page again to recompute" in str(failed)
    # No waiting here for the restarted workers: the engine waits for one (or computes in this thread).
    result = offload.backtest(recent, features, None, None, None, BacktestConfig())
    clear_caches()
    pd.testing.assert_frame_equal(result.rows, run_backtest(recent, features).rows, check_exact=True)


def test_data_the_workers_cannot_receive_twice_is_one_line_saying_what_to_do(recent, workers, monkeypatch):
    sent = []

    def lost(client, data):
        sent.append(data.fingerprint)
        raise OSError("Timed out trying to connect")

    monkeypatch.setattr(offload, "_scatter", lost)
    with pytest.raises(ClusterCoreError) as failed:
        offload.backtest(recent, FeatureConfig(lookback_days=57), None, None, None, BacktestConfig())
    assert len(sent) == offload.ATTEMPTS  # tried once more before the error is shown
    message = str(failed.value)
    assert "\n" not in message and "failed to receive the data" in message
    assert message.endswith("open the page again to recompute.")


@pytest.mark.slow
def test_workers_restarted_after_a_crash_never_run_the_servers_main_script(tmp_path, monkeypatch, recent, workers):
    # Under Streamlit, __main__ is the page script that ran last, with no __name__ guard. A
    # worker the nanny restarts must not run it: the page would fail in the worker at once,
    # no worker would come back, and every walk-forward would wait for one in vain.
    ran = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(ran)!r}, 'w').close()\nraise SystemExit('a page script ran in a worker')\n")
    page_main = types.ModuleType("__main__")
    page_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page_main)
    before = set(workers.run(os.getpid).values())
    for pid in before:
        os.kill(pid, 9)
    after: set[int] = set()
    deadline = time.monotonic() + 120  # a liveness bound, not a speed one: restarts take ~1 s here
    while time.monotonic() < deadline and not (after and not after & before):
        threading.Event().wait(0.5)
        try:
            after = set(workers.run(os.getpid).values())
        except Exception:  # noqa: BLE001  workers gone mid-call: ask again
            after = set()
    assert not ran.exists(), "a restarted worker ran __main__"
    assert after and not after & before, "no worker came back after the crash"
    result = offload.backtest(recent, FeatureConfig(lookback_days=62), None, None, None, BacktestConfig())
    assert len(result.rows) > 2


def test_prefetching_starts_the_work_in_the_background_and_keeps_the_result(recent, workers):
    features = FeatureConfig(lookback_days=60)
    with offload.prefetching(), pytest.raises(offload.Warming, match="being computed in the background"):
        offload.backtest(recent, features, None, None, None, BacktestConfig())
    deadline = 300
    while offload.warming() and deadline > 0:
        threading.Event().wait(0.5)
        deadline -= 0.5
    assert not offload.warming()
    called = []
    result = offload.backtest(recent, features, None, None, None, BacktestConfig(),
                              progress=lambda *step: called.append(step))
    assert called == []  # found done: no walk-forward ran for this call
    assert len(result.rows) > 2


def test_a_prefetched_result_waits_until_no_page_has_started_for_the_quiet_time(recent, monkeypatch):
    """A fresh server's first pages (and the browser drawing them) get the cores before the warm-up's walk-forwards."""
    offload.set_workers(False)
    offload.clear()
    monkeypatch.setattr(offload, "QUIET_S", 2.0)
    started: list[float] = []
    run = offload._run
    monkeypatch.setattr(offload, "_run", lambda *args: started.append(time.monotonic()) or run(*args))
    features = FeatureConfig(lookback_days=55)
    with offload.prefetching(), pytest.raises(offload.Warming):
        offload.backtest(recent, features, None, None, None, BacktestConfig())
    for _ in range(4):  # analysts' page runs, each sooner than the quiet time after the last
        offload.foreground()
        last_page = time.monotonic()
        threading.Event().wait(0.2)
    deadline = time.monotonic() + 300
    while offload.warming() and time.monotonic() < deadline:
        threading.Event().wait(0.1)
    assert len(started) == 1 and started[0] >= last_page + 2.0
    assert offload.backtest(recent, features, None, None, None, BacktestConfig()) is not None
    assert len(started) == 1  # kept: the page's own call found it


def test_a_result_an_analyst_computes_while_the_warm_up_waits_is_computed_once(recent, monkeypatch):
    offload.set_workers(False)
    offload.clear()
    monkeypatch.setattr(offload, "QUIET_S", 0.2)  # the warm-up starts while the analyst's own run computes
    calls: list[int] = []
    run = offload._run
    monkeypatch.setattr(offload, "_run", lambda *args: calls.append(1) or run(*args))
    features = FeatureConfig(lookback_days=65)
    with offload.prefetching(), pytest.raises(offload.Warming):
        offload.backtest(recent, features, None, None, None, BacktestConfig())
    mine = offload.backtest(recent, features, None, None, None, BacktestConfig())  # the analyst opens the page
    deadline = time.monotonic() + 300
    while offload.warming() and time.monotonic() < deadline:
        threading.Event().wait(0.1)
    assert len(calls) == 1
    assert offload.backtest(recent, features, None, None, None, BacktestConfig()) is mine


def test_with_workers_off_the_result_is_computed_here_and_kept(recent, monkeypatch):
    offload.set_workers(False)
    offload.clear()
    monkeypatch.setattr(offload, "_on_workers", lambda *a: pytest.fail("sent to the workers"))
    features = FeatureConfig(lookback_days=40)
    first = offload.backtest(recent, features, None, None, None, BacktestConfig())
    assert offload.backtest(recent, features, None, None, None, BacktestConfig()) is first
    pd.testing.assert_frame_equal(first.rows, run_backtest(recent, features).rows, check_exact=True)


def test_when_no_worker_process_can_start_the_result_is_computed_here_and_workers_stay_off(recent, monkeypatch):
    offload.set_workers(True)
    offload.clear()

    def refuse() -> None:
        raise OSError("process creation is not allowed here")

    monkeypatch.setattr(offload, "_client", refuse)
    try:
        features = FeatureConfig(lookback_days=35)
        result = offload.backtest(recent, features, None, None, None, BacktestConfig())
        assert not offload.workers_enabled()
        assert offload.workers_unavailable() == "OSError: process creation is not allowed here"
        pd.testing.assert_frame_equal(result.rows, run_backtest(recent, features).rows, check_exact=True)
    finally:
        offload.set_workers(False)
        offload._STATE.pop("unavailable", None)


def test_after_one_wait_for_workers_in_vain_the_next_requests_compute_here_at_once(recent, monkeypatch):
    waits: list[float] = []

    class NoWorkerComesBack:
        def wait_for_workers(self, n: int, timeout: float) -> None:
            waits.append(timeout)
            raise TimeoutError

        def scheduler_info(self) -> dict:
            return {"workers": {}}

    offload.set_workers(True)
    offload.clear()
    monkeypatch.setattr(offload, "_client", NoWorkerComesBack)
    monkeypatch.setitem(offload._STATE, "workers_missing", False)
    try:
        for days in (33, 34):
            features = FeatureConfig(lookback_days=days)
            result = offload.backtest(recent, features, None, None, None, BacktestConfig())
            pd.testing.assert_frame_equal(result.rows, run_backtest(recent, features).rows, check_exact=True)
        assert waits == [offload.WORKER_WAIT_S]  # the second request did not wait again

        class WorkerBack(NoWorkerComesBack):
            def wait_for_workers(self, n: int, timeout: float) -> None:
                waits.append(timeout)

            def scheduler_info(self) -> dict:
                return {"workers": {"tcp://127.0.0.1:1": {}}}

        assert offload._wait_for_a_worker(WorkerBack())
        assert not offload._STATE["workers_missing"]
    finally:
        offload.set_workers(False)
