"""End to end in headless Chromium against `streamlit run app.py`."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
LOAD = 90_000
# Every wait on the page may take this long: these tests share two cores with another test
# process and the load test's ten walk-forwards, and a page can finish drawing seconds after
# its script run ends. Waits, not timed assertions: the timings are in the benchmarks.
expect.set_options(timeout=60_000)


def _wait_ready(page) -> None:
    """The script run has finished: something rendered and the running indicator is gone."""
    expect(page.get_by_test_id("stMainBlockContainer").locator("h1").first).to_be_visible(timeout=LOAD)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LOAD)


def test_a_deep_link_as_a_fresh_servers_first_request_opens_inside_the_app(page, fresh_server):
    """A shared link to a page other than the landing one, before any session ran app.py (a server of its own)."""
    page.goto(fresh_server + "/data?lookback=60")
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=LOAD)
    _wait_ready(page)
    expect(page).to_have_title("Crypto behaviour clusters", timeout=LOAD)
    expect(page.get_by_test_id("stSidebarNav").get_by_text("Cluster map", exact=True)).to_be_visible()
    expect(page.get_by_label("Lookback (days)", exact=True)).to_have_value("60")


def test_first_page_is_the_umap_cluster_map_and_loads_fast(page):
    """The UMAP map of the served app (warmed up before it listens: it never waits for numba to compile)."""
    start = time.perf_counter()
    page.goto(page.base_url + "/")
    expect(page.get_by_role("heading", name="Cluster map", level=1)).to_be_visible(timeout=LOAD)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=LOAD)
    _wait_ready(page)
    seconds = time.perf_counter() - start
    (ARTIFACTS / "first_map_seconds.json").write_text(json.dumps({"first_umap_map_page_s": round(seconds, 2)}))
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("UMAP map")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "cluster_map.png"))
    # serve.py's front end starts plotly.js at once (not when the first chart arrives), and it is there
    html = page.request.get(page.base_url + "/").text()
    chunk = html.split('import("./')[1].split('")')[0]
    assert chunk.startswith("static/js/PlotlyChart.") and page.request.get(f"{page.base_url}/{chunk}").ok


def test_walk_every_page_change_k_and_download_clusters_csv(page):
    page.goto(page.base_url + "/?map=pca")
    _wait_ready(page)
    nav = page.get_by_test_id("stSidebarNav")
    for title, shot in [("Cluster profiles", "profiles"), ("Dendrogram", "dendrogram"), ("Diagnostics", "diagnostics"),
                        ("Features", "features_nav"), ("Data", "data_nav"), ("Cluster map", "map_pca")]:
        nav.get_by_text(title, exact=True).click()
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=LOAD)
        expect(page.locator(".js-plotly-plot").first).to_be_attached(timeout=LOAD)
        _wait_ready(page)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / f"{shot}.png"))
    clusters = page.get_by_test_id("stMetric").filter(has_text="Clusters").first.get_by_test_id("stMetricValue")
    automatic = clusters.inner_text()
    k_input = page.get_by_label("k (clusters)", exact=True)
    expect(k_input).to_be_disabled()
    expect(k_input).to_have_value(automatic)  # the k box shows the automatic choice
    page.get_by_text("Automatic k", exact=True).click()
    _wait_ready(page)
    expect(page.locator("input[aria-label='k (clusters)'][disabled]")).to_have_count(0)  # one k box, the user's
    expect(k_input).to_be_enabled()
    expect(k_input).to_have_value(automatic)  # ... and starts from it when switched off
    k_input.fill("4")
    k_input.press("Enter")
    expect(page.get_by_test_id("stMetric").filter(has_text="Clusters").first).to_contain_text("4", timeout=LOAD)
    _wait_ready(page)
    assert "k=4" in page.url and "autok=0" in page.url
    path = ARTIFACTS / "clusters.csv"
    lines = _download_clusters(page, path, clusters=4)
    assert lines[0].startswith("symbol,cluster,cluster_name,x,y,annualized_return,annualized_vol")
    assert lines[0].endswith(",confidence")
    assert len({line.split(",")[1] for line in lines[1:]}) == 4


def _download_clusters(page, path, clusters: int) -> list[str]:
    """Download clusters.csv once: the button names what it serves, so it is the current run's or not there yet."""
    with page.expect_download(timeout=LOAD) as info:
        page.get_by_role("button", name=f"Download clusters CSV ({clusters} clusters,").click()
    info.value.save_as(path)
    return path.read_text().splitlines()


def test_data_page_loads_without_exception(page):
    page.goto(page.base_url + "/data")
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
    page.goto(page.base_url + "/data")
    _wait_ready(page)
    page.get_by_role("tab", name="Summary table").click()
    with page.expect_download(timeout=LOAD) as info:
        page.get_by_role("button", name="Download summary CSV").click()
    path = ARTIFACTS / "data_summary.csv"
    info.value.save_as(path)
    header = path.read_text().splitlines()[0]
    assert header.startswith("symbol,sector,first_bar,last_bar,bars,missing_bars,coverage,status")


def test_navigate_to_features_and_download_csv(page):
    page.goto(page.base_url + "/data")
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


