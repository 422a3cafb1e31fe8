"""Start the dashboard with the engine warming up from the first second.

``streamlit run app.py`` runs nothing until a browser connects, so the first visitor
would wait for imports, umap-learn's compiled code and the default analysis (5-9 s
here). This launcher runs :func:`cluster_core.warmup.warm_up` in the server process
first (a few seconds; the health endpoint answers once it is done, like a readiness
probe), then hands over to Streamlit's own command line in the same process, so the
first page finds everything imported, compiled and computed, and a shared deep link
(``/stability?smooth=0.5``) opens that page inside the app's navigation even as the first
request. ``make run`` and the browser tests use it; extra arguments go to ``streamlit run``.

Every page draws Plotly charts, and Streamlit loads plotly.js (4.7 MB) only when the
first chart arrives, then spends one to two seconds evaluating it while the page waits.
This launcher serves Streamlit's own front end with one line added to its ``index.html``
(:func:`static_with_plotly_early`): the browser starts plotly.js while it waits for the
first page's script, so the first map shows about a second sooner.

Month-by-month results (Backtest, Stability, Peers over time) are computed on worker
processes (:mod:`cluster_core.offload`), and the Backtest and Stability pages' default
walk-forwards are started there before the server listens, then finish in the background.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from cluster_core import offload
from cluster_core.warmup import warm_up

APP = Path(__file__).resolve().parent / "app.py"
LANDING = APP.parent / "pages" / "cluster_map.py"
WARM_PAGES = (APP.parent / "pages" / "backtest.py", APP.parent / "pages" / "stability.py")
STATIC_CACHE = APP.parent / ".cache" / "static"
PLOTLY_EARLY_ENV = "CLUSTER_CORE_PLOTLY_EARLY"  # "off": serve Streamlit's index.html unchanged
WARMUP_ENV = "CLUSTER_CORE_WARMUP"  # "off": listen at once, warm nothing (the first visitor computes)


def _switched_off(name: str) -> bool:
    return os.environ.get(name, "on").strip().lower() in {"", "0", "off"}


def static_with_plotly_early(original: Path, cache: Path = STATIC_CACHE) -> Path | None:
    """Return a copy of Streamlit's static folder whose ``index.html`` starts plotly.js at once.

    The copy is ``index.html`` with a preload of Streamlit's own PlotlyChart chunk and a
    module script that imports it as soon as Streamlit's code has run, and links to every other entry of
    ``original``, so nothing else changes. ``None`` (serve the original) when the folder
    does not have exactly one PlotlyChart chunk or ``index.html`` has no ``</head>``: a
    Streamlit release laid out otherwise is served as it is. The copy is made once per
    chunk name and original folder, atomically (several servers may start at once).
    """
    chunks = sorted((original / "static" / "js").glob("PlotlyChart.*.js"))
    index = (original / "index.html").read_text(encoding="utf-8") if (original / "index.html").is_file() else ""
    if len(chunks) != 1 or index.count("</head>") != 1:
        return None
    target = cache / f"{chunks[0].stem}-{hashlib.blake2b(str(original.resolve()).encode(), digest_size=4).hexdigest()}"
    if (target / "index.html").is_file():
        return target
    chunk = f"./static/js/{chunks[0].name}"
    early = (f'    <link rel="modulepreload" crossorigin href="{chunk}">\n'  # fetched beside Streamlit's own code
             f'    <script type="module">setTimeout(() => import("{chunk}"), 0)</script>\n')  # run once that has
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache, prefix=".staging-"))
    (staging / "index.html").write_text(index.replace("</head>", early + "  </head>"), encoding="utf-8")
    for entry in original.iterdir():
        if entry.name != "index.html":
            (staging / entry.name).symlink_to(entry)
    try:
        staging.rename(target)
    except OSError:  # another server made it first: use theirs
        for entry in staging.iterdir():
            entry.unlink()
        staging.rmdir()
    return target


def _serve_plotly_early() -> None:
    """Make Streamlit serve :func:`static_with_plotly_early`'s folder (unless turned off or not applicable)."""
    from streamlit import file_util

    if _switched_off(PLOTLY_EARLY_ENV):
        return
    try:
        folder = static_with_plotly_early(Path(file_util.get_static_dir()))
    except OSError as exc:  # a read-only project folder: Streamlit's own page, a second later
        print(f"Serving Streamlit's index.html unchanged ({type(exc).__name__}: {exc}).", flush=True)
        return
    if folder is not None:
        file_util.get_static_dir = lambda: str(folder)


