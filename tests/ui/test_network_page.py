"""AppTest of the Network page and the Diagnostics spectrum: the sidebar's market mode drives them."""

from __future__ import annotations

import json

import pytest

from cluster_core.data import load_sample
from cluster_core.network import build_network
from cluster_core.pipeline import run_features
from tests.ui.conftest import frame_with, page


@pytest.mark.parametrize("mode", ["raw", "btc-residual"])
def test_the_network_page_shows_the_tree_of_the_sidebars_market_mode(mode):
    at = page("network.py")
    at.query_params["map"] = "pca"
    at.query_params["mode"] = mode
    at.run()
    assert not at.exception and not at.error, (at.exception, at.error)
    data = load_sample("hourly")
    expected = build_network(data, run_features(data).features, mode)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tree links"] == str(len(expected.edges))
    assert metrics["Independent drivers"] == str(expected.spectrum.n_factors)
    links = frame_with(at, "source", "target", "correlation", "same_cluster")
    assert len(links) == len(expected.edges)
    assert [c.key for c in at.get("plotly_chart")] == ["network.tree"]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    bands = [(t["name"], t["line"]["width"]) for t in spec["data"] if t.get("mode") == "lines"]
    words = [name.rsplit("(", 1)[1] for name, _ in bands]  # the legend draws one width: the name says it
    order = ["thin links)", "medium links)", "thick links)"]
    assert words == [w for w in order if w in words] and len(words) >= 2
    assert [width for _, width in bands] == sorted({width for _, width in bands})
    raw_hint = [i for i in at.info if "Raw returns" in i.value]
    assert bool(raw_hint) == (mode == "raw")  # the page says what to change when the market hides the sectors


def test_diagnostics_draws_the_spectrum_with_the_count_it_states():
    at = page("diagnostics.py")
    at.query_params.update({"map": "pca", "mode": "btc-residual"})
    at.run()
    assert not at.exception
    charts = {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    above = next(t for t in charts["diagnostics.spectrum"]["data"] if t["name"] == "above the edge")
    caption = next(c.value for c in at.caption if "Marchenko-Pastur" in c.value)
    assert "**7** lie above its edge 1.58" in caption
    assert len(above["x"]) + caption.count("beyond") >= 1