@pytest.mark.parametrize(("title", "heading", "download"), [
    ("Portfolio", "Diversified portfolio", "Download portfolio CSV"),
    ("Backtest", "Backtest", "Download backtest CSV"),
    ("Peers", "Peer laggards", None),
    ("Stability", "Cluster stability", "Download stability CSV"),
])
def test_strategy_pages_render_and_export(page, title, heading, download):
    page.goto(page.base_url + "/?map=pca&autok=0&k=6")
    _wait_ready(page)
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible(timeout=LOAD)
    _wait_ready(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stProgress")).to_have_count(0, timeout=LOAD)  # the walk-forward has finished
    if download:  # the results are drawn (the progress bar can be gone before the next run has drawn them)
        expect(page.get_by_role("button", name=download)).to_be_visible(timeout=LOAD)
    page.screenshot(path=str(ARTIFACTS / f"{title.lower()}.png"))
    if download:
        with page.expect_download(timeout=LOAD) as info:
            page.get_by_role("button", name=download).click()
        assert info.value.suggested_filename.endswith(".csv")


def test_feature_preset_and_persistence_in_the_browser(page):
    page.goto(page.base_url + "/?map=pca")
    _wait_ready(page)
    expect(page.get_by_text("on 8 scaled features")).to_be_visible(timeout=LOAD)
    box = page.get_by_role("combobox", name="Cluster on")
    option = page.get_by_role("option", name="Seed 12 (behaviour + performance)")
    for _ in range(3):  # on a loaded machine a late re-render can close the list before the filter is typed
        box.click()
        box.fill("Seed 12")
        try:
            expect(option).to_be_visible(timeout=LOAD // 3)
            break
        except AssertionError:
            box.press("Escape")
    # Enter picks the one option left by the filter; clicking it raced with the list re-rendering
    # on a loaded machine ("element was detached from the DOM").
    expect(option).to_be_visible(timeout=LOAD)
    box.press("Enter")
    _wait_ready(page)
    expect(page.get_by_text("on 12 scaled features")).to_be_visible(timeout=LOAD)
    assert "preset=seed" in page.url
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.goto(page.base_url + "/features")
    _wait_ready(page)
    page.get_by_role("tab", name="Persistence").click()
    expect(page.get_by_text("in_default = part of the default Behaviour preset")).to_be_visible(timeout=LOAD)
    _wait_ready(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "persistence.png"), full_page=True)


def test_stability_smoothness_trade_off_in_the_browser(page):
    """The analyst moves the smoothness slider: the trade-off chart marks the new value, the URL keeps it."""
    page.goto(page.base_url + "/stability?map=pca")
    _wait_ready(page)
    expect(page.get_by_role("heading", name="What stability costs")).to_be_visible(timeout=LOAD)
    expect(page.get_by_test_id("stProgress")).to_have_count(0, timeout=LOAD)
    expect(page.get_by_text("Median ARI vs previous month")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "stability_tradeoff.png"), full_page=True)
    slider = page.get_by_role("slider", name="Smoothness over time")
    slider.focus()
    slider.press("ArrowLeft")
    page.wait_for_url("**smooth=0.55**", timeout=LOAD)
    _wait_ready(page)
    expect(page.get_by_test_id("stProgress")).to_have_count(0, timeout=LOAD)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("with smoothness 0.55")).to_be_visible(timeout=LOAD)
    # The run that drew the text may still be drawing: a click on the previous run's button
    # would fetch a file that run released (a 404 saved under a hash name).
    _wait_ready(page)
    with page.expect_download(timeout=LOAD) as info:
        page.get_by_role("button", name="Download trade-off CSV").click()
    assert info.value.suggested_filename == "smoothness_tradeoff.csv"


ROBUST = "/robustness?map=pca&rlook=90&rk=4,auto&rfeat=behaviour&rsmooth=0.6"  # 4 settings (the AppTest runs 8)


def test_robustness_sweep_runs_on_dask_and_a_bigger_one_can_be_cancelled(page):
    """The analyst runs a small sweep (4 settings), reads the heatmap, then starts a bigger one and cancels it."""
    page.goto(page.base_url + ROBUST)
    _wait_ready(page)
    page.get_by_role("button", name="Run the sweep: 4 settings").click()
    expect(page.get_by_role("heading", name="One metric over two settings")).to_be_visible(timeout=240_000)
    _wait_ready(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stMetric").filter(has_text="Settings").first).to_contain_text("4")
    expect(page.locator(".js-plotly-plot")).to_have_count(3, timeout=LOAD)  # PBO logits, heatmap, spread
    expect(page.get_by_test_id("stMetric").filter(has_text="Probability of overfitting")).to_contain_text("%")
    page.set_viewport_size({"width": 1440, "height": 2600})
    page.screenshot(path=str(ARTIFACTS / "robustness.png"))
    page.set_viewport_size({"width": 1440, "height": 1000})
    with page.expect_download(timeout=LOAD) as info:
        page.get_by_role("button", name="Download sweep CSV").click()
    assert info.value.suggested_filename == "sweep.csv"
    lines = info.value.path().read_text().splitlines()
    assert lines[0].startswith("lookback_days,k,features,smoothness,strategy,cagr") and len(lines) == 5

    page.goto(page.base_url + "/robustness?map=pca&rlook=30,60,90&rk=3,4,5,6,auto&rfeat=behaviour,seed&rsmooth=0.6")
    _wait_ready(page)
    page.get_by_role("button", name="Run the sweep: 60 settings").click()
    expect(page.get_by_test_id("stProgress")).to_be_visible(timeout=LOAD)
    expect(page.get_by_test_id("stProgress")).to_contain_text("settings on LocalCluster", timeout=LOAD)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Cancelled after")).to_be_visible(timeout=LOAD)
    _wait_ready(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
