"""Trust in the clusters: planted groups at varied settings, the null market, confidence, names, persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, silhouette_score

from cluster_core.clustering import ClusterConfig, confidence, find_groups, fit_clusters
from cluster_core.clustering._groups import ALPHA
from cluster_core.clustering._kmeans import silhouette
from cluster_core.errors import DataError
from cluster_core.features import (
    FEATURE_FAMILY,
    PRESETS,
    SEED_FEATURES,
    FeatureConfig,
    FeatureFamily,
    FeaturePreset,
    PrepConfig,
    feature_persistence,
    preset_of,
)
from cluster_core.pipeline import run_clustering, score_planted
from cluster_core.reduction import ReductionConfig
from cluster_core.synthetic import null_market, planted_market
from cluster_core.walkforward import run_stability

PCA = ReductionConfig("pca")


def test_planted_family_is_recovered_at_default_settings():
    """A lower floor than the benchmark's target, on seeds the benchmark does not use."""
    scores = [score_planted(planted_market(seed))[0] for seed in range(100, 112)]
    assert np.median(scores) >= 0.9
    assert min(scores) >= 0.7


def test_planted_markets_vary_in_group_count_and_sizes():
    markets = [planted_market(seed) for seed in range(12)]
    counts = {m.truth.nunique() for m in markets}
    sizes = np.concatenate([m.truth.value_counts().to_numpy() for m in markets])
    assert len(counts) >= 4 and min(counts) >= 3 and max(counts) <= 10
    assert sizes.min() >= 4 and sizes.max() <= 25 and len(set(sizes)) >= 10
    archetypes = pd.concat([m.archetypes for m in markets])
    assert archetypes["beta"].between(0.1, 1.9).all() and archetypes["beta"].std() > 0.3
    assert set(archetypes["jumps_per_year"]) == {0.0, 40.0, 150.0}
    assert archetypes["volume_usd"].max() / archetypes["volume_usd"].min() > 1e3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_market_without_groups_is_reported_as_such(seed):
    result = run_clustering(null_market(seed).data, reduction=PCA)
    fit = result.clustering
    assert not fit.has_groups and fit.n_clusters == 1 and fit.structure.splits == ()
    assert any(note.startswith("No clear groups: no view of the 121 symbols has separate modes") for note in fit.notes)
    assert fit.structure.root_p >= ALPHA
    assert set(result.profile.names) == {"Whole market"}
    table = result.table()
    assert table["confidence"].mean() > 0.9  # refits find the same single population
    assert table["tier"].value_counts().sort_index().tolist() == [40, 40, 41]  # cut into tiers, not groups


def test_nested_groups_are_split_all_the_way_down():
    """Two pairs of close groups, the pairs far apart: silhouette prefers 2, the search for modes finds 4."""
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [0, 3], [40, 0], [40, 3]], dtype=float)
    truth = np.repeat(np.arange(4), 20)
    Z = pd.DataFrame(centres[truth] + rng.normal(0, 0.4, (80, 2)))
    fit = fit_clusters(Z, ClusterConfig())
    assert fit.n_clusters == 4 and len(fit.structure.splits) == 3
    assert adjusted_rand_score(truth, fit.labels) == 1.0


def test_a_spread_is_never_cut_however_large():
    """A uniform, a normal and a skewed spread of 2,000 symbols in four dimensions: one group each."""
    rng = np.random.default_rng(3)
    for draw in (rng.uniform(size=(2000, 4)), rng.normal(size=(2000, 4)), rng.gamma(2.0, size=(2000, 4))):
        search = find_groups(draw * [1, 2, 0.5, 3], 0)
        assert search.n_groups == 1 and search.root_p >= ALPHA


def test_a_small_far_group_is_found_beside_a_continuum():
    """Five pegged-like points far from 400 spread ones: found, and nothing else."""
    rng = np.random.default_rng(4)
    Z = np.r_[rng.uniform(-2, 2, (400, 3)), rng.normal([-9, 0, 0], 0.3, (5, 3))]
    labels = find_groups(Z, 0).labels
    assert adjusted_rand_score(np.r_[np.zeros(400), np.ones(5)], labels) == 1.0


