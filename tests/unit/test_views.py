"""The engine's memoised views: the same values as the plain pipeline, each step computed once per process."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from cluster_core import pipeline, views
from cluster_core.clustering import ClusterConfig
from cluster_core.features import FeatureConfig
from cluster_core.network import build_network
from cluster_core.reduction import Reduction, ReductionConfig

PCA = ReductionConfig(Reduction.PCA)
WINDOW = FeatureConfig(lookback_days=75)


@pytest.fixture
def counted(monkeypatch):
    """Count the engine steps the views run (features, clustering, map)."""
    views.clear()
    calls = {"features": 0, "cluster": 0, "embed": 0}

    def counting(name, original):
        def call(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)
        return call

    monkeypatch.setattr(views, "run_features", counting("features", pipeline.run_features))
    monkeypatch.setattr(views, "cluster", counting("cluster", pipeline.cluster))
    monkeypatch.setattr(views, "embed", counting("embed", pipeline.embed))
    yield calls
    views.clear()


def test_a_view_equals_the_plain_pipeline(hourly, counted):
    kept = views.cluster_result(hourly, WINDOW, config=ClusterConfig(n_clusters=4), reduction=PCA)
    plain = pipeline.run_clustering(hourly, WINDOW, clustering=ClusterConfig(n_clusters=4), reduction=PCA)
    pd.testing.assert_frame_equal(kept.table(), plain.table(), check_exact=True)
    assert counted == {"features": 1, "cluster": 1, "embed": 1}


def test_a_k_change_refits_the_clustering_and_reuses_the_features_and_the_map(hourly, counted):
    four = views.cluster_result(hourly, WINDOW, config=ClusterConfig(n_clusters=4), reduction=PCA)
    five = views.cluster_result(hourly, WINDOW, config=ClusterConfig(n_clusters=5), reduction=PCA)
    assert counted == {"features": 1, "cluster": 2, "embed": 1}
    assert five.view is four.view and five.embedding is four.embedding
    assert five.clustering.n_clusters == 5 and four.clustering.n_clusters == 4
    # asked again: the kept object, nothing computed
    assert views.cluster_result(hourly, WINDOW, config=ClusterConfig(n_clusters=4), reduction=PCA) is four
    assert counted == {"features": 1, "cluster": 2, "embed": 1}
    # a different window is a different view
    views.feature_view(hourly, FeatureConfig(lookback_days=60))
    assert counted["features"] == 2


def test_callers_asking_at_once_compute_each_step_once(hourly, counted):
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        views.cluster_result(hourly, WINDOW, config=ClusterConfig(n_clusters=3), reduction=PCA))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert counted == {"features": 1, "cluster": 1, "embed": 1}


def test_the_network_view_is_the_network_of_the_windows_features(hourly, counted):
    mode = FeatureConfig(lookback_days=75, market_mode="btc-residual")
    kept = views.network(hourly, mode)
    plain = build_network(hourly, pipeline.run_features(hourly, mode).features, mode.market_mode)
    pd.testing.assert_frame_equal(kept.edges, plain.edges, check_exact=True)
    layout = views.network_layout(hourly, mode)
    assert set(layout.index) == set(kept.correlation.index)
    assert views.network(hourly, mode) is kept and views.network_layout(hourly, mode) is layout
    assert counted["features"] == 1


def test_an_uploaded_file_is_read_once_per_content(hourly, monkeypatch):
    views.clear()
    reads = []
    original = views.load_file
    monkeypatch.setattr(views, "load_file", lambda raw, name: reads.append(name) or original(raw, name=name))
    small = hourly.between(start="2023-12-01")
    long = small.close.stack().rename("close").reset_index()
    long.columns = ["timestamp", "symbol", "close"]
    long["volume"] = 1.0
    raw = long.to_csv(index=False).encode()
    digest = views.file_digest(raw)
    assert not views.is_kept_file(digest)
    first = views.market_file("a.csv", raw)
    assert views.is_kept_file(digest)
    assert views.market_file("renamed.csv", raw) is first  # same bytes: the kept data, not a second read
    assert reads == ["a.csv"]
    assert set(first.symbols) == set(small.close.columns[small.close.notna().any()])
    views.clear()
