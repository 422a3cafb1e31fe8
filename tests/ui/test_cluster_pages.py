"""AppTest of the cluster pages under every algorithm and map, widget changes, state, URL."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cluster_core.clustering import ClusterMethod
from cluster_core.reduction import Reduction
from tests.ui.conftest import frame_with, numbers, page

PAGES = ["cluster_map.py", "profiles.py", "dendrogram.py", "diagnostics.py"]


def _values(encoded) -> list:
    """A Plotly array from a chart's JSON: a list, or a typed array ({"dtype", "bdata"} in base64)."""
    if isinstance(encoded, dict):
        import base64

        import numpy as np
        return list(np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"]))
    return list(encoded)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("reduction", list(Reduction))
@pytest.mark.parametrize("method", list(ClusterMethod))
def test_cluster_map_renders_for_every_algorithm_and_map(method, reduction):
    at = page("cluster_map.py")
    at.query_params["method"] = method.value
    at.query_params["map"] = reduction.value
    at.run()
    assert not at.exception, at.exception
    metrics = _metrics(at)
    assert int(metrics["Clusters"]) + int(metrics["Noise"]) > 0
    table = frame_with(at, "cluster", "name", "size", "reason", "members")
    assert table["name"].is_unique
    charts = [chart.key for chart in at.get("plotly_chart")]
    # automatic K-Means: the market is one continuum beside the stablecoins, drawn in tiers too
    assert charts == (["map.chart", "map.tiers_chart"] if method is ClusterMethod.KMEANS else ["map.chart"])


@pytest.mark.parametrize("reduction", list(Reduction))
@pytest.mark.parametrize("name", PAGES[1:])
@pytest.mark.parametrize("method", list(ClusterMethod))
def test_other_cluster_pages_show_the_fit_of_every_algorithm_and_map(name, method, reduction):
    """Each page shows the same fit as the map, whatever the algorithm: sizes, names, trees and silhouettes agree."""
    at = page(name)
    at.query_params["method"] = method.value
    at.query_params["map"] = reduction.value
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    charts = {chart.key: json.loads(chart.proto.spec)["data"] for chart in at.get("plotly_chart")}
    if name == "profiles.py":
        table = frame_with(at, "cluster", "name", "size", "stability", "core", "boundary")
        assert table["name"].is_unique and table["size"].sum() == 144  # every clustered symbol, noise included
        labels = [e.label for e in at.main.expander]
        assert len(labels) == len(table)
        for label, (_, row) in zip(labels, table.iterrows(), strict=True):
            assert label.startswith(f"{row['name']} — {row['size']} symbol(s)")
            assert label.endswith("(tentative)") == bool(numbers(pd.Series([row["stability"]]))[0] < 0.5)
        heatmap = charts["profiles.heatmap"][0]
        assert sorted(heatmap["y"]) == sorted(table["name"][table["cluster"] >= 0]) or \
            sorted(heatmap["y"]) == sorted(table["name"])
    elif name == "dendrogram.py":
        assert set(charts) == {"dendrogram.tree", "dendrogram.corr"}
        caption = at.caption[0].value
        if method is ClusterMethod.HIERARCHICAL:
            assert caption.startswith("ward linkage on features distance, cut into")
        else:
            assert f"coloured by the current {method.value} clusters" in caption
        assert len(charts["dendrogram.corr"][0]["x"]) == 144 and len(charts["dendrogram.tree"]) >= 1
    else:
        assert set(charts) == {"diagnostics.k_curve", "diagnostics.k_distance", "diagnostics.silhouette",
                               "diagnostics.spectrum"}
        bars = sum(len(_values(trace["y"])) for trace in charts["diagnostics.silhouette"] if trace.get("type") == "bar")
        assert 0 < bars <= 144  # one bar per clustered symbol, noise left out
        assert len(_values(charts["diagnostics.k_distance"][0]["y"])) == 144  # one distance per symbol
        if method is ClusterMethod.KMEANS:
            splits = frame_with(at, "p_value") if any("p_value" in d.value.columns for d in at.dataframe) else None
            assert splits is None or len(splits) >= 1


def test_changing_k_changes_the_clusters_and_the_url():
    at = page("cluster_map.py")
    at.query_params["map"] = "pca"
    at.run()
    at.sidebar.toggle(key="clusters.auto_k").set_value(False).run()
    at.sidebar.number_input(key="clusters.k").set_value(4).run()
    assert _metrics(at)["Clusters"] == "4"
    at.sidebar.number_input(key="clusters.k").set_value(9).run()
    assert not at.exception
    assert _metrics(at)["Clusters"] == "9"
    assert at.query_params["k"] in ("9", ["9"]) and at.query_params["autok"] in ("0", ["0"])


def test_state_survives_a_page_switch(app):
    app.query_params["map"] = "pca"
    app.run()
    app.sidebar.selectbox(key="clusters.method").set_value("hierarchical").run()
    app.switch_page("pages/profiles.py").run()
    assert not app.exception
    assert app.sidebar.selectbox(key="clusters.method").value == "hierarchical"


def test_url_restores_a_view():
    at = page("cluster_map.py")
    for key, value in {"method": "dbscan", "autoeps": "0", "eps": "2.5", "minpts": "4", "map": "pca",
                       "lookback": "60"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.sidebar.number_input(key="clusters.eps").value == 2.5
    assert "DBSCAN, eps = 2.5 (set), min_samples = 4:" in at.caption[0].value and " k = " not in at.caption[0].value


def test_k_too_large_gives_a_message_not_a_traceback():
    at = page("cluster_map.py")
    at.query_params.update({"map": "pca", "autok": "0", "k": "50", "lookback": "7", "coverage": "1"})
    at.run()
    assert not at.exception
    assert any("needs more than 50 symbols" in e.value for e in at.error)


def test_all_noise_eps_is_explained():
    at = page("cluster_map.py")
    at.query_params.update({"map": "pca", "method": "dbscan", "autoeps": "0", "eps": "0.01"})
    at.run()
    assert not at.exception
    assert _metrics(at)["Clusters"] == "0"
    assert any("Every symbol is noise" in i.value for i in at.info)


def test_hierarchical_cut_by_height_and_benchmark_choice():
    at = page("cluster_map.py")
    at.query_params.update({"map": "pca", "method": "hierarchical", "cutheight": "1", "height": "8"})
    at.run()
    assert not at.exception
    assert at.sidebar.number_input(key="clusters.cut_height").value == 8.0
    tall = int(_metrics(at)["Clusters"])
    at.sidebar.number_input(key="clusters.cut_height").set_value(4.0).run()
    assert int(_metrics(at)["Clusters"]) > tall  # a lower cut splits more
    at.sidebar.selectbox(key="features.benchmark").set_value("ETH").run()
    assert not at.exception
    assert at.query_params["benchmark"] in ("ETH", ["ETH"])


def test_feature_presets_change_the_clusters_and_live_in_the_url():
    at = page("cluster_map.py")
    at.query_params["map"] = "pca"
    at.run()
    assert at.sidebar.selectbox(key="clusters.preset").value == "behaviour"
    assert "on 8 scaled features" in at.caption[0].value
    assert "preset" not in at.query_params  # the default stays out of the URL
    # the bundled default: the stablecoins apart, the rest one continuum, cut into tiers and said so
    assert any("**Core market** (140 symbols) is one continuum" in i.value for i in at.info)
    assert frame_with(at, "tier", "label", "size")["size"].tolist() == [47, 46, 47]
    at.sidebar.selectbox(key="clusters.preset").set_value("seed").run()
    assert not at.exception
    assert "on 12 scaled features" in at.caption[0].value
    assert at.query_params["preset"] in ("seed", ["seed"])
    at.sidebar.selectbox(key="clusters.preset").set_value("custom").run()
    assert at.sidebar.multiselect(key="clusters.features").value[:2] == ["annualized_return", "annualized_vol"]
    at.sidebar.multiselect(key="clusters.features").set_value(["annualized_vol", "btc_corr", "beta_btc"]).run()
    assert not at.exception and "on 3 scaled features" in at.caption[0].value


def test_a_preset_from_the_url_is_applied_and_a_bad_one_ignored():
    at = page("cluster_map.py")
    at.query_params.update({"map": "pca", "preset": "all"})
    at.run()
    assert "on 17 scaled features" in at.caption[0].value
    bad = page("cluster_map.py")
    bad.query_params.update({"map": "pca", "preset": "nonsense"})
    bad.run()
    assert not bad.exception and "on 8 scaled features" in bad.caption[0].value


def test_map_and_profiles_show_confidence_and_boundary_symbols():
    at = page("cluster_map.py")
    at.query_params.update({"map": "pca", "autok": "0", "k": "6"})
    at.run()
    confidence = _metrics(at)["Mean confidence"]
    assert confidence.endswith("%") and 30 <= int(confidence[:-1]) <= 100
    profiles = page("profiles.py")
    profiles.query_params.update({"map": "pca", "autok": "0", "k": "6"})
    profiles.run()
    assert not profiles.exception
    table = frame_with(profiles, "name", "stability", "core", "boundary")
    assert table["stability"].between(0, 1).all() and table["boundary"].str.len().sum() > 0
    for _, row in table.iterrows():  # one symbol is core or boundary, never both
        assert not (set(row["core"].split(", ")) - {""}) & (set(row["boundary"].split(", ")) - {""})
    assert any("Boundary (confidence < 60 %)" in m.value for m in profiles.markdown)


def test_a_window_without_clear_groups_says_so_once_and_shows_no_scores():
    """The daily sample without its stablecoins: 345 coins, one continuum."""
    at = page("cluster_map.py")
    at.query_params.update({"map": "pca", "source": "sample-daily", "exclude": "pegged"})
    at.run()
    assert not at.exception
    assert "automatic k: no clear groups (1 cluster)" in at.caption[0].value
    assert [w.value for w in at.warning if w.value.startswith("No clear groups")] != []
    assert not any("No clear groups" in i.value for i in at.info)
    metrics = _metrics(at)
    assert metrics["Clusters"] == "1" and metrics["Silhouette"] == "–" and metrics["Mean confidence"] == "100%"
    assert frame_with(at, "cluster", "name", "size")["name"].tolist() == ["Whole market"]
    assert any("**Whole market** (345 symbols) is one continuum" in i.value for i in at.info)


def test_dendrogram_of_a_large_universe_shows_its_top_branches_and_lists_their_members(monkeypatch):
    from cluster_core import charts

    monkeypatch.setattr(charts, "DENDROGRAM_MAX_LEAVES", 100)  # the sample's 144 symbols count as large
    monkeypatch.setattr(charts, "HEATMAP_MAX_SYMBOLS", 60)
    at = page("dendrogram.py")
    at.query_params["map"] = "pca"
    at.run()
    assert not at.exception, at.exception
    assert any("top 60 branches" in info.value for info in at.info)
    branches = frame_with(at, "branch", "size", "cluster_name", "members")
    assert len(branches) == 60
    assert branches["size"].sum() == len({m for row in branches["members"] for m in row.split(", ")})
    tree, heatmap = at.get("plotly_chart")
    assert any("A seeded sample of" in c.value for c in at.caption)
    shown = json.loads(heatmap.proto.spec)["data"][0]["x"]
    assert 55 <= len(shown) <= 70 < branches["size"].sum()


def test_diagnostics_lists_the_splits_of_automatic_k_with_their_evidence():
    at = page("diagnostics.py")
    at.query_params["map"] = "pca"
    at.run()
    assert not at.exception
    splits = frame_with(at, "size", "smaller", "p_value", "separation", "evidence")
    # a small tail group split off and merged back, then the four stablecoins set apart (a far gap, p < 0.05)
    assert splits["smaller"].tolist() == [4, 4] and splits.loc[1, "separation"] > 8
    assert any("does not read this curve" in c.value for c in at.caption)
