"""The bundled real dataset and the MarketData value."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cluster_core.data import COVERAGE_COLUMNS, load_sectors, summary_table
from cluster_core.errors import DataError, ParameterError


def test_hourly_sample_shape_and_period(hourly):
    assert hourly.interval_label == "hourly"
    assert hourly.bars_per_year == 8760
    assert hourly.start == pd.Timestamp("2021-04-04 20:00", tz="UTC")
    assert hourly.end == pd.Timestamp("2023-12-30 21:00", tz="UTC")
    # 151 tickers plus the earlier lives of LUNA and SUN split off at relistings
    assert hourly.n_symbols == 153
    assert {"LUNA_OLD", "SUN_OLD"} <= set(hourly.symbols)
    assert (hourly.close.dtypes == "float64").all()


def test_luna_collapse_and_relaunch_are_two_symbols(hourly):
    old, new = hourly.close["LUNA_OLD"].dropna(), hourly.close["LUNA"].dropna()
    assert old.index.max() < pd.Timestamp("2022-05-14", tz="UTC")
    assert new.index.min() >= pd.Timestamp("2022-05-31", tz="UTC")
    assert old.iloc[-1] < 0.001  # the collapse is inside LUNA_OLD
    assert new.iloc[0] > 1  # the relaunch starts around USD 5-20
    assert any(note.startswith("LUNA: price moved x171,") for note in hourly.notes)


def test_halts_and_depegs_are_kept_not_split(hourly):
    cov = hourly.coverage().set_index("symbol")
    assert "FTT_OLD" not in hourly.symbols and "USDC_OLD" not in hourly.symbols
    assert cov.loc["FTT", "missing_bars"] > 7000  # the 311-day halt stays a gap
    assert cov.loc["USDC", "missing_bars"] > 3900
    ust = hourly.close["UST"].dropna()
    assert ust.min() < 0.3 < 0.99 < ust.max()  # the depeg is in the data


def test_delisted_symbols_stay_for_survivorship_free_backtests(hourly):
    cov = hourly.coverage().set_index("symbol")
    assert cov.loc["BTT", "status"] == "ended"
    assert cov.loc["BUSD", "status"] == "ended"
    assert cov.loc["ARB", "status"] == "late"
    assert (cov["status"] == "ended").sum() >= 7


def test_coverage_table_columns_and_values(hourly):
    cov = hourly.coverage()
    assert tuple(cov.columns) == COVERAGE_COLUMNS
    btc = cov.set_index("symbol").loc["BTC"]
    assert btc["coverage"] > 0.999
    assert btc["bars"] + btc["missing_bars"] == (btc["last_bar"] - btc["first_bar"]) / pd.Timedelta(hours=1) + 1
    assert btc["avg_daily_volume_usd"] > 1e8


def test_daily_sample(daily):
    assert daily.bars_per_year == 365
    assert daily.n_symbols >= 408
    assert "LUNA_OLD" in daily.symbols


def test_sectors_cover_every_hourly_ticker(hourly):
    sectors = load_sectors()
    table = summary_table(hourly, sectors)
    assert table.loc[table.symbol == "LUNA_OLD", "sector"].item() == sectors["LUNA"]
    assert (table["sector"] != "unknown").all()


def test_between_select_and_history(hourly):
    part = hourly.between("2023-01-01", "2023-01-31 23:00").select(["ETH", "BTC"])
    assert part.symbols == ("ETH", "BTC")
    assert part.n_bars == 31 * 24
    assert part.span_days == pytest.approx(31)
    part.require_history(31)
    with pytest.raises(DataError, match="covers 31 days.*lookback is 90 days"):
        part.require_history(90)
    with pytest.raises(ParameterError, match="not in the data: NOPE"):
        hourly.select(["BTC", "NOPE"])
    with pytest.raises(DataError, match="No bar between"):
        hourly.between("2030-01-01")


def test_fingerprint_is_stable_and_content_sensitive(hourly):
    part = hourly.between("2023-06-01", "2023-06-02")
    again = hourly.between("2023-06-01", "2023-06-02")
    assert part.fingerprint == again.fingerprint
    assert part.fingerprint != hourly.between("2023-06-01", "2023-06-03").fingerprint


def test_no_bar_is_invented(hourly):
    raw = pd.read_parquet("cluster_core/datasets/crypto_hourly.parquet", columns=["symbol"])
    assert int(hourly.close.notna().to_numpy().sum()) == len(raw)
    assert np.isfinite(hourly.close.to_numpy()[hourly.close.notna().to_numpy()]).all()


def test_engine_never_imports_streamlit():
    code = "import sys, cluster_core, cluster_core.data, cluster_core.charts, cluster_core.export; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_kept_build_of_the_bundled_file_is_the_build_and_a_bad_or_stale_one_is_rebuilt(tmp_path, monkeypatch):
    from cluster_core.data import _sample
    from cluster_core.data._schema import SampleName

    monkeypatch.setattr(_sample, "BUILT_DIR", tmp_path)
    built = _sample._build_sample(SampleName.DAILY)
    first = _sample._load_sample.__wrapped__(SampleName.DAILY)  # nothing kept yet: built and kept
    (kept,) = tmp_path.glob("crypto_daily-*.pickle")
    second = _sample._load_sample.__wrapped__(SampleName.DAILY)  # read from the kept file
    for data in (first, second):
        pd.testing.assert_frame_equal(data.close, built.close, check_exact=True)
        pd.testing.assert_frame_equal(data.volume_usd, built.volume_usd, check_exact=True)
        assert (data.notes, data.source, data.fingerprint) == (built.notes, built.source, built.fingerprint)
    kept.write_bytes(b"not a pickle")  # damaged: built again and rewritten
    third = _sample._load_sample.__wrapped__(SampleName.DAILY)
    assert third.fingerprint == built.fingerprint and kept.read_bytes() != b"not a pickle"
    # another bundled file, or other code that builds it, is another name
    copy = tmp_path / "crypto_daily.parquet"
    copy.write_bytes((_sample.DATASETS_DIR / "crypto_daily.parquet").read_bytes() + b"\0")
    assert _sample._build_key(copy) != _sample._build_key(_sample.DATASETS_DIR / "crypto_daily.parquet")
    monkeypatch.setattr(_sample, "_BUILD_CODE", ("_build.py",))
    assert kept.name.rsplit("-", 1)[1] != f"{_sample._build_key(_sample.DATASETS_DIR / 'crypto_daily.parquet')}.pickle"
