"""Analysts at once in Chromium: browser tabs against one server, each landing, changing k and lookback, then Backtest.

Asserts behaviour only (every session gets there with its own settings, no exception, the
server stays up); the timings go to ``test-artifacts/load_test.json`` (no timed assertions:
a shared CI machine would make them flaky). The crowd is measured at the protocol level
(``test_load_protocol.py``), where ten Chromium renderers do not take the server's two cores.
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
BROWSER_TABS = 3
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


def test_three_browser_tabs_at_once_keep_their_own_k_and_lookback_through_backtest(server):
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
