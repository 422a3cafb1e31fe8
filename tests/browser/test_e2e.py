"""End to end in headless Chromium against `streamlit run app.py`."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
LOAD = 90_000


def _wait_ready(page) -> None:
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=LOAD)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LOAD)


def test_data_page_loads_without_exception(page):
    page.goto(page.base_url + "/")
    _wait_ready(page)
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Symbols")).to_contain_text("153")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=LOAD)
    page.screenshot(path=str(ARTIFACTS / "data.png"))


def test_url_params_restore_the_view(page):
    page.goto(page.base_url + "/data?source=sample-daily&lookback=30")
    _wait_ready(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Bar interval")).to_contain_text("daily")
    expect(page.get_by_label("Lookback (days)", exact=True)).to_have_value("30")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_summary_csv_downloads(page):
    page.goto(page.base_url + "/")
    _wait_ready(page)
    page.get_by_role("tab", name="Summary table").click()
    with page.expect_download(timeout=LOAD) as info:
        page.get_by_role("button", name="Download summary CSV").click()
    path = ARTIFACTS / "data_summary.csv"
    info.value.save_as(path)
    header = path.read_text().splitlines()[0]
    assert header.startswith("symbol,sector,first_bar,last_bar,bars,missing_bars,coverage,status")


def test_navigate_to_features_and_download_csv(page):
    page.goto(page.base_url + "/")
    _wait_ready(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Features", exact=True).click()
    expect(page.get_by_role("heading", name="Features", level=1)).to_be_visible(timeout=LOAD)
    _wait_ready(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Symbols analysed")).to_contain_text("144")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "features.png"))
    with page.expect_download(timeout=LOAD) as info:
        page.get_by_role("button", name="Download features CSV").click()
    path = ARTIFACTS / "features.csv"
    info.value.save_as(path)
    header = path.read_text().splitlines()[0].split(",")
    assert header[:4] == ["symbol", "annualized_return", "annualized_vol", "sharpe"]
    assert len(path.read_text().splitlines()) == 145


def test_sidebar_state_survives_page_switch_and_lives_in_url(page):
    page.goto(page.base_url + "/features?lookback=60&exclude=pegged")
    _wait_ready(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Excluded by you")).to_contain_text("3")
    page.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=LOAD)
    _wait_ready(page)
    expect(page.get_by_label("Lookback (days)", exact=True)).to_have_value("60")
    assert "lookback=60" in page.url and "exclude=pegged" in page.url