@given(n=st.integers(6, 60), k=st.integers(2, 5), seed=st.integers(0, 10_000))
@settings(max_examples=40, deadline=None)
def test_fast_silhouette_equals_scikit_learn(n, k, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 3))
    labels = rng.integers(0, k, n)
    if not 2 <= len(np.unique(labels)) < n:
        assert np.isnan(silhouette(Z, labels, 0))
        return
    assert silhouette(Z, labels, 0) == pytest.approx(silhouette_score(Z, labels), abs=1e-12)


def test_confidence_is_high_in_the_core_and_low_between_groups():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 0.5, (30, 2)), rng.normal(0, 0.5, (30, 2)) + [6, 0]
    middle = np.array([[3.0, 0.0], [3.1, 0.2]])
    Z = pd.DataFrame(np.r_[a, b, middle], index=[f"S{i:02d}" for i in range(62)])
    fit = fit_clusters(Z, ClusterConfig(n_clusters=2))
    values = confidence(Z, fit)
    assert values.between(0, 1).all()
    assert values.iloc[:60].min() > 0.95  # core: their cluster comes back nearly whole in every refit
    assert values.iloc[60:].max() < values.iloc[:60].min()  # the two between the groups agree less
    assert confidence(Z, fit).equals(values)  # cached, same values


def test_confidence_falls_when_the_structure_itself_is_unstable():
    """k forced to 6 on one population: every refit cuts it elsewhere, so confidence is low (the old measure,
    which forgave subdivisions, gave 0.8+ here)."""
    Z = pd.DataFrame(np.random.default_rng(2).normal(size=(120, 3)), index=[f"S{i:03d}" for i in range(120)])
    cut = confidence(Z, fit_clusters(Z, ClusterConfig(n_clusters=6)))
    assert cut.mean() < 0.7


def test_bundled_result_carries_confidence_everywhere(hourly):
    result = run_clustering(hourly, clustering=ClusterConfig(n_clusters=6), reduction=PCA)
    table = result.table()
    assert table.columns[-1] == "confidence" and table["confidence"].between(0, 1).all()
    profile = result.profile.table
    assert {"stability", "tentative", "core", "boundary"} <= set(profile.columns)
    for _, row in profile.iterrows():  # core and boundary: disjoint, together the members
        core, boundary = (set(row[c].split(", ")) - {""} for c in ("core", "boundary"))
        assert not core & boundary and core | boundary == set(row["members"].split(", "))
        assert row["tentative"] == (row["stability"] < 0.5)
    conf = result.clustering.confidence
    for _, row in profile.iterrows():
        members = row["members"].split(", ")
        assert list(conf[members]) == sorted(conf[members], reverse=True)  # core first
        boundary = [s for s in row["boundary"].split(", ") if s]
        assert set(boundary) == {s for s in members if conf[s] < 0.6}
    assert profile["boundary"].str.len().sum() > 0  # k=6 on real data has boundary symbols


@pytest.mark.parametrize("days_back", [0, 60, 150, 240])
@pytest.mark.parametrize("k", [None, 6])
def test_names_and_reasons_tell_clusters_apart_on_bundled_data(hourly, days_back, k):
    features = FeatureConfig(lookback_days=90, as_of=hourly.end - pd.Timedelta(days=days_back))
    result = run_clustering(hourly, features, clustering=ClusterConfig(n_clusters=k), reduction=PCA)
    table = result.profile.table
    assert table["name"].is_unique and table["reason"].is_unique
    assert all(len(reason) > 10 for reason in table["reason"])
    names = result.profile.name_of(result.clustering.labels)
    assert names["BTC"] == names["ETH"]
    assert names["BTC"] in {"Blue-chip crypto", "Market followers", "Core market", "Whole market", "Defensive coins"}
    if k == 6 and "USDC" in names:
        assert names["USDC"] == "Stablecoins / pegged"


def test_feature_families_and_presets():
    assert all(FEATURE_FAMILY[f] is FeatureFamily.BEHAVIOUR for f in PRESETS[FeaturePreset.BEHAVIOUR])
    performance = {f for f, fam in FEATURE_FAMILY.items() if fam is FeatureFamily.PERFORMANCE}
    assert {f.value for f in performance} == {"annualized_return", "sharpe", "sortino", "momentum_30d",
                                             "trend_strength", "max_drawdown"}
    assert PrepConfig().features == tuple(f.value for f in PRESETS[FeaturePreset.BEHAVIOUR])
    assert len(SEED_FEATURES) == 12
    for preset, features in PRESETS.items():
        assert preset_of([f.value for f in reversed(features)]) is preset
    assert preset_of(["annualized_vol", "btc_corr"]) is None


