"""The Network page in Chromium: the bundled 144 symbols and an uploaded market of 1,000."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect

from cluster_core.synthetic import factor_market
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_e2e import LOAD, _wait_ready
from tests.browser.test_workflow import _metric

pytestmark = pytest.mark.browser


def test_the_network_of_the_bundled_market_draws_and_exports_its_tree(page):
    page.goto(page.base_url + "/network?mode=btc-residual&map=pca&symbol=SOL")
    expect(page.get_by_role("heading", name="Network", level=1)).to_be_visible(timeout=LOAD)
    _wait_ready(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(_metric(page, "Symbols")).to_have_text("143")  # BTC has no residual of its own
    expect(_metric(page, "Tree links")).to_have_text("142")
    expect(_metric(page, "Strongest link")).to_have_text("MANA–SAND")
    legend = page.locator(".js-plotly-plot .legendtext")
    expect(legend.filter(has_text="Looked up: SOL")).to_have_count(1, timeout=LOAD)
    expect(legend.filter(has_text="correlation 0.5 to 1.0")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "network_144.png"), full_page=True)
    with page.expect_download(timeout=LOAD) as info:
        page.get_by_role("button", name="Download links CSV (142 links)").click()
    path = ARTIFACTS / "network.csv"
    info.value.save_as(path)
    links = pd.read_csv(path)
    assert len(links) == 142 and {"source", "target", "correlation", "settings"} <= set(links.columns)
    assert "mode=btc-residual" in links["settings"].iloc[0]


def test_a_thousand_symbol_upload_draws_its_whole_tree(page, tmp_path):
    market = factor_market(7, n_symbols=1000, days=40)
    long = market.data.close.stack().rename("close").to_frame().join(market.data.volume_usd.stack().rename(
        "volume_usd")).reset_index()
    path = tmp_path / "thousand.parquet"
    long.astype({"close": "float32", "volume_usd": "float32"}).to_parquet(path, index=False)
    page.goto(page.base_url + "/network?source=upload&lookback=35&map=pca&mode=btc-residual")
    _wait_ready(page)
    page.get_by_test_id("stSidebar").locator("input[type=file]").set_input_files(str(path))
    # the bundled sample is shown until the file is read: wait for the upload's tree
    expect(page.get_by_test_id("stMetric").filter(has_text="Tree links").filter(has_text="999").first).to_be_visible(
        timeout=LOAD * 2)
    # the previous run's elements stay, faded, until the new run draws past them
    expect(page.get_by_test_id("stMetric").filter(has_text="Tree links")).to_have_count(1, timeout=LOAD * 2)
    _wait_ready(page)
    expect(_metric(page, "Tree links")).to_have_text("999")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("only the backbone is drawn", exact=False)).to_have_count(0)  # that is above 1,000
    expect(_metric(page, "Independent drivers")).to_have_text(str(len(market.archetypes)))
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=LOAD)
    page.screenshot(path=str(ARTIFACTS / "network_1000.png"), full_page=True)
