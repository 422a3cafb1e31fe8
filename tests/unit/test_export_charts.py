from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cluster_core.charts import plot_coverage, plot_prices
from cluster_core.errors import ParameterError
from cluster_core.export import neutralise_formulas, to_csv_bytes


def test_formula_cells_are_neutralised_numbers_are_not():
    table = pd.DataFrame({"symbol": ["=HYPERLINK(1)", "+1", "-x", "@SUM", "BTC"], "value": [-1.5, 2, 3, 4, 5]})
    out = neutralise_formulas(table)
    assert out["symbol"].tolist() == ["'=HYPERLINK(1)", "'+1", "'-x", "'@SUM", "BTC"]
    assert out["value"].tolist() == [-1.5, 2, 3, 4, 5]
    assert table["symbol"].iloc[0] == "=HYPERLINK(1)"  # caller's table untouched
    assert to_csv_bytes(table).decode().splitlines()[1] == "'=HYPERLINK(1),-1.5"


def test_coverage_heatmap_rows_are_symbols_ordered_by_listing(hourly):
    fig = plot_coverage(hourly)
    heat = fig.data[0]
    assert len(heat.y) == hourly.n_symbols
    assert heat.z.shape == (hourly.n_symbols, 33)  # 2021-04 .. 2023-12
    rows = list(heat.y)
    assert rows.index("ARB") > rows.index("BTC")  # ARB listed in 2023
    ftt = heat.z[rows.index("FTT")]
    assert ftt.min() == 0 and ftt.max() == 1  # the halt shows as empty months


def test_price_chart_rebases_to_one(hourly):
    fig = plot_prices(hourly.between("2023-01-01", "2023-02-01"), ["BTC", "ETH"])
    assert [t.name for t in fig.data] == ["BTC", "ETH"]
    assert fig.data[0].y[0] == pytest.approx(1.0)
    with pytest.raises(ParameterError, match="`symbols` is empty"):
        plot_prices(hourly, [])


def test_memo_keeps_the_last_values_and_expires():
    from cluster_core._memo import Memo

    calls = []
    memo = Memo(size=2)
    assert memo.get("a", lambda: calls.append("a") or 1) == 1
    assert memo.get("a", lambda: calls.append("a2") or 2) == 1
    memo.get("b", lambda: 2)
    memo.get("c", lambda: 3)  # evicts "a", the least recently used
    assert len(memo) == 2 and memo.get("a", lambda: 9) == 9
    stale = Memo(size=2, ttl=0.0)
    stale.get("x", lambda: 1)
    assert stale.get("x", lambda: 2) == 2
    assert calls == ["a"]


def test_memo_bounded_in_bytes_drops_the_least_recently_used_and_keeps_the_newest():
    from cluster_core._memo import Memo, nbytes
    from cluster_core.data import MarketData

    def frame(mb: int) -> pd.DataFrame:
        return pd.DataFrame(np.zeros((mb * 2**20 // 8, 1)))

    index = pd.date_range("2024-01-01", periods=1000, freq="1h", tz="UTC")
    market = MarketData(pd.DataFrame(np.ones((1000, 4)), index=index), pd.DataFrame(np.ones((1000, 4)), index=index))
    assert nbytes(market) == 2 * (1000 * 4 * 8 + 1000 * 8)  # two grids of floats with their time index
    shared = frame(1)
    assert nbytes((shared, shared, {"again": shared})) == nbytes(shared)  # each object counted once
    memo = Memo(size=10, max_bytes=5 * 2**20)
    for key in "abc":
        memo.get(key, lambda: frame(2))
    assert list(memo._items) == ["b", "c"] and memo.nbytes <= 5 * 2**20  # "a" dropped for bytes, not entries
    memo.get("b", lambda: None)  # b used: c is now the oldest
    memo.get("big", lambda: frame(8))
    assert list(memo._items) == ["big"]  # larger than the budget alone: kept, as the newest
    memo.clear()
    assert memo.nbytes == 0 and len(memo) == 0


def test_memo_computes_a_key_once_for_concurrent_callers():
    import threading

    from cluster_core._memo import Memo

    memo, calls, started = Memo(size=4), [], threading.Event()
    release = threading.Event()

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(timeout=30)
        return 42

    results = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("walk", slow))) for _ in range(8)]
    threads[0].start()
    started.wait(timeout=30)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [42] * 8 and len(calls) == 1


def test_memo_waiters_compute_themselves_when_the_first_caller_fails():
    import threading

    from cluster_core._memo import Memo

    memo, started, release = Memo(size=4), threading.Event(), threading.Event()

    def failing() -> int:
        started.set()
        release.wait(timeout=30)
        raise ValueError("bad")

    errors, results = [], []

    def first() -> None:
        try:
            memo.get("k", failing)
        except ValueError as exc:
            errors.append(str(exc))

    one = threading.Thread(target=first)
    one.start()
    started.wait(timeout=30)
    two = threading.Thread(target=lambda: results.append(memo.get("k", lambda: 7)))
    two.start()
    release.set()
    one.join(timeout=30)
    two.join(timeout=30)
    assert errors == ["bad"] and results == [7] and memo.peek("k") == 7