@pytest.mark.parametrize("sample", ["hourly", "daily"])
def test_persistence_separates_behaviour_from_performance(request, sample):
    data = request.getfixturevalue(sample)
    result = feature_persistence(data)
    table = result.table.set_index("feature")
    assert len(result.window_ends) >= 3 and table["pairs"].min() == len(result.window_ends) - 1
    assert table.loc["amihud_illiquidity", "median_spearman"] > 0.8
    behaviour = table[table["family"] == "behaviour"]
    performance = table[table["family"] == "performance"]
    assert performance["median_spearman"].max() < 0.5
    assert behaviour.loc[behaviour["in_default"], "median_spearman"].median() > 0.45
    for feature in ("annualized_return", "sharpe", "momentum_30d"):
        assert abs(table.loc[feature, "median_spearman"]) < 0.2


def test_persistence_needs_three_windows(hourly):
    with pytest.raises(DataError, match="at least 3 whole 400-day windows"):
        feature_persistence(hourly, FeatureConfig(lookback_days=400))


@pytest.mark.slow
def test_month_to_month_stability_table_with_independent_fits(hourly):
    result = run_stability(hourly, months=4, smoothness=0.0)
    table = result.table
    assert list(table.columns)[:6] == ["date", "k", "ari_vs_previous", "n_changed", "changed", "silhouette"]
    assert len(table) == 4 and pd.isna(table["ari_vs_previous"].iloc[0])
    for i, (before, now) in enumerate(zip(result.months, result.months[1:], strict=False), start=1):
        shared = before.labels.index.intersection(now.labels.index)
        assert table["ari_vs_previous"].iloc[i] == adjusted_rand_score(before.labels[shared], now.labels[shared])
    assert (table["ari_vs_previous"].iloc[1:] == 1.0).all()  # the stablecoins against one continuum, every month
    assert not table["carried"].any()
    assert (table["silhouette"].fillna(-9) == table["independent_silhouette"].fillna(-9)).all()
    assert (table.loc[~table["clear_groups"], "k"] == 1).all()


def test_dbscan_default_finds_structure_or_says_why(hourly):
    result = run_clustering(hourly, clustering=ClusterConfig(method="dbscan"), reduction=PCA)
    assert result.clustering.n_clusters >= 2
    assert result.clustering.n_noise <= 0.2 * len(result.clustering.labels)
    blob = pd.DataFrame(np.random.default_rng(0).normal(size=(80, 3)))
    fit = fit_clusters(blob, ClusterConfig(method="dbscan"))
    assert any("no eps splits the symbols into 2+ dense groups" in note for note in fit.notes)
    assert fit.n_clusters == 1 and fit.n_noise <= 4  # one dense population with a few outliers


# Each name's claim, checked member by member against the other clusters' members (o) and the
# universe (u), written out here on purpose: an independent reading of the naming table (docs/methodology.md).
_VOL, _VOLUME, _BETA, _CORR = "annualized_vol", "avg_daily_volume_usd", "beta_btc", "btc_corr"
_MEMBER_RULES = {
    "Stablecoins / pegged": lambda m, o, u, c: m[_VOL] < 0.10,
    "Blue-chip crypto": lambda m, o, u, c: (m[_VOLUME] >= 3 * o[_VOLUME]) & (m[_VOLUME] >= u[_VOLUME])
    & (m[_VOL] < o[_VOL]),
    "Illiquid small caps": lambda m, o, u, c: (m[_VOLUME] <= o[_VOLUME] / 3) & (m[_VOLUME] <= 0.5 * u[_VOLUME]),
    "Decorrelated assets": lambda m, o, u, c: (m[_CORR] < 0.35) & (m[_CORR] < o[_CORR] - 0.1),
    "High-beta altcoins": lambda m, o, u, c: ((m[_VOL] >= 1.25 * o[_VOL]) | (m[_BETA] >= o[_BETA] + 0.2))
    & (m[_CORR] < 0.999),
    "Defensive coins": lambda m, o, u, c: (m[_VOL] <= 0.8 * o[_VOL]) & (m[_BETA] <= o[_BETA] - 0.2),
    "Market followers": lambda m, o, u, c: (m[_CORR] >= 0.5) & (m[_CORR] > o[_CORR]),
    "Jump-prone tokens": lambda m, o, u, c: (np.arcsinh(m["kurtosis"]) - np.arcsinh(o["kurtosis"]))
    / np.arcsinh(c["kurtosis"]).std(ddof=0) > 1,
}
_TRAIT_FEATURES = {"volatility": [(_VOL, 1), ("downside_vol", 1), ("var_95", -1), ("cvar_95", -1)],
                   "volume": [(_VOLUME, 1), ("amihud_illiquidity", -1)], "beta": [(_BETA, 1)],
                   "BTC correlation": [(_CORR, 1)], "kurtosis": [("kurtosis", 1)], "skew": [("skewness", 1)],
                   "autocorrelation": [("autocorr_1", 1)]}
