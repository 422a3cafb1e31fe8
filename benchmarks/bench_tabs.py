"""Ten Chromium tabs on one fresh ``serve.py``, each opening Backtest at its own lookback (issue 20's team case).

The browser shares the server's two cores, as in the issue's measurement. Measured three
ways in one run: ten tabs of one browser (worker processes on, as shipped), ten separate
browser profiles (ten analysts' browsers, all drawn on this machine), and the baseline:
ten tabs of one browser with the worker processes off (walk-forwards in the server's
script threads, as on the issue's filing day).
"""

from __future__ import annotations

import asyncio
import time

from benchmarks._harness import Row
from benchmarks._sessions import CHROMIUM, CHROMIUM_FLAGS, start_server, stop_server

LOOKBACKS = tuple(range(60, 110, 5))
TIMEOUT = 600_000  # ms
VIEWPORT = {"width": 1440, "height": 1000}


async def _tab(context: object, url: str, lookback: int, start: float) -> tuple[float, int]:
    from playwright.async_api import expect

    page = await context.new_page()
    await page.goto(f"{url}/backtest?lookback={lookback}", timeout=TIMEOUT)
    await expect(page.get_by_role("heading", name="Backtest", level=1)).to_be_visible(timeout=TIMEOUT)
    await expect(page.get_by_test_id("stDownloadButton").first).to_be_visible(timeout=TIMEOUT)
    await expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT)
    seconds = time.perf_counter() - start
    failed = await page.get_by_test_id("stException").count() + await page.get_by_test_id("stAlertContentError").count()
    await page.close()
    return seconds, failed


async def _ten(url: str, own_profiles: bool) -> tuple[list[float], int]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            if own_profiles:
                contexts = [await browser.new_context(viewport=VIEWPORT) for _ in LOOKBACKS]
            else:
                contexts = [await browser.new_context(viewport=VIEWPORT)] * len(LOOKBACKS)
            start = time.perf_counter()
            done = await asyncio.gather(*(_tab(c, url, lb, start) for c, lb in zip(contexts, LOOKBACKS, strict=True)))
        finally:
            await browser.close()
    return [s for s, _ in done], sum(f for _, f in done)


def ten_tabs(own_profiles: bool = False, workers: bool = True) -> tuple[list[float], int]:
    """Seconds from opening the ten tabs to each result on screen, and the count of error elements."""
    server, url = start_server(env={} if workers else {"CLUSTER_CORE_WORKERS": "off"})
    try:
        return asyncio.run(_ten(url, own_profiles))
    finally:
        stop_server(server, timeout=20)


def run() -> list[Row]:
    one, failed = ten_tabs()
    before, failed_before = ten_tabs(workers=False)
    profiles, failed_profiles = ten_tabs(own_profiles=True)
    return [
        Row("10 Chromium tabs, each Backtest at its own lookback (60-105 d): until the last result",
            "fresh serve.py, 1 browser", max(one), max(before), None,
            f"first result {min(one):.1f} s; {failed} errors; baseline: worker processes off (walk-forwards in the "
            f"server's script threads; first {min(before):.1f} s, {failed_before} errors); target 60 s "
            f"(issue 20: 180-200 s)"),
        Row("the same with 10 browser profiles (ten analysts' browsers drawn on the server's 2 cores)",
            "fresh serve.py, 10 contexts", max(profiles), max(one), None,
            f"first result {min(profiles):.1f} s; {failed_profiles} errors; baseline: one browser's ten tabs; the "
            f"browsers' CPU (~9 s a tab) is the difference"),
    ]