def test_cluster_map_fades_and_outlines_boundary_symbols_and_sizes_by_choice():
    from cluster_core.charts import plot_cluster_map

    index = pd.Index(["A", "B", "C", "D"], name="symbol")
    coords = pd.DataFrame({"x": [0, 1, 5, 6], "y": [0, 1, 5, 6]}, index=index, dtype=float)
    labels = pd.Series([0, 0, 1, 1], index=index)
    names = pd.Series({0: "Blue-chip crypto", 1: "High-beta altcoins"})
    X = pd.DataFrame({"avg_daily_volume_usd": [1e9, 1e6, 1e7, 1e8], "momentum_30d": [0.1, -0.2, 0.3, 0.0],
                      "annualized_vol": [0.5, 0.6, 1.2, 1.1], "btc_corr": [0.8, 0.7, 0.5, 0.4]}, index=index)
    confidence = pd.Series([1.0, 0.4, 0.9, 0.55], index=index)
    fig = plot_cluster_map(coords, labels, names, X, confidence=confidence)
    first, second = fig.data
    assert list(first.marker.opacity) == [0.95, 0.53] and list(first.marker.line.width) == [0.5, 2.0]
    assert list(second.marker.line.color) == [0.0, 1.0]  # on the outline scale: white, then dark for the boundary
    assert [c for _, c in second.marker.line.colorscale] == ["white", "#222"]
    assert "confidence: 40% (boundary)" in first.hovertext[1]
    assert "avg_daily_volume_usd: $1,000,000,000" in first.hovertext[0]  # the tables' format: money with its unit
    assert "momentum_30d: -20%" in first.hovertext[1] and "btc_corr: 0.70" in first.hovertext[1]
    assert first.marker.size[0] > first.marker.size[1]  # more volume, bigger
    by_momentum = plot_cluster_map(coords, labels, names, X, size_by="momentum_30d")
    assert by_momentum.data[1].marker.size[0] > by_momentum.data[1].marker.size[1]  # 0.3 > 0.0
    with pytest.raises(ParameterError, match="size_by"):
        plot_cluster_map(coords, labels, names, X, size_by="nope")


def test_a_map_of_thousands_of_symbols_is_drawn_with_webgl():
    from cluster_core.charts import plot_cluster_map
    from cluster_core.charts._clusters import WEBGL_ABOVE

    rng = np.random.default_rng(0)
    for n, kind in ((WEBGL_ABOVE, "scatter"), (WEBGL_ABOVE + 1, "scattergl")):
        symbols = [f"S{i}" for i in range(n)]
        coords = pd.DataFrame(rng.normal(size=(n, 2)), index=symbols, columns=["x", "y"])
        labels = pd.Series(np.arange(n) % 3, index=symbols)
        X = pd.DataFrame({"avg_daily_volume_usd": rng.uniform(1e5, 1e9, n)}, index=symbols)
        fig = plot_cluster_map(coords, labels, pd.Series({0: "A", 1: "B", 2: "C"}), X)
        assert {t.type for t in fig.data} == {kind}
        assert sum(len(t.x) for t in fig.data) == n and fig.data[0].mode == "markers"


def test_over_time_charts_show_what_the_tables_say():
    from cluster_core.charts import plot_ari_over_time, plot_peer_history, plot_tradeoff, plot_turnover

    dates = pd.date_range("2024-01-31", periods=4, freq="ME", tz="UTC")
    tradeoff = pd.DataFrame({"smoothness": [0.0, 0.6, 0.9], "median_ari": [0.5, 0.7, 0.9],
                             "median_ari_with_groups": [0.5, 0.6, 0.8], "median_silhouette": [0.4, 0.4, 0.2],
                             "current_silhouette": [0.42, 0.42, 0.3], "median_k": [3, 3, 3]})
    fig = plot_tradeoff(tradeoff, current=0.6)
    assert list(fig.data[0].marker.size) == [10, 18, 10] and list(fig.data[0].x) == [0.42, 0.42, 0.3]
    rows = pd.DataFrame({"date": dates, "turnover": [1.0, 0.5, 0.0, 0.25], "cost": [0.001, 0.0005, 0.0, 0.00025]})
    assert list(plot_turnover(rows).data[1].y) == pytest.approx([0.001, 0.0015, 0.0015, 0.00175])
    table = pd.DataFrame({"date": dates, "ari_vs_previous": [None, 1.0, 0.2, 0.9], "n_changed": [0, 0, 9, 1],
                          "silhouette": [0.4, 0.1, 0.4, 0.4], "carried": [False, True, False, False]})
    carried = [trace for trace in plot_ari_over_time(table).data if "carried" in trace.name]
    assert len(carried) == 1 and list(pd.to_datetime(carried[0].x, utc=True)) == [dates[1]]
    history = pd.DataFrame({"date": [dates[0]] * 3 + [dates[1]], "leader": ["A", "A", "B", "C"],
                            "peer": ["X", "Y", "X", "Z"], "peer_vs_group": [0.1, -0.3, 0.1, 0.05],
                            "leader_next_return": [0.2, 0.2, 0.0, 0.1], "group_next_return": [0.0, 0.0, 0.0, 0.05]})
    fig = plot_peer_history(history)
    assert list(fig.data[0].y) == pytest.approx([-0.1, 0.05])  # X counted once in January
    assert list(fig.data[1].y) == pytest.approx([0.1, 0.05])