_CLAIMS = {"Stablecoins / pegged": {("peg", 1)}, "Blue-chip crypto": {("volume", 1)},
           "Illiquid small caps": {("volume", -1)}, "Decorrelated assets": {("BTC correlation", -1)},
           "Jump-prone tokens": {("kurtosis", 1)}, "High-beta altcoins": {("volatility", 1), ("beta", 1)},
           "Defensive coins": {("volatility", -1), ("beta", -1)}, "Market followers": {("BTC correlation", 1)}}
_SETTINGS = [ClusterConfig(), ClusterConfig(n_clusters=6), ClusterConfig(method="hierarchical"),
             ClusterConfig(method="hierarchical", n_clusters=6), ClusterConfig(method="dbscan"),
             ClusterConfig(method="hdbscan")]


def _share_true(name: str, m: pd.DataFrame, o: pd.Series, u: pd.Series, clustered: pd.DataFrame) -> float:
    if name in _MEMBER_RULES:
        return float(np.mean(_MEMBER_RULES[name](m, o, u, clustered)))
    direction, trait = name.split(" ", 1)[0], name.split(" ", 1)[1].removesuffix(" group")
    sign = 1 if direction == "High" else -1
    shares = [np.mean((m[f] - o[f]) * s * sign > 0) for f, s in _TRAIT_FEATURES.get(trait, [(None, 1)]) if f in m]
    return float(max(shares)) if shares else 1.0


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["hourly", "daily"])
def test_names_are_true_of_their_members_for_every_algorithm(request, sample):
    """Acceptance: 6 month ends x every algorithm (automatic and k = 6): each name holds for 2/3 of its members,
    two names never make one claim, and BTC and ETH are never called high-beta, illiquid or small."""
    from cluster_core.interpretation import profile_clusters
    from cluster_core.pipeline import cluster, prepare, run_features

    data = request.getfixturevalue(sample)
    checked = 0
    for days_back in (0, 60, 120, 180, 240, 300):
        view = run_features(data, FeatureConfig(lookback_days=90, as_of=data.end - pd.Timedelta(days=days_back)))
        prepared, X = prepare(view), view.features.X
        for config in _SETTINGS:
            labels = cluster(data, view, prepared, config, with_confidence=False).labels
            names = profile_clusters(X, labels).names
            clustered = X[labels >= 0]
            claims = []
            for c, name in names.items():
                if c < 0 or name in {"Whole market", "Core market"} or name.startswith("Group "):
                    continue
                members, others = X[labels == c], X[(labels != c) & (labels >= 0)].median()
                share = _share_true(name, members, others, clustered.median(), clustered)
                assert share >= 2 / 3, (days_back, config, name, share)
                claims += list(_CLAIMS.get(name, {(name.split(" ", 1)[1].removesuffix(" group"),
                                                   1 if name.startswith("High") else -1)}))
                checked += 1
            assert len(claims) == len(set(claims)), (days_back, config, list(names))
            for symbol in ("BTC", "ETH"):
                if symbol in labels.index:
                    assert names[labels[symbol]] not in {"High-beta altcoins", "Illiquid small caps"}
    assert checked >= 40
