"""Loading: the numpy grid builder against a plain pandas pivot; a 153 MB CSV through the CLI against two baselines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from benchmarks._harness import Row, best_of, run_cli
from cluster_core.data import DATASETS_DIR, build_market_data

CLUSTER = ("cluster", "--lookback-days", "90", "--k", "auto", "--reduction", "umap")


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
    rows = [
        Row(
            "load bundled hourly (validate + grid + relistings)",
            f"{len(long):,} rows",
            engine,
            baseline,
            note="baseline: pandas pivot without validation",
        )
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hourly.csv"
        long.to_csv(path, index=False)  # the format most users have: ISO timestamps with offsets
        size = f"{path.stat().st_size / 2**20:.0f} MB CSV, {len(long) / 1e6:.1f} M rows"
        out = str(Path(folder) / "clusters.csv")
        seconds, peak, status = run_cli(CLUSTER[0], "--data", str(path), *CLUSTER[1:], "--out", out)
        before, before_peak, _ = run_cli(CLUSTER[0], "--data", str(path), *CLUSTER[1:], "--out", out,
                                         module="benchmarks._previous_csv_reader")
        plain, plain_peak, _ = run_cli(str(path), "90", module="benchmarks._plain_pandas")
        rows.append(Row("CSV -> cluster --k auto --reduction umap (fresh process, read to result)", size, seconds,
                        plain, peak, f"{status}; baseline: a plain pandas script of the same steps (read_csv C "
                        f"engine, per-symbol features, K-Means elbow, UMAP; peak {plain_peak:.0f} MB); the previous "
                        f"reader (pandas' Python parser, whole history): {before:.1f} s, peak {before_peak:.0f} MB; "
                        "target 4 s, 0.8 GB"))
    return rows
