"""A coin looked up (the Coin page and the ``neighbours`` CLI): on the bundled data and at 5,000 symbols.

Baseline (same run): the obvious way, the full return-correlation matrix and the full
distance matrix, then one row of each. The engine computes one column of each instead.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from benchmarks._harness import Row, best_of, peak_memory_mb
from benchmarks._synthetic import synthetic_market
from cluster_core.clustering import ClusterConfig
from cluster_core.coin import coin_view
from cluster_core.data import load_sample
from cluster_core.features import FeatureConfig
from cluster_core.pipeline import run_clustering, window_returns
from cluster_core.reduction import ReductionConfig

PCA = ReductionConfig("pca")


def _full_matrices(data, result, symbol: str) -> None:
    r = window_returns(data, result.view.features)
    r.corr(min_periods=10)[symbol]
    Z = result.prepared.Z.to_numpy()
    cdist(Z, Z)[list(result.prepared.Z.index).index(symbol)]


def run() -> list[Row]:
    rows = []
    hourly = load_sample("hourly")
    result = run_clustering(hourly, reduction=PCA)
    engine = best_of(lambda: coin_view(hourly, result, "SOL"))
    baseline = best_of(lambda: _full_matrices(hourly, result, "SOL"))
    rows.append(Row("coin look-up: neighbours, correlations, 30-day beta", "hourly sample, 144 symbols", engine,
                    baseline, peak_memory_mb(lambda: coin_view(hourly, result, "SOL")),
                    "baseline: full correlation + distance matrices"))
    big = synthetic_market(5000, days=120, seed=3)
    result = run_clustering(big, FeatureConfig(lookback_days=90), clustering=ClusterConfig(n_clusters=8),
                            reduction=PCA)
    symbol = str(result.clustering.labels.index[10])
    engine = best_of(lambda: coin_view(big, result, symbol), repeat=2)
    rows.append(Row("coin look-up: neighbours, correlations, 30-day beta", "5,000 hourly symbols, 90 days", engine,
                    None, peak_memory_mb(lambda: coin_view(big, result, symbol)),
                    f"{len(result.clustering.labels):,} neighbours ranked; np {np.__version__}"))
    return rows