def test_a_tree_of_thousands_of_symbols_is_drawn_to_its_top_branches_with_every_member_listed():
    from scipy.cluster import hierarchy

    from cluster_core.charts import dendrogram_branches, plot_dendrogram
    from cluster_core.charts._clusters import DENDROGRAM_BRANCHES, DENDROGRAM_MAX_LEAVES

    rng = np.random.default_rng(3)
    n = 1200
    centres = rng.normal(0, 6, (4, 3))
    truth = rng.integers(0, 4, n)
    points = centres[truth] + rng.normal(0, 1, (n, 3))
    symbols = [f"S{i:04d}" for i in range(n)]
    tree = hierarchy.linkage(points, "ward")
    labels = pd.Series(truth, index=symbols)
    names = pd.Series({0: "A", 1: "B", 2: "C", 3: "D"})
    branches = dendrogram_branches(tree, symbols, labels, names)
    assert len(branches) == DENDROGRAM_BRANCHES and branches["branch"].tolist() == list(range(1, 61))
    members = [m for row in branches["members"] for m in row.split(", ")]
    assert sorted(members) == symbols  # every symbol in exactly one branch
    assert branches["size"].sum() == n
    assert (branches["share"] == 1.0).mean() > 0.9  # ward branches of well-separated groups are pure
    for row in branches.itertuples():
        assert labels[row.members.split(", ")].value_counts().index[0] == row.cluster
    fig = plot_dendrogram(tree, symbols, labels, names)
    leaves = fig.data[-1]
    assert len(leaves.y) == DENDROGRAM_BRANCHES and fig.layout.height < 13 * 80 + 100
    assert list(fig.layout.yaxis.ticktext)[::-1][0].startswith(f"{branches['size'][0]} · ")  # the top one
    assert "branch 1:" in leaves.hovertext[-1]
    small = plot_dendrogram(hierarchy.linkage(points[:50], "ward"), symbols[:50], labels[:50], names)
    assert DENDROGRAM_MAX_LEAVES >= 50 and len(small.data[-1].y) == 50 and set(small.layout.yaxis.ticktext) == set(symbols[:50])


def test_heatmap_sample_keeps_every_cluster_in_proportion():
    from cluster_core.charts import heatmap_sample

    labels = pd.Series([0] * 3000 + [1] * 900 + [2] * 100 + [3] * 3, index=[f"S{i}" for i in range(4003)])
    picked = heatmap_sample(labels, max_symbols=300, seed=1)
    counts = labels[picked].value_counts()
    assert 295 <= len(picked) <= 310 and len(set(picked)) == len(picked)
    assert counts[0] == 225 and counts[1] == 67 and counts[2] == 7 and counts[3] == 2
    assert picked == [s for s in labels.index if s in set(picked)]  # in the labels' order
    assert heatmap_sample(labels[:200]) == list(labels.index[:200])
    assert heatmap_sample(labels, seed=1, max_symbols=300) == picked  # seeded


def test_weights_chart_colours_tiers_as_the_map_and_shows_the_cap_and_cash():
    from cluster_core.charts import group_colours, plot_weights
    from cluster_core.charts._style import cluster_colour, tier_colour
    from cluster_core.clustering import Tiers
    from cluster_core.interpretation import tiered_groups

    labels = pd.Series({"A": 0, "B": 1, "C": 1, "D": 1})
    tiers = Tiers(1, pd.Series({"B": 1, "C": 2, "D": 2}), pd.Series({"B": -1.0, "C": 0.5, "D": 1.0}), (0.0,),
                  pd.Series(dtype=float), 2)
    acting, names = tiered_groups(labels, pd.Series({0: "Stablecoins / pegged", 1: "Core market"}), tiers)
    colours = group_colours(acting, tiers)
    assert colours[int(acting["A"])] == cluster_colour(0)
    assert colours[int(acting["B"])] == tier_colour(1, 2, 1) and colours[int(acting["C"])] == tier_colour(2, 2, 1)
    picks = pd.DataFrame({"symbol": ["B", "C"], "cluster": [int(acting["B"]), int(acting["C"])],
                          "cluster_name": [names[int(acting["B"])], names[int(acting["C"])]], "weight": [0.25, 0.25]})
    fig = plot_weights(picks, 0.25, colours)
    bars = {trace.name: trace for trace in fig.data}
    assert bars["Core market · tier 1 of 2"].marker.color == tier_colour(1, 2, 1)
    assert bars["cash (too few picks for the maximum weight)"].y == (0.5,)
    assert fig.layout.shapes[0].y0 == 0.25  # the cap's dashed line
