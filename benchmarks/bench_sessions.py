"""Many analysts, one server: concurrent sessions against a fresh ``serve.py``, measured at the protocol level.

Each session is a websocket client doing what a browser tab asks of the server
(:mod:`benchmarks._sessions`), so the figures are the server's: ten Chromium tabs on the
same two cores would mostly time Chromium. Baselines are the same requests one after
another in the same run. Peak memory is the server's RSS growth over the whole suite.
"""

from __future__ import annotations

import asyncio
import time

import psutil

from benchmarks._harness import Row
from benchmarks._sessions import Run, Session, start_server, stop_server

TABS = 10
CROWD = 20
K_CHOICES = (3, 4, 6, 7)
LOOKBACKS = (60, 120)


async def _land(url: str) -> Run:
    async with Session(url) as tab:
        return await tab.run()


async def _landings_at_once(url: str, n: int) -> tuple[float, list[Run]]:
    start = time.perf_counter()
    runs = await asyncio.gather(*(_land(url) for _ in range(n)))
    return time.perf_counter() - start, list(runs)


async def _landings_in_turn(url: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await _land(url)
    return time.perf_counter() - start


async def _analyst(url: str, number: int, backtest_started: asyncio.Event | None = None) -> list[Run]:
    async with Session(url) as tab:
        runs = [await tab.run()]
        runs.append(await tab.run(automatic_k=False))  # k starts from the automatic choice
        runs.append(await tab.run(k_clusters=K_CHOICES[number % 4]))
        runs.append(await tab.run(lookback_days=LOOKBACKS[number % 2]))
        if backtest_started is not None:
            backtest_started.set()
        runs.append(await tab.run("Backtest"))
        return runs


async def _tabs_and_a_newcomer(url: str) -> tuple[float, list[list[Run]], Run]:
    """Ten analysts change k and lookback and open Backtest (cold walk-forwards); one more lands meanwhile."""
    started = asyncio.Event()
    start = time.perf_counter()
    tabs = asyncio.gather(*(_analyst(url, i, started if i == 0 else None) for i in range(TABS)))
    await started.wait()
    newcomer = await _land(url)
    sessions = await tabs
    return time.perf_counter() - start, list(sessions), newcomer


OWN_LOOKBACKS = tuple(range(60, 110, 5))  # ten analysts, each their own lookback: ten cold walk-forwards


async def _own_backtest(url: str, lookback: int) -> tuple[float, Run]:
    """Land, set the lookback, open Backtest; return the seconds from landing to the result, and the Backtest run."""
    start = time.perf_counter()
    async with Session(url) as tab:
        await tab.run()
        await tab.run(lookback_days=lookback)
        run = await tab.run("Backtest")
        return time.perf_counter() - start, run


async def own_lookback_backtests(url: str) -> tuple[list[tuple[float, Run]], Run]:
    """Ten sessions open Backtest each with its own lookback; an eleventh lands once they are all computing."""
    tabs = asyncio.gather(*(_own_backtest(url, lookback) for lookback in OWN_LOOKBACKS))
    await asyncio.sleep(8.0)  # the ten have landed and asked for their walk-forwards
    newcomer = await _land(url)
    return list(await tabs), newcomer


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {ordered[len(ordered) // 2]:.2f} s, slowest {ordered[-1]:.2f} s"


def run() -> list[Row]:
    server, url = start_server()
    process = psutil.Process(server.pid)
    try:
        rss_start = process.memory_info().rss / 2**20
        cpu = sum(process.cpu_times()[:2])
        alone = asyncio.run(_land(url)).seconds
        cpu_alone = sum(process.cpu_times()[:2]) - cpu
        in_turn = asyncio.run(_landings_in_turn(url, TABS))
        rows = [Row("1 landing alone (warm server, default view)", "151 symbols, protocol client", alone, None,
                    None, f"server CPU {cpu_alone:.2f} s")]
        for n in (TABS, CROWD):
            cpu = sum(process.cpu_times()[:2])
            wall, runs = asyncio.run(_landings_at_once(url, n))
            cpu_each = (sum(process.cpu_times()[:2]) - cpu) / n
            bad = sum(r.status != "FINISHED_SUCCESSFULLY" or bool(r.exceptions) for r in runs)
            rows.append(Row(f"{n} landings at once (wall until the last)", f"{n} sessions", wall,
                            in_turn * n / TABS, None,
                            f"baseline: the same landings one after another; each session "
                            f"{_spread([r.seconds for r in runs])}; server CPU {cpu_each:.2f} s per landing; "
                            f"{bad} failed"))
        wall, sessions, newcomer = asyncio.run(_tabs_and_a_newcomer(url))
        steps = ("landing", "automatic k off", "k change", "lookback change", "Backtest (cold walk-forward)")
        for i, step in enumerate(steps[1:], start=1):
            times = [s[i].seconds for s in sessions]
            rows.append(Row(f"{TABS} analysts at once: {step}", f"{TABS} sessions, 4 settings", max(times), None, None,
                            _spread(times)))
        rows.append(Row("a landing while those 10 run their Backtest", "1 + 10 sessions", newcomer.seconds, alone,
                        process.memory_info().rss / 2**20 - rss_start,
                        f"baseline: a landing alone; peak = server RSS growth over this suite; the ten sessions took "
                        f"{wall:.1f} s in all"))
        cpu = sum(process.cpu_times()[:2])
        backtests, newcomer = asyncio.run(own_lookback_backtests(url))
        walls = [seconds for seconds, _ in backtests]
        bad = sum(r.status != "FINISHED_SUCCESSFULLY" or bool(r.exceptions) or bool(r.errors) for _, r in backtests)
        grown = process.memory_info().rss / 2**20 - rss_start
        rows.append(Row("10 analysts, each Backtest at its own lookback (60-105 d): until the last result",
                        "10 sessions, 10 walk-forwards", max(walls), None, grown,
                        f"each from landing to result {_spread(walls)}; server process CPU "
                        f"{sum(process.cpu_times()[:2]) - cpu:.1f} s (the walk-forwards run on worker processes); "
                        f"{bad} failed; target 60 s (before: 180-200 s)"))
        rows.append(Row("a landing while those 10 walk-forwards compute", "1 + 10 sessions", newcomer.seconds, alone,
                        None, "baseline: a landing alone; target 3 s"))
        return rows
    finally:
        stop_server(server)
