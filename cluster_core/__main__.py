"""``python -m cluster_core``: see :mod:`cluster_core.cli`."""

from cluster_core.cli import main

raise SystemExit(main())
