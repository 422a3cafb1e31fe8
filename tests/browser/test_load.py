"""A team on one server: concurrent sessions at the protocol level, and browser tabs in Chromium.

Protocol-level sessions are websocket clients doing what a browser tab asks of the server
(:mod:`benchmarks._sessions`); they take almost no CPU, so the figures are the server's.
A few Chromium tabs prove what only a browser shows under concurrency. Behaviour is
asserted (every run finishes, no exception element or error box, each session keeps its
own settings, the server's memory stays bounded); timings go to ``test-artifacts/`` (no
timed assertions: a shared CI machine would make them flaky; ``make bench`` reports them).
One server for all of them (started once for this file).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import time
import urllib.request

import psutil
import pytest
from playwright.async_api import async_playwright, expect

from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, SERVER_PIDS

pytestmark = pytest.mark.browser
TIMEOUT = 300_000  # ms
BROWSER_TABS = 2
K_CHOICES = (3, 4, 6, 7)  # analysts pick different k (not the default 5, which the URL leaves out)
LOOKBACKS = (60, 120)


def _run(coroutine):
    """Run ``coroutine`` on a fresh event loop in its own thread.

    When an end-to-end test ran first in this worker, its session-wide sync Playwright
    keeps an event loop running in this thread, and ``asyncio.run`` refuses to start here.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


TABS = 2  # two k choices and two lookbacks: each session keeps its own through every page
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


PAGES = ("Coin", "Cluster profiles", "Network", "Dendrogram", "Diagnostics", "Portfolio", "Backtest", "Peers", "Stability", "Robustness",
         "Features", "Data")


async def _tab(url: str, number: int) -> list:
    """One analyst's tab at the protocol level: land, own k, own lookback, then every page with those settings."""
    from benchmarks._sessions import Session

    k, lookback = K_CHOICES[number % 4], LOOKBACKS[number % 2]
    async with Session(url) as tab:
        runs = [await tab.run()]
        assert sorted(tab.pages) == sorted(("Cluster map", *PAGES))
        runs.append(await tab.run(automatic_k=False))  # k starts from the automatic choice, then the analyst's own
        runs.append(await tab.run(k_clusters=k))
        assert runs[-1].metrics["Clusters"] == str(k), runs[-1].metrics
        runs.append(await tab.run(lookback_days=lookback))
        assert runs[-1].metrics["Clusters"] == str(k)
        for page in PAGES:
            runs.append(await tab.run(page))
        return runs


