"""Properties of clustering and naming that must hold for any input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.metrics import adjusted_rand_score

from cluster_core.clustering import ClusterConfig, ClusterMethod, fit_clusters
from cluster_core.features import Feature
from cluster_core.interpretation import profile_clusters

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def planted_blobs(draw):
    """Well-separated blobs: centres on a grid 10 apart, spread 0.3."""
    n_groups = draw(st.integers(2, 5))
    sizes = draw(st.lists(st.integers(4, 9), min_size=n_groups, max_size=n_groups))
    dim = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    centres = np.array([np.eye(dim)[i % dim] * 10 * (1 + i // dim) for i in range(n_groups)])
    truth = np.repeat(np.arange(n_groups), sizes)
    X = centres[truth] + rng.normal(0, 0.3, (len(truth), dim))
    index = pd.Index([f"A{i:03d}" for i in range(len(truth))])
    return pd.DataFrame(X, index=index), pd.Series(truth, index=index)


@pytest.mark.slow
@SETTINGS
@given(planted_blobs(), st.randoms(use_true_random=False),
       st.sampled_from([ClusterMethod.KMEANS, ClusterMethod.HIERARCHICAL]))
def test_shuffling_assets_keeps_the_partition(blobs, rnd, method):
    Z, truth = blobs
    k = int(truth.nunique())
    a = fit_clusters(Z, ClusterConfig(method=method, n_clusters=k))
    order = list(Z.index)
    rnd.shuffle(order)
    b = fit_clusters(Z.loc[order], ClusterConfig(method=method, n_clusters=k))
    assert adjusted_rand_score(truth, a.labels) == 1.0
    assert adjusted_rand_score(a.labels, b.labels.loc[a.labels.index]) == 1.0


@pytest.mark.slow
@SETTINGS
@given(planted_blobs(), st.sampled_from(list(ClusterMethod)), st.integers(2, 6))
def test_labels_lie_in_noise_or_0_to_k_minus_1(blobs, method, k):
    Z, _ = blobs
    fit = fit_clusters(Z, ClusterConfig(method=method, n_clusters=k if method in ("kmeans", "hierarchical") else None))
    clusters = sorted(set(fit.labels) - {-1})
    assert clusters == list(range(len(clusters)))
    assert fit.labels.index.equals(Z.index)


@SETTINGS
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(6, 40), st.just(len(Feature))),
               elements=st.floats(-5, 5, allow_nan=False)),
    st.integers(1, 8),
    st.integers(0, 2**16),
)
def test_names_are_unique_and_every_cluster_is_named(values, k, seed):
    index = pd.Index([f"S{i}" for i in range(len(values))])
    X = pd.DataFrame(values, index=index, columns=[f.value for f in Feature])
    X["annualized_vol"] = X["annualized_vol"].abs()
    X["avg_daily_volume_usd"] = 10 ** (X["avg_daily_volume_usd"] + 6)
    labels = pd.Series(np.random.default_rng(seed).integers(-1, k, len(X)), index=index)
    profile = profile_clusters(X, labels)
    assert profile.names.is_unique
    assert set(profile.names.index) == set(labels)
    assert profile.table["size"].sum() == len(X)
