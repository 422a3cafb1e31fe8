"""The first page of a fresh server in Chromium: plotly.js started early against Streamlit's index.html as shipped."""

from __future__ import annotations

import statistics
import time

from benchmarks._harness import Row
from benchmarks._sessions import CHROMIUM, CHROMIUM_FLAGS, start_server, stop_server

REPEATS = 3


def first_page_seconds(early: bool) -> float:
    """Start ``serve.py``, open its first page in a fresh Chromium: seconds until the map is drawn, the run done."""
    from playwright.sync_api import expect, sync_playwright

    server, url = start_server(env={"CLUSTER_CORE_PLOTLY_EARLY": "on" if early else "off"})
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
            start = time.perf_counter()
            page.goto(url + "/")
            expect(page.get_by_role("heading", name="Cluster map", level=1)).to_be_visible(timeout=120_000)
            expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=120_000)
            page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=120_000)
            seconds = time.perf_counter() - start
            browser.close()
    finally:
        stop_server(server, timeout=20)
    return seconds


def run() -> list[Row]:
    early, shipped = [], []
    for _ in range(REPEATS):  # alternated, so both see the same machine
        early.append(first_page_seconds(True))
        shipped.append(first_page_seconds(False))
    return [Row("first page of a fresh serve.py in Chromium (UMAP map drawn, run done)", "151 symbols",
                statistics.median(early), statistics.median(shipped), None,
                f"median of {REPEATS} fresh servers each (engine {min(early):.2f}-{max(early):.2f} s); baseline: "
                f"Streamlit's index.html unchanged (plotly.js loaded when the first chart arrives); target 3.5 s")]
