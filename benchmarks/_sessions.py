"""Analyst sessions at the protocol level: what a browser tab asks a Streamlit server, without the browser.

A :class:`Session` opens the app's websocket (``/_stcore/stream``) as the frontend does,
asks for a page run (``BackMsg.rerun_script``), optionally with changed widgets, and
reads the server's messages until ``script_finished``. It records how long the server
took, the elements it sent and any exception element. Ten of these at once measure the
server; ten Chromium tabs on the same two cores mostly measure Chromium (about 4
CPU-seconds per landing against the server's 0.4).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent


def start_server(output: IO | int = subprocess.DEVNULL, timeout: float = 300.0,
                 env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``serve.py`` (the app plus its warm-up) on a free loopback port; return it and its URL once healthy.

    ``output`` receives the server's stdout and stderr; ``env`` adds environment variables.
    The first warm-up of a fresh clone compiles umap-learn (25-50 s). Raises
    ``RuntimeError`` if the server exits or is not healthy within ``timeout`` seconds (it is killed).
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "serve.py", "--server.headless", "true", "--server.port", str(port),
                               "--server.address", "127.0.0.1"], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                              env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return server, url
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("serve.py did not start")


def stop_server(server: subprocess.Popen | int, timeout: float = 10.0) -> None:
    """Stop a server started by :func:`start_server` (its ``Popen`` or process id) and what it started.

    Terminates the server, kills it if it has not exited in ``timeout`` s, then kills any
    of its processes still left (its Dask workers, whose nanny would otherwise outlive it).
    """
    import psutil

    try:
        process = psutil.Process(server if isinstance(server, int) else server.pid)
        children = process.children(recursive=True)
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    except psutil.NoSuchProcess:
        children = []
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    if isinstance(server, subprocess.Popen):
        server.wait(timeout=timeout)  # reaped: no zombie left behind


CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright drives it (no browser download)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]

@dataclass
class Run:
    """One page run as the server delivered it."""

    page: str
    seconds: float
    status: str  # ScriptFinishedStatus name; FINISHED_SUCCESSFULLY when the page ran to its end
    elements: dict[str, int] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error boxes (a clear message, not a traceback)
    metrics: dict[str, str] = field(default_factory=dict)  # st.metric label -> shown value


@dataclass
class _Widget:
    kind: str
    id: str


class Session:
    """One analyst's tab: a websocket to the app, page runs, widgets found by their label."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.pages: dict[str, str] = {}  # page name -> page_script_hash
        self.widgets: dict[str, _Widget] = {}  # label -> the last run's widget of that label
        self._ws: ClientConnection | None = None
        self._page_hash = ""

    async def __aenter__(self) -> Session:
        self._ws = await connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._ws is not None
        await self._ws.close()

    async def run(self, page: str = "", timeout: float = 300.0, **changes: float | int | bool | str) -> Run:
        """Run ``page`` (its name in the navigation; "" = the landing page) with widgets changed by label.

        ``changes`` maps a widget label with spaces written as underscores and other
        characters dropped (``k_clusters`` for "k (clusters)") to its new value.
        """
        assert self._ws is not None
        message = BackMsg()
        if page:
            self._page_hash = self.pages[page]
        message.rerun_script.page_script_hash = self._page_hash
        states = message.rerun_script.widget_states
        for name, value in changes.items():
            widget = self._widget(name)
            state = states.widgets.add()
            state.id = widget.id
            if isinstance(value, bool):
                state.bool_value = value
            elif isinstance(value, str):
                state.string_value = value
            elif widget.kind == "number_input" and isinstance(value, int):
                state.int_value = value
            else:
                state.double_value = float(value)
        start = time.perf_counter()
        await self._ws.send(message.SerializeToString())
        result = Run(page or "landing", 0.0, "")
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await asyncio.wait_for(self._ws.recv(), timeout))
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in forward.navigation.app_pages}
                if not self._page_hash and forward.navigation.app_pages:
                    self._page_hash = forward.navigation.app_pages[0].page_script_hash
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                self._record(forward.delta.new_element, result)
            elif kind == "script_finished":
                result.seconds = time.perf_counter() - start
                result.status = ForwardMsg.ScriptFinishedStatus.Name(forward.script_finished)
                return result

    def _record(self, element: object, result: Run) -> None:
        kind = element.WhichOneof("type")  # type: ignore[attr-defined]
        result.elements[kind] = result.elements.get(kind, 0) + 1
        body = getattr(element, kind)
        if kind == "exception":
            result.exceptions.append(f"{body.type}: {body.message}")
        elif kind == "alert" and body.format == body.ERROR:
            result.errors.append(body.body)
        elif kind == "metric":
            result.metrics[body.label] = body.body
        label, widget_id = getattr(body, "label", None), getattr(body, "id", None)
        if isinstance(label, str) and isinstance(widget_id, str) and widget_id:
            self.widgets[_name(label)] = _Widget(kind, widget_id)

    def _widget(self, name: str) -> _Widget:
        try:
            return self.widgets[name]
        except KeyError:
            raise KeyError(f"no widget {name!r} on the page; widgets: {sorted(self.widgets)}") from None


def _name(label: str) -> str:
    kept = "".join(c if c.isalnum() or c == " " else "" for c in label.lower())
    return "_".join(kept.split())
