"""Clustering: planted groups recovered, automatic k and eps, edge cases, determinism, stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cluster_core.clustering import (
    ClusterConfig,
    ClusterMethod,
    Distance,
    Linkage,
    cluster_stability,
    confidence,
    diagnostic_curves,
    fit_clusters,
)
from cluster_core.data import build_market_data
from cluster_core.errors import DataError, ParameterError
from cluster_core.features import PrepConfig, compute_features, prepare_features


def planted(n_groups: int = 4, per_group: int = 12, dim: int = 6, spread: float = 0.15, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (n_groups, dim))
    truth = np.repeat(np.arange(n_groups), per_group)
    X = centres[truth] + rng.normal(0, spread, (len(truth), dim))
    index = pd.Index([f"C{i:03d}" for i in range(len(truth))], name="symbol")
    return pd.DataFrame(X, index=index), pd.Series(truth, index=index)


@pytest.mark.parametrize(
    "config",
    [
        ClusterConfig(),
        ClusterConfig(method="hierarchical"),
        ClusterConfig(method="hierarchical", linkage="average"),
        ClusterConfig(method="dbscan"),
        ClusterConfig(method="hdbscan"),
    ],
    ids=["kmeans-auto", "ward-auto", "average-auto", "dbscan-auto-eps", "hdbscan"],
)
def test_planted_clusters_are_recovered(config):
    Z, truth = planted()
    fit = fit_clusters(Z, config)
    assert adjusted_rand_score(truth, fit.labels) == 1.0
    assert fit.n_clusters == 4 and fit.n_noise == 0
    assert fit.quality["silhouette"] > 0.8


def test_automatic_k_explains_itself():
    Z, _ = planted(n_groups=5)
    fit = fit_clusters(Z, ClusterConfig())
    assert fit.config.n_clusters == 5 and fit.structure.n_groups == 5
    assert len(fit.structure.splits) == 4
    assert fit.notes[0].startswith("Automatic k: 5 groups, split only where a view of the data has separate modes")
    assert f"({len(fit.structure.splits)} split(s)" in fit.notes[0]


def test_suggested_eps_and_k_distance_curve():
    Z, _ = planted()
    fit = fit_clusters(Z, ClusterConfig(method="dbscan", min_samples=4))
    assert fit.config.eps is not None and fit.config.eps > 0
    assert len(fit.k_distance) == len(Z)
    assert fit.k_distance["distance"].is_monotonic_increasing


def test_behaviour_groups_of_a_synthetic_market_are_recovered():
    """Three planted behaviours: pegged coins, BTC-like majors, decorrelated high-vol coins."""
    rng = np.random.default_rng(7)
    n = 24 * 120
    index = pd.date_range("2023-01-01", periods=n, freq="1h", tz="UTC")
    market = rng.normal(0, 0.006, n)
    frames, truth = [], {}
    for i in range(8):
        frames.append(("BTC" if i == 0 else f"MAJ{i}", np.exp(np.cumsum(market * 1.0 + rng.normal(0, 0.002, n))), 0))
    for i in range(8):
        frames.append((f"PEG{i}", 1 + rng.normal(0, 0.0004, n), 1))
    for i in range(8):
        frames.append((f"ODD{i}", np.exp(np.cumsum(rng.normal(0, 0.02, n))), 2))
    long = []
    for symbol, close, group in frames:
        truth[symbol] = group
        long.append(pd.DataFrame({"timestamp": index, "symbol": symbol, "close": close,
                                  "volume_usd": rng.uniform(1e6, 2e6, n)}))
    md = build_market_data(pd.concat(long), source="planted")
    fs = compute_features(md, lookback_days=90)
    # Risk and co-movement features: what the planted groups differ in (their returns,
    # momentum and drawdowns are random by construction).
    prep = PrepConfig(features=("annualized_vol", "btc_corr", "beta_btc", "downside_vol", "var_95"))
    Z = prepare_features(fs.X, prep).Z
    fit = fit_clusters(Z, ClusterConfig(), order_by=fs.X["annualized_vol"])
    assert adjusted_rand_score(pd.Series(truth).loc[Z.index], fit.labels) == 1.0
    assert fit.labels["PEG0"] == 0  # lowest volatility first


def test_labels_are_canonical_by_order_by_and_deterministic():
    Z, truth = planted(n_groups=3)
    order = pd.Series(truth.map({0: 3.0, 1: 1.0, 2: 2.0}), index=Z.index)
    a = fit_clusters(Z, ClusterConfig(n_clusters=3), order_by=order)
    b = fit_clusters(Z.sample(frac=1, random_state=1), ClusterConfig(n_clusters=3), order_by=order)
    assert a.labels[truth.index[truth == 1][0]] == 0
    pd.testing.assert_series_equal(a.labels, b.labels.loc[a.labels.index])
    assert set(a.labels) == {0, 1, 2}


@pytest.mark.parametrize("method", list(ClusterMethod))
def test_same_config_same_labels(method):
    Z, _ = planted(seed=3)
    a = fit_clusters(Z, ClusterConfig(method=method, n_clusters=4 if method in ("kmeans", "hierarchical") else None))
    b = fit_clusters(Z, ClusterConfig(method=method, n_clusters=4 if method in ("kmeans", "hierarchical") else None))
    pd.testing.assert_series_equal(a.labels, b.labels)
    assert set(a.labels) <= {-1, *range(a.n_clusters)}


def test_hierarchical_on_correlation_distance_keeps_the_tree():
    rng = np.random.default_rng(1)
    base = rng.normal(0, 1, (2, 300))
    returns = pd.DataFrame(
        np.r_[base[0] + rng.normal(0, 0.3, (5, 300)), base[1] + rng.normal(0, 0.3, (5, 300))].T,
        columns=[f"S{i}" for i in range(10)],
    )
    Z = pd.DataFrame(rng.normal(size=(10, 3)), index=returns.columns)
    for distance in (Distance.PEARSON, Distance.SPEARMAN):
        fit = fit_clusters(Z, ClusterConfig(method="hierarchical", distance=distance, linkage=Linkage.AVERAGE,
                                            n_clusters=2), returns=returns)
        assert adjusted_rand_score([0] * 5 + [1] * 5, fit.labels) == 1.0
        assert fit.linkage_matrix.shape == (9, 4)
        assert fit.distance_matrix.shape == (10, 10)
        assert fit.config.cut_distance > 0
    with pytest.raises(ParameterError, match="needs the window's returns"):
        fit_clusters(Z, ClusterConfig(method="hierarchical", distance="pearson"))


def test_cut_by_distance():
    Z, _ = planted()
    tall = fit_clusters(Z, ClusterConfig(method="hierarchical", cut_distance=1e6))
    assert tall.n_clusters == 1
    low = fit_clusters(Z, ClusterConfig(method="hierarchical", cut_distance=1e-9))
    assert low.n_clusters == len(Z)


@pytest.mark.parametrize(
    ("Z", "config", "error", "match"),
    [
        (pd.DataFrame(np.ones((2, 3))), ClusterConfig(), DataError, "at least 3 symbols; got 2"),
        (planted()[0], ClusterConfig(n_clusters=48), ParameterError, "k=48 needs more than 48 symbols; the window has 48"),
        (planted()[0], ClusterConfig(n_clusters=1), ParameterError, r"`n_clusters` must be an int in \[2"),
        (planted()[0], ClusterConfig(method="spectral"), ParameterError, "`method` must be one of"),
        (planted()[0], ClusterConfig(eps=-1.0), ParameterError, "`eps`"),
        (planted()[0].assign(extra=np.nan), ClusterConfig(), DataError, "NaN or infinite"),
    ],
)
def test_bad_input(Z, config, error, match):
    with pytest.raises(error, match=match):
        fit_clusters(Z, config)


def test_identical_features_make_one_cluster_with_a_note():
    fit = fit_clusters(pd.DataFrame(np.ones((6, 3))), ClusterConfig(n_clusters=3))
    assert fit.n_clusters == 1
    assert "identical features" in fit.notes[0]
    assert np.isnan(fit.quality["silhouette"])


def test_eps_that_makes_everything_noise_or_one_cluster_is_explained():
    Z, _ = planted()
    noise = fit_clusters(Z, ClusterConfig(method="dbscan", eps=1e-6))
    assert noise.n_noise == len(Z) and noise.n_clusters == 0
    assert "Every symbol is noise" in noise.notes[0] and "suggested" in noise.notes[0]
    one = fit_clusters(Z, ClusterConfig(method="dbscan", eps=1e3))
    assert one.n_clusters == 1 and "one cluster" in one.notes[0]


def test_stability_is_high_for_real_groups_and_lower_for_noise():
    Z, _ = planted()
    fit = fit_clusters(Z, ClusterConfig(n_clusters=4))
    stable = cluster_stability(Z, fit)
    assert list(stable.index) == [0, 1, 2, 3] and (stable == 1.0).all()
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(rng.normal(size=(40, 4)))
    cut = fit_clusters(noise, ClusterConfig(n_clusters=6))
    unstable = cluster_stability(noise, cut)
    assert unstable.mean() < 0.8
    assert unstable.to_numpy() == pytest.approx(confidence(noise, cut).groupby(cut.labels).mean().to_numpy())


def test_diagnostic_curves_for_any_method(hourly):
    fs = compute_features(hourly, lookback_days=90)
    k_curve, k_distance = diagnostic_curves(prepare_features(fs.X).Z, 4)
    assert list(k_curve.columns) == ["k", "inertia", "silhouette"]
    assert k_curve["inertia"].is_monotonic_decreasing or k_curve["inertia"].iloc[-1] < k_curve["inertia"].iloc[0]
    assert len(k_distance) == len(fs.X)


@pytest.mark.parametrize("n", [300, 2500])
def test_silhouette_equals_scikit_learns_on_the_same_sample(n):
    from sklearn.metrics import silhouette_score

    from cluster_core.clustering import _kmeans

    rng = np.random.default_rng(n)
    Z = rng.normal(size=(n, 5)) + np.repeat(np.eye(5)[:3] * 3, -(-n // 3), axis=0)[:n]
    for k in (2, 3, 7):
        labels = rng.integers(0, k, n) if k == 7 else np.arange(n) * k // n
        expected = silhouette_score(Z, labels, sample_size=2000 if n > 2000 else None, random_state=11)
        assert _kmeans.silhouette(Z, labels, 11) == pytest.approx(expected, abs=1e-12)
    assert np.isnan(_kmeans.silhouette(Z, np.zeros(n, dtype=int), 11))


def test_hdbscan_in_a_large_universe_finds_the_groups_not_local_bumps():
    """3,000 symbols: six planted groups are found; one structureless population is all noise, not clusters.

    With the minimum cluster size fixed at 3, the structureless population came out as
    4 "clusters" (and 5,000 hourly synthetic symbols as 498).
    """
    Z, truth = planted(n_groups=6, per_group=500, dim=8, spread=0.6, seed=3)
    fit = fit_clusters(Z, ClusterConfig(method="hdbscan"))
    assert fit.n_clusters == 6 and fit.n_noise < 30
    assert adjusted_rand_score(truth, fit.labels) > 0.98
    assert any("hold at least 30 symbols (1% of 3,000)" in note for note in fit.notes)
    flat = pd.DataFrame(np.random.default_rng(0).standard_t(3, size=(3000, 8)), index=Z.index)
    fit = fit_clusters(flat, ClusterConfig(method="hdbscan"))
    assert fit.n_noise == 3000
    assert any(note.startswith("Every symbol is noise: no group of at least 30 symbols") for note in fit.notes)


def test_hdbscan_minimum_cluster_size_grows_only_beyond_300_symbols():
    from cluster_core.clustering._density import hdbscan_min_cluster_size

    assert [hdbscan_min_cluster_size(n, 3) for n in (60, 300, 301, 5000)] == [3, 3, 4, 50]
    assert hdbscan_min_cluster_size(60, 10) == 10 and hdbscan_min_cluster_size(100, 1) == 2
    small = fit_clusters(planted()[0], ClusterConfig(method="hdbscan"))
    assert not any("at least" in note for note in small.notes)


def test_a_k_change_in_hierarchical_clustering_re_cuts_the_kept_trees(monkeypatch):
    """The tree does not depend on k: the fit and its 20 confidence refits at a new k build no tree again."""
    from scipy.cluster import hierarchy

    from cluster_core.clustering import _fit, _hierarchical, confidence

    Z, _ = planted(n_groups=4, per_group=40)
    first = fit_clusters(Z, ClusterConfig(method="hierarchical", n_clusters=4))
    confidence(Z, first)
    built = []
    real_linkage = hierarchy.linkage
    monkeypatch.setattr(hierarchy, "linkage", lambda *a, **kw: built.append(1) or real_linkage(*a, **kw))
    other = fit_clusters(Z, ClusterConfig(method="hierarchical", n_clusters=6))
    reused = confidence(Z, other)
    assert built == []
    _hierarchical._TREES.clear()
    _fit._CONFIDENCE.clear()
    fresh = confidence(Z, fit_clusters(Z, ClusterConfig(method="hierarchical", n_clusters=6)))
    assert len(built) == 21  # built again: the fit's tree and the 20 refits' trees
    pd.testing.assert_series_equal(reused, fresh)
    assert not other.linkage_matrix.flags.writeable
