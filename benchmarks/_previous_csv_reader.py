"""``python -m cluster_core`` with the CSV reader before the fast one (a baseline of the CSV benchmark).

Every CSV goes through pandas' Python parser with the separator sniffed from the whole file
(``read_csv(sep=None, engine="python")``) and the whole history is loaded, as before; the
rest of the command is the same code.
"""

from __future__ import annotations

import sys

from cluster_core.cli import main
from cluster_core.data import _files

if __name__ == "__main__":
    _files._csv_chunks = lambda *args: None  # the tolerant whole-file path, which the fast reader falls back to
    raise SystemExit(main(sys.argv[1:]))
