"""AppTest of the Robustness page: a small sweep on the local Dask cluster, cached per server."""

from __future__ import annotations

import pytest

from cluster_core.sweep import SWEEP_COLUMNS
from tests.ui.conftest import frame_with, page

# Two lookbacks x (k=4, auto) x behaviour x smoothness 0.6 x two strategies = 8 settings.
SMALL = {"rlook": "60,90", "rk": "4,auto", "rfeat": "behaviour", "rsmooth": "0.6", "autok": "1", "map": "pca"}


def _open(**params: str):
    at = page("robustness.py")
    at.query_params.update({**SMALL, **params})
    return at.run()


@pytest.mark.slow
def test_the_page_runs_the_sweep_on_dask_and_shows_heatmap_spread_and_table():
    at = _open()
    assert not at.exception and not at.error
    assert "Run the sweep: 8 settings" in [b.label for b in at.button]
    assert any("Press **Run the sweep**" in i.value for i in at.info)
    at.button(key="robust.run").click().run()
    assert not at.exception and not at.error
    table = frame_with(at, "lookback_days", "k", "cagr", "ari_median")
    assert list(table.columns) == list(SWEEP_COLUMNS) and len(table) == 8
    metrics = {m.label: m for m in at.metric}
    assert metrics["Settings"].value == "8"
    assert metrics["Beat BTC"].value == f"{table['beats_btc'].mean():.0%}"
    # The sidebar's setting (90 days, automatic k, behaviour, 0.6, diversified) is on the grid.
    mine = table[(table["lookback_days"] == 90) & (table["k"] == "auto") & (table["strategy"] == "diversified")]
    assert metrics["Sidebar setting"].value == f"{mine['cagr'].iloc[0]:.1%}"
    charts = at.get("plotly_chart")
    assert [c.key for c in charts] == ["robust.pbo", "robust.heatmap", "robust.spread"]
    assert metrics["Deflated Sharpe ≥ 0.95"].value == f"{(table['deflated_sharpe'] >= 0.95).sum()} of 8"
    assert metrics["Probability of overfitting"].value.endswith("%")
    assert any(b.label == "Download sweep CSV" for b in at.get("download_button"))

    at.selectbox(key="robust.metric").set_value("ari_median").run()
    at.radio(key="robust.others").set_value("Hold the other axes at the sidebar setting").run()
    assert not at.exception and not at.error
    assert at.query_params["rmetric"] in ("ari_median", ["ari_median"])

    again = _open()  # another session, same data and grid: the server's result, no run needed
    assert not again.exception and len(frame_with(again, "lookback_days", "k", "cagr")) == 8
    assert not any("Press **Run the sweep**" in i.value for i in again.info)

    backtest = page("backtest.py")  # the sidebar's setting is on the grid: the Backtest page reads its rank
    backtest.query_params.update(SMALL)
    backtest.run()
    assert not backtest.exception
    line = next(c.value for c in backtest.caption if "settings of the Robustness page's sweep" in c.value)
    assert "Among the 8 settings" in line and f"deflated Sharpe ratio is {mine['deflated_sharpe'].iloc[0]:.2f}" in line


def test_a_bad_grid_is_explained_not_run():
    at = _open()
    at.multiselect(key="robust.lookbacks").set_value([]).run()
    assert not at.exception
    assert any("lookback_days list is empty" in e.value for e in at.error)
    assert not [b for b in at.button if b.label.startswith("Run the sweep")]
    at = _open(method="dbscan", rk="4,6")
    assert not at.exception and any("dbscan takes no k" in e.value for e in at.error)


@pytest.mark.slow
def test_a_grid_varying_one_axis_still_draws_a_heatmap_on_two_different_axes():
    """One lookback, one k, two strategies: only the strategy varies, so a fixed axis joins it; never x == y."""
    at = _open(rlook="90", rk="4", rx="k", ry="k")  # a shared link asking for the same axis twice
    at.button(key="robust.run").click().run(timeout=300)
    assert not at.exception and not at.error
    x, y = at.selectbox(key="robust.x"), at.selectbox(key="robust.y")
    assert x.value == "k" and y.value != "k"  # the link's x kept; its y moved off it
    assert "k" not in y.options  # Down never offers Across's axis
    at.selectbox(key="robust.x").set_value(y.value).run()  # Across takes Down's axis: Down moves, nothing breaks
    assert not at.exception and not at.error
    assert at.selectbox(key="robust.x").value != at.selectbox(key="robust.y").value
    assert len(at.get("plotly_chart")) == 3  # the PBO logits, the heatmap, the spread
