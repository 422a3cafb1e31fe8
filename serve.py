"""Start the dashboard with the engine warming up from the first second.

``streamlit run app.py`` runs nothing until a browser connects, so the first visitor
would wait for imports, umap-learn's compiled code and the default analysis (5-9 s
here). This launcher runs :func:`cluster_core.warmup.warm_up` in the server process
first (a few seconds; the health endpoint answers once it is done, like a readiness
probe), then hands over to Streamlit's own command line in the same process, so the
first page finds everything imported, compiled and computed, and a shared deep link
(``/stability?smooth=0.5``) opens that page inside the app's navigation even as the first
request. ``make run`` and the browser tests use it; extra arguments go to ``streamlit run``.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from cluster_core.warmup import warm_up

APP = Path(__file__).resolve().parent / "app.py"
LANDING = APP.parent / "pages" / "cluster_map.py"


def warm_landing_page() -> None:
    """Run the landing page once in this process, with the default sidebar, before serving.

    The pages keep the engine's results in ``st.cache_resource``, which is per process and
    shared by every session: this run leaves the default view's data, features, clustering
    and map in the very cache the first visitors read (their landing then only renders).
    """
    from streamlit.testing.v1 import AppTest

    start = time.perf_counter()
    context_log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    context_log.disabled = True  # "missing ScriptRunContext ... bare mode": expected outside a server
    try:
        run = AppTest.from_file(str(LANDING), default_timeout=300).run()
        problem = "; ".join(str(e.value) for e in [*run.exception, *run.error])
    except Exception as exc:  # noqa: BLE001  a failed warm-up only costs the first visitor time
        problem = f"{type(exc).__name__}: {exc}"
    finally:
        context_log.disabled = False
    print(f"Landing page computed in {time.perf_counter() - start:.1f} s{f' ({problem})' if problem else ''}.",
          flush=True)
    # That run read .streamlit/config.toml before the command-line flags were known; the
    # server applies the flags when it starts, so Streamlit's "[server] options changed,
    # restart" warning on the second read would only mislead.
    logging.getLogger("streamlit.config").addFilter(
        lambda record: "please restart streamlit" not in record.getMessage())

if __name__ == "__main__":
    print("Warming up the engine (imports, bundled data, UMAP)...", flush=True)
    status = warm_up(background=False)
    print(f"Warm-up done in {status['seconds']:.1f} s{' (' + str(status['error']) + ')' if status['error'] else ''}.",
          flush=True)
    warm_landing_page()
    # app.py navigates with st.navigation. Streamlit only learns that when a session first runs
    # app.py; until then a deep link such as /stability on a fresh server would run
    # pages/stability.py alone, in the legacy pages/-directory mode (no page config, raw nav).
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())
