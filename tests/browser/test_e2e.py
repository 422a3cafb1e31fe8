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
