"""2-D maps (seeded, clamped) and cluster names (unique, rule-based)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cluster_core.clustering import ClusterConfig, fit_clusters
from cluster_core.errors import DataError, ParameterError
from cluster_core.features import compute_features, prepare_features
from cluster_core.interpretation import NAMING_RULES, cluster_names, profile_clusters
from cluster_core.reduction import Reduction, ReductionConfig, reduce_2d


@pytest.fixture(scope="module")
def recent(hourly):
    fs = compute_features(hourly, lookback_days=90)
    return fs, prepare_features(fs.X)


@pytest.mark.parametrize("method", list(Reduction))
def test_maps_are_deterministic_and_finite(recent, method):
    _, prepared = recent
    a = reduce_2d(prepared.Z, ReductionConfig(method))
    b = reduce_2d(prepared.Z, ReductionConfig(method))
    pd.testing.assert_frame_equal(a.coords, b.coords)
    assert list(a.coords.columns) == ["x", "y"] and np.isfinite(a.coords.to_numpy()).all()
    assert list(a.coords.index) == list(prepared.Z.index)


@pytest.mark.slow
def test_umap_of_thousands_of_points_uses_exact_neighbours_and_keeps_groups_apart(monkeypatch):
    from sklearn.metrics import silhouette_score
    from sklearn.neighbors import NearestNeighbors

    from cluster_core import reduction

    calls = []
    original = NearestNeighbors.kneighbors
    monkeypatch.setattr(NearestNeighbors, "kneighbors", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    rng = np.random.default_rng(4)
    n = reduction.UMAP_EXACT_BELOW + 100
    truth = np.arange(n) % 3
    Z = pd.DataFrame(rng.normal(0, 1, (n, 6)) + 6 * np.eye(6)[truth], index=[f"S{i}" for i in range(n)])
    emb = reduce_2d(Z, ReductionConfig(Reduction.UMAP, n_neighbors=15))
    assert calls, "the neighbour graph did not come from scikit-learn's exact search"
    coords = emb.coords.to_numpy()
    assert np.isfinite(coords).all() and coords.shape == (n, 2)
    assert silhouette_score(coords, truth, sample_size=1000, random_state=0) > 0.5  # three groups stay apart


def test_pca_reports_explained_variance(recent):
    emb = reduce_2d(recent[1].Z, ReductionConfig(Reduction.PCA))
    assert 0 < emb.explained_variance[1] <= emb.explained_variance[0] < 1


def test_parameters_are_clamped_with_a_notice():
    Z = pd.DataFrame(np.random.default_rng(0).normal(size=(9, 4)))
    tsne = reduce_2d(Z, ReductionConfig(Reduction.TSNE, perplexity=30))
    assert tsne.config.perplexity == 2 and "perplexity lowered from 30 to 2" in tsne.notes[0]
    umap = reduce_2d(Z, ReductionConfig(Reduction.UMAP, n_neighbors=15))
    assert umap.config.n_neighbors == 8 and "n_neighbors lowered from 15 to 8" in umap.notes[0]
    with pytest.raises(DataError, match="at least 3 symbols"):
        reduce_2d(Z.iloc[:2])
    with pytest.raises(ParameterError, match="`method`"):
        reduce_2d(Z, ReductionConfig("mds"))


@pytest.mark.slow
def test_a_t_sne_map_of_a_large_universe_says_it_is_slow_and_points_to_umap(monkeypatch):
    from cluster_core import reduction

    Z = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 4)))
    assert not reduce_2d(Z, ReductionConfig(Reduction.TSNE, perplexity=5)).notes
    monkeypatch.setattr(reduction, "TSNE_SLOW_ABOVE", 30)  # the 2,000-symbol threshold, scaled down
    notes = reduce_2d(Z, ReductionConfig(Reduction.TSNE, perplexity=5)).notes
    assert len(notes) == 1 and notes[0].startswith("t-SNE on 40 symbols takes seconds") and "UMAP" in notes[0]
    assert not reduce_2d(Z, ReductionConfig(Reduction.UMAP, n_neighbors=5)).notes


def test_bundled_clusters_get_expected_names(recent):
    fs, prepared = recent
    fit = fit_clusters(prepared.Z, ClusterConfig(n_clusters=6), order_by=fs.X["annualized_vol"])
    profile = profile_clusters(fs.X, fit.labels)
    names = profile.name_of(fit.labels)
    assert names["USDC"] == "Stablecoins / pegged"
    assert names["BTC"] == names["ETH"] == "Defensive coins"  # volatility 0.61x the others', beta 0.88 vs 1.2
    assert profile.table["name"].is_unique and profile.table["reason"].is_unique
    assert list(profile.table.columns[:9]) == ["cluster", "name", "size", "reason", "members", "stability",
                                               "tentative", "core", "boundary"]
    assert profile.table["size"].sum() == len(fs.X)
    assert all("the others" in reason or " vs " in reason for reason in profile.table["reason"])
    assert profile.zscores.shape == (fit.n_clusters, fs.X.shape[1])


def test_reasons_cite_what_sets_a_cluster_apart_from_the_others(recent):
    """Two clusters that differ only in volume: the reasons say volume, with the ratio to the others."""
    fs, _ = recent
    X = fs.X.copy()
    labels = pd.Series((X["avg_daily_volume_usd"] > X["avg_daily_volume_usd"].median()).astype(int), index=X.index)
    profile = profile_clusters(X, labels)
    high = profile.table.set_index("cluster").loc[1, "reason"]
    low = profile.table.set_index("cluster").loc[0, "reason"]
    assert high.startswith("volume") and low.startswith("volume") and high != low
    assert float(high.split("volume ")[1].split("x")[0]) > 3


def test_noise_is_named_and_names_stay_unique_when_many_clusters_look_alike(recent):
    fs, _ = recent
    rng = np.random.default_rng(0)
    labels = pd.Series(rng.integers(-1, 12, len(fs.X)), index=fs.X.index)
    profile = profile_clusters(fs.X, labels)
    assert profile.names[-1] == "Noise / outliers"
    assert profile.names.is_unique
    assert len(profile.names) == labels.nunique()


@pytest.mark.parametrize("k", [1, 2, 3, 6, 9])
def test_names_alone_are_the_profiles_names(recent, k):
    """The month-by-month views ask for names only: the same names, with or without noise and kept names."""
    fs, prepared = recent
    labels = fit_clusters(prepared.Z, ClusterConfig(n_clusters=k), order_by=fs.X["annualized_vol"]).labels \
        if k > 1 else pd.Series(0, index=fs.X.index)
    noisy = labels.where(np.arange(len(labels)) % 11 != 0, -1)
    for case in (labels, noisy):
        profile = profile_clusters(fs.X, case)
        pd.testing.assert_series_equal(cluster_names(fs.X, case), profile.names)
        kept = {int(c): n for c, n in profile.names.items() if c >= 0}
        swapped = dict(zip(kept, reversed(list(kept.values())), strict=True))  # last month's names, shuffled
        pd.testing.assert_series_equal(cluster_names(fs.X, case, keep_names=swapped),
                                       profile_clusters(fs.X, case, keep_names=swapped).names)


def test_naming_rules_are_documented():
    assert len({r.name for r in NAMING_RULES}) == len(NAMING_RULES)
    assert all(r.condition for r in NAMING_RULES)
