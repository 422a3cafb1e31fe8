"""AppTest of the Features page: metrics, universe exclusion, as-of, market mode, errors."""

from __future__ import annotations

import datetime as dt

from tests.ui.conftest import frame_with, page


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_features_page_default_view():
    at = page("features.py").run()
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Symbols analysed"] == "144"
    assert metrics["Left out (coverage)"] == "9"
    assert "2023-12-30 21:00" in at.caption[0].value
    assert [t.label for t in at.tabs] == ["Table", "Persistence", "Weights", "Scatter", "Universe checks", "Definitions"]
    weights = frame_with(at, "feature", "trait", "transform", "weight").set_index("feature")
    assert weights.loc["annualized_vol", "weight"] == 0.5 and abs(weights.loc["beta_btc", "weight"] - 0.5 ** 0.5) < 1e-12
    assert weights.loc["avg_daily_volume_usd", "transform"] == "log10"
    persistence = frame_with(at, "feature", "family", "median_spearman").set_index("feature")
    assert persistence.loc["amihud_illiquidity", "median_spearman"] > 0.8
    assert persistence.loc["momentum_30d", "family"] == "performance"
    flags = frame_with(at, "symbol", "group", "detail")
    assert {"USDC", "TUSD"} <= set(flags["symbol"])
    assert not flags["excluded"].any()


def test_excluding_pegged_removes_stablecoins_and_is_in_the_url():
    at = page("features.py").run()
    at.sidebar.button_group(key="features.exclude").set_value(["pegged"]).run()
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Excluded by you"] == "4" and metrics["Symbols analysed"] == "140"
    dropped = frame_with(at, "symbol", "reason")
    assert dropped.set_index("symbol").loc["USDC", "reason"].startswith("excluded as pegged")
    assert at.query_params["exclude"] in ("pegged", ["pegged"])


def test_as_of_and_market_mode_change_the_window_and_features():
    at = page("features.py").run()
    before = frame_with(at, "annualized_vol", "btc_corr").loc["ETH", "annualized_vol"]
    at.sidebar.date_input(key="sidebar.as_of").set_value(dt.date(2022, 5, 20)).run()
    assert "2022-05-20 23:00" in at.caption[0].value
    at.sidebar.selectbox(key="features.market_mode").set_value("btc-residual").run()
    assert not at.exception
    table = frame_with(at, "annualized_vol", "btc_corr")
    assert table.loc["BTC", "annualized_vol"] == 0.0
    assert table.loc["ETH", "annualized_vol"] != before
    assert _metrics(at)["Market mode"] == "btc-residual"


def test_window_before_the_data_gives_a_message_not_a_traceback():
    at = page("features.py").run()
    at.sidebar.number_input(key="sidebar.lookback_days").set_value(1500).run()
    assert not at.exception
    assert any("before the data's first bar" in e.value for e in at.error)


def test_restore_from_url():
    at = page("features.py")
    at.query_params["asof"] = "2022-11-15"
    at.query_params["mode"] = "pc1-residual"
    at.query_params["exclude"] = "pegged,late"
    at.run()
    assert not at.exception
    assert "2022-11-15 23:00" in at.caption[0].value
    assert at.sidebar.button_group(key="features.exclude").value == ["pegged", "late"]
    assert _metrics(at)["Market mode"] == "pc1-residual"
