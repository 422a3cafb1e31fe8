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

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from cluster_core.warmup import warm_up

APP = Path(__file__).resolve().parent / "app.py"

if __name__ == "__main__":
    print("Warming up the engine (imports, bundled data, UMAP)...", flush=True)
    status = warm_up(background=False)
    print(f"Warm-up done in {status['seconds']:.1f} s{' (' + str(status['error']) + ')' if status['error'] else ''}.",
          flush=True)
    # app.py navigates with st.navigation. Streamlit only learns that when a session first runs
    # app.py; until then a deep link such as /stability on a fresh server would run
    # pages/stability.py alone, in the legacy pages/-directory mode (no page config, raw nav).
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())
