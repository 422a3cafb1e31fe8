"""A team on one server at the protocol level: sessions as websocket clients doing what browser tabs ask.

The clients take almost no CPU, so the figures are the server's. Behaviour is asserted
(every run finishes, no exception element or error box, each session keeps its own
settings, the server's memory stays bounded); timings go to ``test-artifacts/`` (no timed
assertions: a shared CI machine would make them flaky; ``make bench`` reports them).
"""

from __future__ import annotations

import asyncio
import json
import time

import psutil
import pytest

from tests.browser.conftest import ARTIFACTS, SERVER_PIDS
from tests.browser.test_load import K_CHOICES, LOOKBACKS, _run

pytestmark = pytest.mark.browser
SESSIONS = 10
CROWD = 20
MEMORY_GROWTH_LIMIT_MB = 1024  # measured: +260 MB after ten full sessions, +200 MB after twenty landings


def test_ten_backtests_each_at_its_own_lookback_while_an_eleventh_analyst_lands(server):
    """Ten cold walk-forwards at once (lookbacks 60-105 days), computed on the server's worker processes.

    Every Backtest finishes with its own lookback's result and no error; a session landing
    while they compute is served (it is not queued behind them). Timings go to
    ``test-artifacts/backtest_crowd.json``; ``make bench`` reports the same case.
    """
    from benchmarks._sessions import Session
    from benchmarks.bench_sessions import OWN_LOOKBACKS, own_lookback_backtests

    process = psutil.Process(SERVER_PIDS[server])
    rss_before = process.memory_info().rss / 2**20
    start = time.perf_counter()
    backtests, newcomer = _run(own_lookback_backtests(server))
    wall = time.perf_counter() - start
    failed = [(r.status, r.exceptions, r.errors) for _, r in [*backtests, (0, newcomer)]
              if r.status != "FINISHED_SUCCESSFULLY" or r.exceptions or r.errors]
    assert not failed
    shown = [run.metrics.get("CAGR") for _, run in backtests]
    assert all(shown) and len(set(shown)) > 1, shown  # ten lookbacks, not one result served to all

    async def shown_lookback(lookback: int) -> str:  # each result is its own lookback's: the page says which
        async with Session(server) as tab:
            await tab.run()
            await tab.run(lookback_days=lookback)
            return (await tab.run("Backtest")).metrics["CAGR"]

    assert _run(shown_lookback(OWN_LOOKBACKS[-1])) == backtests[-1][1].metrics["CAGR"]
    report = {"wall_s": round(wall, 1), "each_s": [round(s, 1) for s, _ in backtests],
              "newcomer_landing_s": round(newcomer.seconds, 2),
              "server_rss_growth_mb": round(process.memory_info().rss / 2**20 - rss_before)}
    (ARTIFACTS / "backtest_crowd.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


PAGES = ("Cluster profiles", "Dendrogram", "Diagnostics", "Portfolio", "Backtest", "Peers", "Stability", "Robustness",
         "Features", "Data")


async def _tab(url: str, number: int) -> list:
    """One analyst's tab at the protocol level: land, own k, own lookback, then every page with those settings."""
    from benchmarks._sessions import Session

    k, lookback = K_CHOICES[number % 4], LOOKBACKS[number % 2]
    async with Session(url) as tab:
        runs = [await tab.run()]
        assert sorted(tab.pages) == sorted(("Cluster map", *PAGES))
        runs.append(await tab.run(automatic_k=False, k_clusters=k))
        assert runs[-1].metrics["Clusters"] == str(k), runs[-1].metrics
        runs.append(await tab.run(lookback_days=lookback))
        assert runs[-1].metrics["Clusters"] == str(k)
        for page in PAGES:
            runs.append(await tab.run(page))
        return runs


def test_ten_tabs_at_once_visit_every_page_with_their_own_settings(server):
    """The server alone (no browsers on its cores): ten sessions, each through all eleven pages, then twenty landings.

    Every run must finish (no exception element, no error box); each session keeps its own
    k and lookback across pages; the server's memory stays bounded. Timings go to
    ``test-artifacts/protocol_load.json``.
    """
    from benchmarks._sessions import Session

    process = psutil.Process(SERVER_PIDS[server])
    rss_before = process.memory_info().rss / 2**20

    async def crowd() -> list:
        async def land() -> object:
            async with Session(server) as tab:
                return await tab.run()

        return list(await asyncio.gather(*(land() for _ in range(CROWD))))

    async def ten() -> list:
        return list(await asyncio.gather(*(_tab(server, i) for i in range(SESSIONS))))

    sessions = _run(ten())
    landings = _run(crowd())
    runs = [run for session in sessions for run in session] + landings
    assert len(runs) == SESSIONS * (3 + len(PAGES)) + CROWD
    failed = [(r.page, r.status, r.exceptions, r.errors) for r in runs
              if r.status != "FINISHED_SUCCESSFULLY" or r.exceptions or r.errors]
    assert not failed
    by_page: dict[str, list[float]] = {}
    for session in sessions:
        for step, run in zip(("landing", "k change", "lookback change", *PAGES), session, strict=True):
            by_page.setdefault(step, []).append(run.seconds)
    by_page["twenty landings"] = [r.seconds for r in landings]
    report = {step: {"median": round(sorted(v)[len(v) // 2], 2), "max": round(max(v), 2)} for step, v in by_page.items()}
    (ARTIFACTS / "protocol_load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    assert process.memory_info().rss / 2**20 - rss_before < MEMORY_GROWTH_LIMIT_MB
