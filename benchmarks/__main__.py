"""Run every benchmark and print one table: ``python -m benchmarks [name ...]``."""

from __future__ import annotations

import importlib
import platform
import sys

from benchmarks._harness import render

SUITES = ["bench_data", "bench_features", "bench_clustering", "bench_backtest", "bench_trust", "bench_zoo",
          "bench_sweep", "bench_scale", "bench_sessions", "bench_tabs", "bench_first_page", "bench_coin",
          "bench_network"]


def main(argv: list[str]) -> int:
    chosen = argv or SUITES
    rows = []
    for name in chosen:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(module.run())
    print(f"\nPython {platform.python_version()} on {platform.machine()}, best of repeated runs\n")
    print(render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
