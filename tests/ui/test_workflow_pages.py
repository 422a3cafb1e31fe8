"""What an analyst reads: the coin page, the controls each result depends on, weights, numbers, downloads."""

from __future__ import annotations

import pandas as pd
import pytest

from cluster_core.interpretation import CONFIDENCE_MEANS, STABILITY_MEANS
from pages._format import display_table, format_value
from tests.ui.conftest import frame_with, numbers, page

WIDGETS = ("selectbox", "select_slider", "slider", "number_input", "toggle", "checkbox", "segmented_control")


def _run(name: str, **params: str):
    at = page(name)
    at.query_params.update({"map": "pca", **params})
    at.run()
    assert not at.exception, at.exception
    return at


def _keys(at) -> set[str]:
    return {w.key for kind in WIDGETS for w in at.get(kind) if getattr(w, "key", None)}


def test_the_coin_page_shows_its_group_neighbours_and_history():
    at = _run("coin.py", symbol="sol")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Group"] == "Core market" and metrics["Confidence"].endswith("%")
    behaves = frame_with(at, "symbol", "cluster_name", "behaviour_distance")
    assert len(behaves) == 10 and "SOL" not in set(behaves["symbol"])
    assert behaves["behaviour_distance"].is_monotonic_increasing
    moves = next(d.value for d in at.dataframe if list(d.value.columns[:4]) == ["symbol", "coin", "cluster_name",
                                                                                "residual_correlation"])
    assert moves["residual_correlation"].is_monotonic_decreasing
    history = frame_with(at, "date", "cluster_name", "group_size", "mates_kept")
    assert len(history) == 12 and history["cluster_name"].str.len().gt(0).all()
    assert history["mates_kept"].iloc[0] == "–"  # no month before the first
    features = frame_with(at, "feature", "value", "group_median", "universe_median", "universe_percentile")
    assert features.set_index("feature").loc["annualized_return", "value"].endswith("%")  # a fraction, as a percentage
    assert [c.key for c in at.get("plotly_chart")] == ["coin.rolling", "coin.history_chart"]
    assert any(b.label == "Download SOL's neighbours CSV (every symbol)" for b in at.get("download_button"))
    assert at.query_params["symbol"] in ("SOL", ["SOL"])


def test_a_coin_the_window_left_out_says_why_and_keeps_the_page():
    at = _run("coin.py", symbol="ARB", asof="2023-04-30")
    assert [w.value for w in at.warning] == [
        next(w.value for w in at.warning if w.value.startswith("ARB is not clustered in this window"))]
    assert any("Pick a coin above" in i.value for i in at.info)


def test_the_k_box_shows_the_automatic_k_and_k_starts_from_it():
    at = _run("cluster_map.py")
    clusters = int({m.label: m.value for m in at.metric}["Clusters"])
    shown = at.sidebar.number_input(key="clusters.k_automatic")
    assert shown.value == clusters and shown.disabled
    at.sidebar.toggle(key="clusters.auto_k").set_value(False).run()
    assert at.sidebar.number_input(key="clusters.k").value == clusters and not at.sidebar.number_input(
        key="clusters.k").disabled
    assert at.caption[0].value.startswith(f"K-Means, k = {clusters}:")


def test_the_map_and_the_profiles_define_confidence_and_stability_the_same_way():
    profiles = _run("profiles.py", autok="0", k="5")
    assert STABILITY_MEANS in profiles.caption[0].value and CONFIDENCE_MEANS in profiles.caption[0].value
    tentative = frame_with(profiles, "name", "stability", "tentative").query("tentative")
    at = _run("cluster_map.py", autok="0", k="5")
    warnings = [w.value for w in at.warning if "is tentative" in w.value]
    assert len(warnings) == len(tentative) >= 1
    for (_, row), text in zip(tentative.iterrows(), warnings, strict=True):
        assert text.startswith(f"**{row['name']}** is tentative: its stability is {row['stability']:.0%}")
        assert STABILITY_MEANS in text


def test_inverse_volatility_weights_at_defaults_stay_under_the_cap_and_hold_no_pegged_coin():
    at = _run("portfolio.py", weighting="inverse-vol")
    picks = frame_with(at, "symbol", "cluster_name", "weight", "reason")
    assert picks["weight"].max() <= 0.25 + 1e-12 and picks["weight"].sum() == pytest.approx(1.0)
    assert not {"USDC", "FDUSD", "TUSD", "BUSD", "PAXG"} & set(picks["symbol"])
    assert "portfolio.weights" in [c.key for c in at.get("plotly_chart")]
    for symbol, link in zip(picks["symbol"], picks["coin"], strict=True):  # every pick leads to its coin page
        assert link.startswith("coin?") and f"symbol={symbol}" in link and "weighting=inverse-vol" in link
    assert at.subheader[0].value.startswith(f"{len(picks)} holdings, inverse volatility weights, none above 25%")
    comparison = frame_with(at, "symbols", "annualized_vol", "avg_pairwise_corr")
    assert comparison.loc["BTC", "avg_pairwise_corr"] == "–"  # one symbol has no pair: a dash, never "None"
    asked = _run("portfolio.py", weighting="inverse-vol", pegged="1", maxw="1")
    stable = frame_with(asked, "symbol", "weight").set_index("symbol")["weight"]
    assert stable.max() > 0.25 and {"USDC", "FDUSD", "TUSD", "BUSD", "PAXG"} & set(stable.index)


