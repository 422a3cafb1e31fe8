"""Correlation network, Marchenko-Pastur spectrum and correlation clustering on residual returns."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import minimum_spanning_tree
from sklearn.metrics import adjusted_rand_score

from cluster_core.clustering import ClusterConfig
from cluster_core.errors import DataError
from cluster_core.features import FeatureConfig, MarketMode, marchenko_pastur, residual_returns
from cluster_core.network import (
    backbone,
    build_network,
    correlation_matrix,
    denoise,
    mantegna_distance,
    spanning_tree,
    tree_layout,
)
from cluster_core.pipeline import cluster, prepare, run_features, window_returns
from cluster_core.synthetic import factor_market
from tests.conftest import run_cli

RESIDUAL = FeatureConfig(market_mode=MarketMode.BTC_RESIDUAL)


@pytest.fixture(scope="module")
def bundled_view(hourly):
    return run_features(hourly)


def _is_spanning_tree(edges: pd.DataFrame, symbols) -> bool:
    graph = nx.Graph()
    graph.add_nodes_from(symbols)
    graph.add_edges_from(edges[["source", "target"]].itertuples(index=False))
    return nx.is_tree(graph)


@pytest.mark.parametrize("mode", list(MarketMode))
def test_the_tree_spans_every_symbol_and_matches_scipy_and_kruskal(hourly, bundled_view, mode):
    network = build_network(hourly, bundled_view.features, mode)
    symbols = network.correlation.index
    assert len(network.edges) == len(symbols) - 1
    assert _is_spanning_tree(network.edges, symbols)
    D = mantegna_distance(network.correlation.to_numpy())
    assert network.total_distance == pytest.approx(minimum_spanning_tree(np.triu(D, 1)).sum(), abs=1e-9)
    graph = nx.Graph()  # Kruskal's algorithm in networkx: an implementation that shares nothing with scipy's
    for i in range(len(symbols)):
        for j in range(i + 1, len(symbols)):
            graph.add_edge(symbols[i], symbols[j], weight=D[i, j])
    kruskal = nx.minimum_spanning_tree(graph, algorithm="kruskal").size(weight="weight")
    assert network.total_distance == pytest.approx(kruskal, abs=1e-9)
    if mode is MarketMode.BTC_RESIDUAL:
        assert network.dropped == ("BTC",)  # its own residual is zero: nothing left to co-move


def test_correlation_is_pearson_with_gaps_filled_by_the_mean_and_mantegna_is_its_metric(hourly, bundled_view):
    r = window_returns(hourly, bundled_view.features)
    mine = correlation_matrix(r)
    kept = r[mine.index]
    reference = kept.fillna(kept.mean()).corr()
    np.testing.assert_allclose(mine.to_numpy(), reference.to_numpy(), atol=1e-10)
    assert mantegna_distance(np.array([1.0, 0.0, -1.0])) == pytest.approx([0.0, np.sqrt(2), 2.0])


def test_identical_series_stay_linked_at_distance_zero():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(200, 3))
    r = pd.DataFrame(np.c_[base, base[:, 0]], columns=["A", "B", "C", "A2"])
    edges = spanning_tree(correlation_matrix(r))
    assert len(edges) == 3 and _is_spanning_tree(edges, r.columns)
    first = edges.iloc[0]
    assert {first["source"], first["target"]} == {"A", "A2"} and first["distance"] == pytest.approx(0.0, abs=1e-7)


def test_residual_returns_remove_each_symbols_own_beta(hourly, bundled_view):
    r = window_returns(hourly, bundled_view.features)
    residual = residual_returns(r, MarketMode.BTC_RESIDUAL, "BTC")
    for symbol in ("ETH", "SOL", "DOGE"):
        pair = r[[symbol, "BTC"]].dropna()
        slope = np.polyfit(pair["BTC"], pair[symbol], 1)[0]
        expected = (r[symbol] - slope * r["BTC"].fillna(0.0)).dropna()  # no factor on a bar: nothing removed
        pd.testing.assert_series_equal(residual[symbol].dropna(), expected, check_names=False, atol=1e-12)
    assert (residual["BTC"].dropna() == 0).all()
    with pytest.raises(DataError, match="benchmark XYZ"):
        residual_returns(r, MarketMode.BTC_RESIDUAL, "XYZ")


@pytest.mark.parametrize("seed", range(10))
def test_the_count_above_the_edge_is_the_planted_number_of_sectors(seed):
    market = factor_market(seed)
    view = run_features(market.data, RESIDUAL)
    network = build_network(market.data, view.features, MarketMode.BTC_RESIDUAL)
    assert abs(network.spectrum.n_factors - len(market.archetypes)) <= 1


def test_pure_noise_has_no_driver_and_the_density_is_a_probability():
    rng = np.random.default_rng(3)
    for _ in range(5):
        r = pd.DataFrame(rng.standard_normal((2000, 150)))
        spectrum = marchenko_pastur(correlation_matrix(r), 2000)
        assert spectrum.n_factors <= 1  # the largest noise eigenvalue fluctuates around the edge by ~T^(-2/3)
        assert spectrum.eigenvalues.sum() == pytest.approx(150)
    grid = np.linspace(spectrum.lower_edge, spectrum.edge, 20001)
    assert np.trapezoid(spectrum.density(grid), grid) == pytest.approx(1.0, abs=1e-3)


def test_denoising_keeps_the_drivers_and_a_valid_correlation(hourly, bundled_view):
    network = build_network(hourly, bundled_view.features, MarketMode.BTC_RESIDUAL)
    n_bars = network.spectrum.n_bars
    clean = denoise(network.correlation, n_bars)
    values = np.linalg.eigvalsh(clean.to_numpy())
    assert values.min() > -1e-9 and np.allclose(np.diag(clean), 1.0)
    assert np.allclose(clean, clean.T)
    assert marchenko_pastur(clean, n_bars).eigenvalues[0] == pytest.approx(network.spectrum.eigenvalues[0], rel=0.05)


@pytest.mark.parametrize("seed", [30, 31, 32, 33, 34])
def test_correlation_clustering_on_residuals_recovers_the_planted_sectors(seed):
    market = factor_market(seed)
    view = run_features(market.data, RESIDUAL)
    config = ClusterConfig(method="hierarchical", distance="pearson")
    fit = cluster(market.data, view, prepare(view), config, with_confidence=False)
    scored = market.truth.index.intersection(fit.labels.index)
    assert adjusted_rand_score(market.truth[scored], fit.labels[scored]) >= 0.9
    assert "Marchenko-Pastur" in fit.notes[0]


def test_the_layout_is_seeded_and_the_backbone_drops_only_leaves(hourly, bundled_view):
    edges = build_network(hourly, bundled_view.features).edges
    first, again = tree_layout(edges, 0), tree_layout(edges, 0)
    pd.testing.assert_frame_equal(first, again)
    assert set(first.index) == set(edges["source"]) | set(edges["target"])
    core, hung = backbone(edges)
    degree = pd.concat([edges["source"], edges["target"]]).value_counts()
    leaves = set(degree.index[degree == 1])
    assert not (set(core["source"]) | set(core["target"])) & leaves
    assert hung.sum() == len(leaves) and len(core) == len(edges) - len(leaves)


def test_the_network_cli_writes_one_row_per_tree_edge(tmp_path):
    out = tmp_path / "network.csv"
    done = run_cli("network", "--data", "sample", "--market-mode", "btc-residual", "--out", str(out))
    assert done.returncode == 0, done.stderr
    edges = pd.read_csv(out)
    assert list(edges.columns) == ["source", "target", "correlation"]
    symbols = set(edges["source"]) | set(edges["target"])
    assert len(edges) == len(symbols) - 1 == 142 and _is_spanning_tree(edges, symbols)
    assert "eigenvalue(s) above the Marchenko-Pastur edge" in done.stdout and "BTC" in done.stdout
    bad = run_cli("network", "--data", "sample", "--benchmark", "XYZ", "--market-mode", "btc-residual",
                  "--out", str(out))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_above_the_full_spectrum_limit_the_largest_eigenvalues_are_the_same(monkeypatch):
    from cluster_core.features import _comove

    rng = np.random.default_rng(5)
    returns = rng.standard_normal((400, 120)) + rng.standard_normal((400, 1)) * 0.5
    correlation = correlation_matrix(pd.DataFrame(returns))
    full = marchenko_pastur(correlation, 400)
    monkeypatch.setattr(_comove, "FULL_SPECTRUM_MAX", 50)
    monkeypatch.setattr(_comove, "TOP_EIGENVALUES", 4)
    top = marchenko_pastur(correlation, 400)
    assert not top.complete and top.n_factors == full.n_factors
    np.testing.assert_allclose(top.eigenvalues, full.eigenvalues[: len(top.eigenvalues)], rtol=1e-8)


def test_the_cluster_cli_notes_the_driver_count(tmp_path):
    done = run_cli("cluster", "--data", "sample", "--market-mode", "btc-residual", "--out", str(tmp_path / "c.csv"))
    assert done.returncode == 0, done.stderr
    assert "note: 7 independent driver(s): eigenvalues of the return correlation above the Marchenko-Pastur edge" \
        in done.stderr


def test_links_are_named_in_alphabetical_order(hourly, bundled_view):
    edges = build_network(hourly, bundled_view.features, MarketMode.BTC_RESIDUAL).edges
    assert (edges["source"] < edges["target"]).all()
    assert tuple(edges.iloc[0][["source", "target"]]) == ("MANA", "SAND")
