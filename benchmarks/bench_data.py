"""Loading: the numpy grid builder against a plain pandas pivot of the same long table."""

from __future__ import annotations

import pandas as pd

from benchmarks._harness import Row, best_of
from cluster_core.data import DATASETS_DIR, build_market_data


def _pandas_baseline(long: pd.DataFrame) -> pd.DataFrame:
    """What a straightforward loader does: dedupe, pivot, reindex to the hourly grid."""
    frame = long.drop_duplicates(["timestamp", "symbol"])
    wide = frame.pivot(index="timestamp", columns="symbol", values="close")
    grid = pd.date_range(wide.index.min(), wide.index.max(), freq="1h")
    return wide.reindex(grid).astype("float64")


def run() -> list[Row]:
    long = pd.read_parquet(DATASETS_DIR / "crypto_hourly.parquet")
    engine = best_of(lambda: build_market_data(long, source="bench"), repeat=3)
    baseline = best_of(lambda: _pandas_baseline(long), repeat=3)
    return [
        Row(
            "load bundled hourly (validate + grid + relistings)",
            f"{len(long):,} rows",
            engine,
            baseline,
            note="baseline: pandas pivot without validation",
        )
    ]
