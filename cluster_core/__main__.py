"""``python -m cluster_core``: see :mod:`cluster_core.cli`."""

from cluster_core.cli import main

if __name__ == "__main__":  # not when a Dask worker process re-imports the main module
    raise SystemExit(main())
