"""Who moves with whom: the driver count and correlation clustering on planted factor markets, the network's speed.

Quality rows (``engine`` = time of the whole measurement, figures in the note) on seeds
100-109 of :func:`cluster_core.synthetic.factor_market`, which the tests and the thresholds
never looked at (they use seeds 0-9 and 30-34). Speed rows: the network (correlation after
the market mode, Mantegna distance, spanning tree, spectrum) against the obvious way in the
same run: pandas' pairwise ``corr`` and networkx's Kruskal on the complete graph.
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
from sklearn.metrics import adjusted_rand_score

from benchmarks._harness import Row, best_of, peak_memory_mb
from benchmarks._synthetic import synthetic_market
from cluster_core.clustering import ClusterConfig
from cluster_core.data import load_sample
from cluster_core.features import FeatureConfig, MarketMode
from cluster_core.network import build_network
from cluster_core.pipeline import cluster, prepare, run_features, window_returns
from cluster_core.synthetic import factor_market

SEEDS = range(100, 110)
RESIDUAL = FeatureConfig(market_mode=MarketMode.BTC_RESIDUAL)


def _drivers() -> Row:
    start = time.perf_counter()
    exact = within = 0
    for seed in SEEDS:
        market = factor_market(seed)
        view = run_features(market.data, RESIDUAL)
        found = build_network(market.data, view.features, MarketMode.BTC_RESIDUAL).spectrum.n_factors
        exact += found == len(market.archetypes)
        within += abs(found - len(market.archetypes)) <= 1
    return Row("independent drivers above the Marchenko-Pastur edge", f"{len(SEEDS)} factor markets x 150, 3-6 "
               "sectors", time.perf_counter() - start, None,
               note=f"count = planted sectors in {exact}/{len(SEEDS)}, within 1 in {within}/{len(SEEDS)} "
                    "(BTC-residual; target: within 1 on every seed)")


def _correlation_clustering() -> Row:
    start = time.perf_counter()
    scores, right_k, raw_scores = [], 0, []
    config = ClusterConfig(method="hierarchical", distance="pearson")
    for seed in SEEDS:
        market = factor_market(seed)
        for mode, out in ((MarketMode.BTC_RESIDUAL, scores), (MarketMode.RAW, raw_scores)):
            view = run_features(market.data, FeatureConfig(market_mode=mode))
            fit = cluster(market.data, view, prepare(view), config, with_confidence=False)
            scored = market.truth.index.intersection(fit.labels.index)
            out.append(adjusted_rand_score(market.truth[scored], fit.labels[scored]))
            if mode is MarketMode.BTC_RESIDUAL:
                right_k += fit.n_clusters == len(market.archetypes)
    behaviour = []
    for seed in SEEDS:  # the behaviour features cannot see sectors that behave alike: the reason for this mode
        market = factor_market(seed)
        view = run_features(market.data)
        fit = cluster(market.data, view, prepare(view), with_confidence=False)
        behaviour.append(adjusted_rand_score(market.truth, fit.labels[market.truth.index]))
    return Row("correlation clustering (hierarchical, Pearson) at automatic k", f"{len(SEEDS)} factor markets x 150",
               time.perf_counter() - start, None,
               note=f"BTC-residual: ARI median {np.median(scores):.3f}, worst {np.min(scores):.3f}, right k "
                    f"{right_k}/{len(SEEDS)} (target ARI >= 0.9); raw returns: median {np.median(raw_scores):.3f}, "
                    f"worst {np.min(raw_scores):.3f}; behaviour K-Means: median {np.median(behaviour):.3f}")


def _obvious(data, features) -> None:
    rho = window_returns(data, features).corr(min_periods=10).fillna(0.0)
    graph = nx.from_numpy_array(np.sqrt(np.clip(2 * (1 - rho.to_numpy()), 0, 4)))
    nx.minimum_spanning_tree(graph, algorithm="kruskal")


def _speed(label: str, data, lookback: int, baseline: bool) -> Row:
    features = run_features(data, FeatureConfig(lookback_days=lookback)).features
    engine = best_of(lambda: build_network(data, features, MarketMode.BTC_RESIDUAL), repeat=2)
    base = best_of(lambda: _obvious(data, features), repeat=1) if baseline else None
    peak = peak_memory_mb(lambda: build_network(data, features, MarketMode.BTC_RESIDUAL))
    return Row("network: residual correlation, spanning tree, spectrum", label, engine, base, peak,
               "baseline: pandas corr + networkx Kruskal on the complete graph" if baseline else "")


def run() -> list[Row]:
    return [
        _drivers(),
        _correlation_clustering(),
        _speed("hourly sample, 144 symbols", load_sample("hourly"), 90, True),
        _speed("1,000 hourly symbols, 90 days", synthetic_market(1000, days=100, seed=5), 90, True),
        _speed("5,000 hourly symbols, 90 days", synthetic_market(5000, days=100, seed=6), 90, False),
    ]
