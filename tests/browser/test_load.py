"""Many analysts at once: N browser sessions against one server, each landing, changing k and lookback, then Backtest.

Asserts behaviour only (every session gets there, no exception, the server stays up and its
memory stays bounded); the timings go to ``test-artifacts/load_test.json`` (no timed
assertions: a shared CI machine would make them flaky). The sessions are browser contexts of
one Chromium on the same machine as the server, so the clients' rendering competes with the
server for the cores; the server's own CPU time per session is recorded beside the wall times.
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
TIMEOUT = 300_000  # ms; twenty sessions on two cores share them with twenty renderers
SESSIONS = 10
CROWD = 20
MEMORY_GROWTH_LIMIT_MB = 1024  # measured: +260 MB after ten full sessions, +200 MB after twenty landings
K_CHOICES = (3, 4, 6, 7)  # analysts pick different k (not the default 5, which the URL leaves out)
LOOKBACKS = (60, 120)


def _run(coroutine):
    """Run ``coroutine`` on a fresh event loop in its own thread.

    When an end-to-end test ran first in this worker, its session-wide sync Playwright
    keeps an event loop running in this thread, and ``asyncio.run`` refuses to start here.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


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


def test_ten_analysts_at_once_then_a_crowd_of_twenty(server):
    process = psutil.Process(SERVER_PIDS[server])
    rss_before = process.memory_info().rss / 2**20
    cpu_before = sum(process.cpu_times()[:2])
    start = time.perf_counter()
    runs = _run(_crowd(server, SESSIONS, full=True))
    wall = time.perf_counter() - start
    cpu_ten = sum(process.cpu_times()[:2]) - cpu_before
    rss_after_ten = process.memory_info().rss / 2**20
    cpu_before_crowd = sum(process.cpu_times()[:2])
    crowd = _run(_crowd(server, CROWD, full=False))
    cpu_crowd = sum(process.cpu_times()[:2]) - cpu_before_crowd
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=10) as resp:
        assert resp.read() == b"ok"  # still serving
    rss_after_crowd = process.memory_info().rss / 2**20
    report = {
        "sessions": SESSIONS, "wall_s": round(wall, 1), "server_cpu_s": round(cpu_ten, 1),
        "server_cpu_per_session_s": round(cpu_ten / SESSIONS, 2), "ten": _summary(runs),
        "crowd_of_twenty_landing": _summary(crowd), "server_cpu_per_landing_s": round(cpu_crowd / CROWD, 2),
        "server_rss_mb": {"before": round(rss_before), "after_ten": round(rss_after_ten),
                          "after_twenty": round(rss_after_crowd)},
    }
    (ARTIFACTS / "load_test.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    assert len(runs) == SESSIONS and all("backtest_s" in run for run in runs)
    assert len(crowd) == CROWD
    assert rss_after_crowd - rss_before < MEMORY_GROWTH_LIMIT_MB


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
    k and lookback across pages. Timings go to ``test-artifacts/protocol_load.json``.
    """
    from benchmarks._sessions import Session

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
