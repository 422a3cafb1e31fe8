"""AppTest of the Data page: default view, source switch, URL params, bad uploads, offline Yahoo."""

from __future__ import annotations

from unittest import mock

import pandas as pd
import pytest

from tests.conftest import make_long
from tests.ui.conftest import page


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_app_entry_renders_data_page_on_bundled_hourly(app):
    app.run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Cluster map"]  # the landing page
    app.switch_page("pages/data.py").run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Data"]
    metrics = _metrics(app)
    assert metrics["Symbols"] == "153"
    assert metrics["Bar interval"] == "hourly"
    assert not app.error
    assert any("LUNA" in e.label and "note" in e.label for e in app.expander) or any(
        "LUNA_OLD" in md.value for md in app.markdown
    )


@pytest.mark.slow
def test_switch_page_keeps_sidebar_state(app):
    app.run()
    app.sidebar.number_input(key="sidebar.lookback_days").set_value(120).run()
    app.switch_page("pages/data.py").run()
    assert not app.exception
    assert app.sidebar.number_input(key="sidebar.lookback_days").value == 120


def test_daily_source_and_url_params():
    at = page("data.py").run()
    at.sidebar.selectbox(key="data.source").set_value("sample-daily").run()
    assert not at.exception
    assert _metrics(at)["Bar interval"] == "daily"
    assert at.query_params["source"] == ["sample-daily"] or at.query_params["source"] == "sample-daily"

    restored = page("data.py")
    restored.query_params["source"] = "sample-daily"
    restored.query_params["lookback"] = "30"
    restored.run()
    assert _metrics(restored)["Bar interval"] == "daily"
    assert restored.sidebar.number_input(key="sidebar.lookback_days").value == 30


def test_bad_url_param_is_ignored_with_a_notice():
    at = page("data.py")
    at.query_params["source"] = "bogus"
    at.run()
    assert not at.exception
    assert _metrics(at)["Bar interval"] == "hourly"
    assert any("Ignored URL parameter source" in t.value for t in at.toast)


def test_lookback_longer_than_history_shows_an_error():
    at = page("data.py").run()
    at.sidebar.number_input(key="sidebar.lookback_days").set_value(2000).run()
    assert not at.exception
    assert any("lookback is 2000 days" in e.value for e in at.error)
    assert _metrics(at)["Symbols"] == "153"  # the data is still shown


def test_good_upload_is_loaded():
    at = page("data.py").run()
    at.session_state["data.upload_bytes"] = ("mine.csv", make_long(n_bars=72).to_csv(index=False).encode())
    at.sidebar.selectbox(key="data.source").set_value("upload").run()
    assert not at.exception
    assert _metrics(at)["Symbols"] == "4"
    assert any("mine.csv" in c.value for c in at.caption)


def test_bad_upload_shows_message_and_keeps_previous_data():
    at = page("data.py").run()
    at.sidebar.selectbox(key="data.source").set_value("sample-daily").run()
    at.session_state["data.upload_bytes"] = ("broken.csv", b"date,price\nyesterday,abc\n")
    at.sidebar.selectbox(key="data.source").set_value("upload").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("non-numeric" in e and "Still showing the previous data" in e for e in errors), errors
    assert _metrics(at)["Bar interval"] == "daily"  # what the user had is still there


@pytest.mark.slow
def test_yahoo_offline_shows_fallback_notice_not_a_traceback():
    empty = pd.DataFrame(columns=pd.MultiIndex.from_product([["Close", "Volume"], ["X-USD"]], names=["Price", "Ticker"]))
    with mock.patch("cluster_core.data._yahoo._yfinance_download", return_value=empty):
        at = page("data.py").run()
        at.session_state["data.tickers"] = "AAA-USD, BBB-USD, CCC-USD"
        at.sidebar.selectbox(key="data.source").set_value("yahoo").run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("could not be reached" in w for w in warnings), warnings
    assert _metrics(at)["Symbols"] == "153"