def test_the_portfolio_says_when_the_minimum_holdings_override_per_cluster():
    at = _run("portfolio.py", pick="1", minhold="8")
    assert any(i.value.startswith("'At least 8 holdings' overrides 'Per cluster = 1'") for i in at.info)
    quiet = _run("portfolio.py", pick="3", minhold="2")
    assert not any("overrides" in i.value for i in quiet.info)


# Each strategy control, a value that differs from the default, and the pages whose results it must move.
CONTROLS = {
    "act.weighting": ("weighting", "inverse-vol", {"portfolio.py", "backtest.py"}),
    "act.max_weight": ("maxw", "0.1", {"portfolio.py", "backtest.py"}),
    "act.min_holdings": ("minhold", "12", {"portfolio.py", "backtest.py"}),
    "act.rule": ("rule", "liquidity", {"portfolio.py", "backtest.py"}),
    "act.cost_bps": ("cost", "100", {"backtest.py"}),
    "act.keep_top": ("keep", "0", {"backtest.py"}),
    "act.strategy": ("strategy", "rotation", {"backtest.py"}),
    "act.smoothness": ("smooth", "0", {"backtest.py", "peers.py"}),
    "act.peer_z": ("peerz", "1", {"peers.py"}),
    "act.per_cluster": ("pick", "3", None),  # None: moves wherever it moves; shown there
    "act.include_pegged": ("pegged", "1", None),
    "act.include_noise": ("noise", "1", None),
    "act.top_n": ("topn", "3", None),
}


def _result(at, name: str) -> object:
    if name == "portfolio.py":  # the tables without their coin-page links (which carry the URL's settings)
        return frame_with(at, "symbol", "weight").drop(columns="coin").to_json()
    if name == "backtest.py":
        return frame_with(at, "CAGR", "sharpe", "max_drawdown").to_json()
    table = frame_with(at, "leader", "peer", "gap").drop(columns="coin")
    return table.to_json() + "".join(w.value for w in at.warning)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["portfolio.py", "backtest.py", "peers.py"])
def test_every_control_that_moves_a_page_is_on_that_page(name):
    base = _run(name)
    before = _result(base, name)
    for key, (url, value, moves) in CONTROLS.items():
        changed = _run(name, **{url: value})
        moved = _result(changed, name) != before
        if moves is not None:
            assert moved == (name in moves), f"{key}={value} {'moved' if moved else 'did not move'} {name}"
        if moved:
            assert key in _keys(changed), f"{key} changes {name} but the page does not show it"


def test_the_backtest_names_its_weighting_and_its_csv_records_every_setting():
    at = _run("backtest.py", weighting="inverse-vol", maxw="0.2")
    assert "inverse volatility weights capped at 20%" in at.caption[0].value
    assert at.selectbox(key="act.weighting").value == "inverse-vol"
    assert at.select_slider(key="act.max_weight").value == 0.2
    button = next(b for b in at.get("download_button") if b.label == "Download backtest CSV")
    assert button.key.startswith("backtest.download.")  # the key carries the file's digest


def test_one_number_format_in_tables():
    raw = pd.DataFrame({"symbol": ["A", "B"], "x": [0.1, 0.2], "y": [0.3, 0.4], "annualized_return": [6.4906, 0.1],
                        "sharpe": [1.234, float("nan")], "avg_daily_volume_usd": [4.4e8, 1e6], "cluster": [0, 1]})
    shown, config = display_table(raw)
    assert list(shown.columns) == ["symbol", "annualized_return", "sharpe", "avg_daily_volume_usd", "cluster"]
    assert shown["sharpe"].tolist() == ["1.23", "–"]  # a missing value is a dash, never "None"
    assert set(config) == {"annualized_return", "avg_daily_volume_usd", "cluster"}
    assert format_value("annualized_return", 6.4906) == "649.06%" and format_value("cost_drag", 0.0081) == "0.81%"
    assert numbers(pd.Series(["649.1%", "–", "$1,000"])).tolist()[::2] == pytest.approx([6.491, 1000.0])
