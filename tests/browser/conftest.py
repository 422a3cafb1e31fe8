"""A real server (`serve.py`, i.e. `streamlit run app.py` plus the engine warm-up) on loopback, and Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks._sessions import CHROMIUM, CHROMIUM_FLAGS
from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"
SERVER_PIDS: dict[str, int] = {}  # url -> the server's process id (the load test reads its memory and CPU)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    from benchmarks._sessions import start_server, stop_server

    log = open(ARTIFACTS.joinpath("server.log") if ARTIFACTS.mkdir(exist_ok=True) is None else os.devnull, "w")
    try:
        proc, url = start_server(log, timeout=240)
    except RuntimeError:
        pytest.fail(f"streamlit did not start; see {ARTIFACTS / 'server.log'}")
    SERVER_PIDS[url] = proc.pid
    yield url
    stop_server(proc)
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    # Clicks and navigations wait up to 90 s (Playwright's default is 30): in `make test` the load
    # test's ten walk-forwards can hold both cores for minutes while these tests run beside it.
    # Waits, not timed assertions: the timings are in the benchmarks.
    context.set_default_timeout(90_000)
    tab = context.new_page()
    tab.base_url = server
    yield tab
    context.close()