def warm_landing_page() -> None:
    """Run the landing page once in this process, with the default sidebar, before serving.

    The engine keeps each step of a view once per process (:mod:`cluster_core.views`), and
    the pages keep the loaded data in ``st.cache_resource``, both shared by every session:
    this run leaves the default view's data, features, clustering and map in the very
    caches the first visitors read (their landing then only renders).
    """
    start = time.perf_counter()
    problem = _run_page(LANDING)
    print(f"Landing page computed in {time.perf_counter() - start:.1f} s{f' ({problem})' if problem else ''}.",
          flush=True)


def warm_month_by_month_pages() -> None:
    """Start the Backtest and Stability pages' default walk-forwards on the workers, without waiting for them.

    Each page runs once (a second or two: the sidebar's data and features are already
    cached) with :func:`cluster_core.offload.prefetching` on, so its walk-forward is only
    started, in the background; it computes while the server already serves, and the first
    analyst to open the page finds it done or joins the running tasks with a progress bar.
    """
    start = time.perf_counter()
    with offload.prefetching():
        for page in WARM_PAGES:
            _run_page(page)
    print(f"Backtest and Stability started in the background ({time.perf_counter() - start:.1f} s).", flush=True)


def _run_page(path: Path) -> str:
    """Run one page script in this process (Streamlit's AppTest); return what went wrong, if anything."""
    from streamlit.testing.v1 import AppTest

    context_log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    context_log.disabled = True  # "missing ScriptRunContext ... bare mode": expected outside a server
    try:
        run = AppTest.from_file(str(path), default_timeout=300).run()
        return "; ".join(str(e.value) for e in [*run.exception, *run.error]
                         if not str(e.value).endswith(offload.WARMING_SAYS))
    except Exception as exc:  # noqa: BLE001  a failed warm-up only costs the first visitor time
        return f"{type(exc).__name__}: {exc}"
    finally:
        context_log.disabled = False


if __name__ == "__main__":
    # Month-by-month results compute on worker processes (a LocalCluster), never in the
    # script threads every session shares; CLUSTER_CORE_WORKERS=off keeps them in-process.
    offload.set_workers(not _switched_off(offload.WORKERS_ENV))
    if _switched_off(WARMUP_ENV):
        print(f"{WARMUP_ENV}=off: nothing warmed up; the first visitor computes what they open.", flush=True)
    else:
        print("Warming up the engine (imports, bundled data, UMAP)...", flush=True)
        status = warm_up(background=False)
        print(f"Warm-up done in {status['seconds']:.1f} s"
              f"{' (' + str(status['error']) + ')' if status['error'] else ''}.", flush=True)
        warm_landing_page()
        warm_month_by_month_pages()
    # Those runs read .streamlit/config.toml before the command-line flags were known; the
    # server applies the flags when it starts, so Streamlit's "[server] options changed,
    # restart" warning on the second read would only mislead.
    logging.getLogger("streamlit.config").addFilter(
        lambda record: "please restart streamlit" not in record.getMessage())
    # app.py navigates with st.navigation. Streamlit only learns that when a session first runs
    # app.py; until then a deep link such as /stability on a fresh server would run
    # pages/stability.py alone, in the legacy pages/-directory mode (no page config, raw nav).
    PagesManager.uses_pages_directory = False
    _serve_plotly_early()
    offload.foreground()  # the walk-forwards started above wait while the server starts and its first page runs
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())