def test_tabs_at_once_visit_every_page_with_their_own_settings_then_twenty_land(server):
    """The server alone (no browsers on its cores): two sessions, each through all eleven pages, then twenty landings.

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
        return list(await asyncio.gather(*(_tab(server, i) for i in range(TABS))))

    sessions = _run(ten())
    landings = _run(crowd())
    runs = [run for session in sessions for run in session] + landings
    assert len(runs) == TABS * (4 + len(PAGES)) + CROWD
    failed = [(r.page, r.status, r.exceptions, r.errors) for r in runs
              if r.status != "FINISHED_SUCCESSFULLY" or r.exceptions or r.errors]
    assert not failed
    by_page: dict[str, list[float]] = {}
    for session in sessions:
        for step, run in zip(("landing", "automatic k off", "k change", "lookback change", *PAGES), session, strict=True):
            by_page.setdefault(step, []).append(run.seconds)
    by_page["twenty landings"] = [r.seconds for r in landings]
    report = {step: {"median": round(sorted(v)[len(v) // 2], 2), "max": round(max(v), 2)} for step, v in by_page.items()}
    (ARTIFACTS / "protocol_load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    assert process.memory_info().rss / 2**20 - rss_before < MEMORY_GROWTH_LIMIT_MB


async def _ready(page) -> None:
    await expect(page.get_by_test_id("stMainBlockContainer").locator("h1").first).to_be_visible(timeout=TIMEOUT)
    await expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT)


async def _analyst(browser, url: str, number: int, full: bool) -> dict[str, float]:
    """One analyst: land on the map; with ``full``, change k and lookback, then open the Backtest page."""
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    page = await context.new_page()
    times = {}
    try:
        start = time.perf_counter()
        await page.goto(url + "/", timeout=TIMEOUT)  # twenty renderers share two cores with the servers
        await expect(page.get_by_role("heading", name="Cluster map", level=1)).to_be_visible(timeout=TIMEOUT)
        await expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=TIMEOUT)
        await _ready(page)
        times["landing_s"] = time.perf_counter() - start
        await expect(page.get_by_test_id("stException")).to_have_count(0)
        if not full:
            return times
        start = time.perf_counter()
        await page.get_by_text("Automatic k", exact=True).click()
        await _ready(page)
        await expect(page.locator("input[aria-label='k (clusters)'][disabled]")).to_have_count(0)
        k = page.get_by_label("k (clusters)", exact=True)
        await k.fill(str(K_CHOICES[number % 4]))
        await k.press("Enter")
        await expect(page.get_by_test_id("stMetric").filter(has_text="Clusters").first).to_contain_text(
            str(K_CHOICES[number % 4]), timeout=TIMEOUT)
        await _ready(page)
        times["k_change_s"] = time.perf_counter() - start
        start = time.perf_counter()
        lookback = page.get_by_label("Lookback (days)", exact=True)
        await lookback.fill(str(LOOKBACKS[number % 2]))
        await lookback.press("Enter")
        await expect(page).to_have_url(re.compile(f"lookback={LOOKBACKS[number % 2]}"), timeout=TIMEOUT)  # applied
        await _ready(page)
        times["lookback_change_s"] = time.perf_counter() - start
        start = time.perf_counter()
        await page.get_by_test_id("stSidebarNav").get_by_text("Backtest", exact=True).click()
        await expect(page.get_by_role("heading", name="Backtest", level=1)).to_be_visible(timeout=TIMEOUT)
        await _ready(page)
        await expect(page.get_by_test_id("stProgress")).to_have_count(0, timeout=TIMEOUT)
        await expect(page.get_by_test_id("stException")).to_have_count(0)
        times["backtest_s"] = time.perf_counter() - start
        assert f"k={K_CHOICES[number % 4]}" in page.url and f"lookback={LOOKBACKS[number % 2]}" in page.url
        return times
    finally:
        await context.close()


async def _crowd(url: str, n: int, full: bool) -> list[dict[str, float]]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            return list(await asyncio.gather(*(_analyst(browser, url, i, full) for i in range(n))))
        finally:
            await browser.close()


def _summary(runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for key in runs[0]:
        values = sorted(run[key] for run in runs)
        out[key] = {"min": round(values[0], 2), "median": round(values[len(values) // 2], 2),
                    "max": round(values[-1], 2)}
    return out


def test_browser_tabs_at_once_keep_their_own_k_and_lookback_through_backtest(server):
    """Concurrent browser sessions: each lands, sets its own k and lookback, opens Backtest; nothing leaks or fails.

    Three tabs prove what only a browser shows (the widgets' own state, the URL, the
    rendered pages) under concurrency; the crowd itself (ten sessions on every page, twenty
    landings, ten cold walk-forwards) is in ``test_load_protocol.py``, where the clients do
    not take the server's cores. Timings go to ``test-artifacts/load_test.json``.
    """
    process = psutil.Process(SERVER_PIDS[server])
    cpu_before = sum(process.cpu_times()[:2])
    start = time.perf_counter()
    runs = _run(_crowd(server, BROWSER_TABS, full=True))
    wall = time.perf_counter() - start
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=10) as resp:
        assert resp.read() == b"ok"  # still serving
    report = {"sessions": BROWSER_TABS, "wall_s": round(wall, 1),
              "server_cpu_s": round(sum(process.cpu_times()[:2]) - cpu_before, 1), "tabs": _summary(runs)}
    (ARTIFACTS / "load_test.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    assert len(runs) == BROWSER_TABS and all("backtest_s" in run for run in runs)
