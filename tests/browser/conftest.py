"""A real server (`serve.py`, i.e. `streamlit run app.py` plus the engine warm-up) on loopback, and Chromium."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks._sessions import CHROMIUM, CHROMIUM_FLAGS
from tests.conftest import ROOT, SERVER_DIR_ENV

ARTIFACTS = ROOT / "test-artifacts"
SERVER_PIDS: dict[str, int] = {}  # url -> the server's process id (the load test reads its memory and CPU)


@pytest.fixture(scope="session")
def server() -> str:
    """The served app every browser test shares: started by the first test process that needs it.

    `make test` runs two test processes, and each used to start its own `serve.py` (its own
    warm-up, start-up walk-forwards and Dask workers, 12-34 s and two busy cores). The main
    pytest process names a folder in ``SERVER_DIR_ENV`` (``tests/conftest.py``); the first
    process here to take its lock starts the server and writes its address, the others read
    it; the main process stops it when the run ends. A test that needs a server no session
    has used yet starts its own (:func:`fresh_server`).
    """
    folder = Path(os.environ[SERVER_DIR_ENV])
    record = folder / "server.json"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not record.exists():
            from benchmarks._sessions import start_server

            ARTIFACTS.mkdir(exist_ok=True)
            with open(ARTIFACTS / "server.log", "w") as log:
                try:
                    proc, url = start_server(log, timeout=240)
                except RuntimeError:
                    record.write_text(json.dumps({"failed": True}))
                    raise
            record.write_text(json.dumps({"url": url, "pid": proc.pid}))
    shared = json.loads(record.read_text())
    if shared.get("failed"):
        pytest.fail(f"streamlit did not start; see {ARTIFACTS / 'server.log'}")
    SERVER_PIDS[shared["url"]] = shared["pid"]
    return shared["url"]


def stop_shared_server(folder: Path) -> None:
    """Stop the server :func:`server` started under ``folder``, if any (the main pytest process, at the end)."""
    from benchmarks._sessions import stop_server

    record = folder / "server.json"
    if record.exists() and "pid" in (shared := json.loads(record.read_text())):
        stop_server(shared["pid"])


@pytest.fixture
def fresh_server() -> Iterator[str]:
    """A server of its own that no session has used, started light (no warm-up, no workers) as few tests need it."""
    from benchmarks._sessions import start_server, stop_server

    with open(ARTIFACTS.joinpath("fresh_server.log") if ARTIFACTS.mkdir(exist_ok=True) is None else os.devnull,
              "w") as log:
        try:
            proc, url = start_server(log, timeout=240, env={"CLUSTER_CORE_WARMUP": "off", "CLUSTER_CORE_WORKERS": "off"})
        except RuntimeError:
            pytest.fail(f"streamlit did not start; see {ARTIFACTS / 'fresh_server.log'}")
        yield url
        stop_server(proc)


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
