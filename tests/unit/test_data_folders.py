"""Parquet folders (partitioned datasets) and time-range push-down: same data, only what the window needs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from benchmarks._synthetic import synthetic_market, write_partitioned
from cluster_core.data import load_file
from cluster_core.errors import DataError
from cluster_core.features import FeatureConfig, compute_features
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def market():
    return synthetic_market(12, days=75, seed=4)


@pytest.fixture(scope="module")
def by_month(market, tmp_path_factory):
    path = tmp_path_factory.mktemp("by_month")
    write_partitioned(market, path, by="month")
    return path


def test_a_folder_partitioned_by_month_loads_the_same_market(market, by_month):
    loaded = load_file(by_month)
    assert sorted(p.name for p in by_month.iterdir())[:2] == ["month=2022-01", "month=2022-02"]
    pd.testing.assert_frame_equal(loaded.close[list(market.symbols)], market.close, check_freq=False, check_names=False,
                                  check_index_type=False)
    pd.testing.assert_frame_equal(loaded.volume_usd[list(market.symbols)], market.volume_usd, check_freq=False, check_index_type=False,
                                  check_names=False)
    assert loaded.source.startswith("folder by_month")


def test_a_folder_partitioned_by_symbol_takes_the_symbol_from_the_folder_names(market, tmp_path):
    write_partitioned(market, tmp_path, by="symbol")
    loaded = load_file(tmp_path)
    assert sorted(loaded.symbols) == sorted(market.symbols)
    pd.testing.assert_frame_equal(loaded.close[list(market.symbols)], market.close, check_freq=False, check_names=False,
                                  check_index_type=False)


@pytest.mark.parametrize("as_of", [None, pd.Timestamp("2022-03-01 12:00", tz="UTC")])
def test_reading_only_the_window_changes_no_feature(market, by_month, as_of):
    window = load_file(by_month, until=as_of, last_days=30 + 2)
    end = market.end if as_of is None else as_of
    assert window.start > market.start and window.end == end
    assert window.start >= end - pd.Timedelta(days=32)
    config = FeatureConfig(lookback_days=30, as_of=as_of)
    pd.testing.assert_frame_equal(compute_features(window, config).X, compute_features(market, config).X)


def test_a_naive_timestamp_column_is_read_as_utc(market, tmp_path):
    long = market.close.stack().rename("close").reset_index()
    long["timestamp"] = long["timestamp"].dt.tz_localize(None)
    long.to_parquet(tmp_path / "prices.parquet")
    window = load_file(tmp_path / "prices.parquet", last_days=10)
    assert window.end == market.end and window.start == market.end - pd.Timedelta(days=10) + pd.Timedelta(hours=1)
    assert np.allclose(window.close.iloc[-1], market.close.iloc[-1][list(window.symbols)], equal_nan=True)


def test_bad_folders_fail_with_one_clear_message(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no readable Parquet files"):
        load_file(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    with pytest.raises(DataError, match="holds no readable Parquet files"):
        load_file(tmp_path / "junk")
    pd.DataFrame({"when": pd.date_range("2024-01-01", periods=3, tz="UTC"), "px": [1.0, 2, 3]}).to_parquet(
        tmp_path / "nots.parquet")
    with pytest.raises(DataError, match="no 'timestamp' column"):
        load_file(tmp_path / "nots.parquet")


def test_cli_clusters_a_partitioned_folder_reading_only_the_window(by_month, tmp_path):
    out = tmp_path / "clusters.csv"
    done = subprocess.run([sys.executable, "-m", "cluster_core", "cluster", "--data", str(by_month), "--lookback-days",
                           "30", "--k", "3", "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == 12 and done.stdout.startswith("wrote 12 symbols in 3 clusters")


def _long_csv(market, path, sep=",", epoch=False, encoding="utf-8"):
    long = market.close.stack().rename("close").reset_index()
    long["volume_usd"] = market.volume_usd.stack().to_numpy()
    long = long.sort_values(["symbol", "timestamp"])  # symbol by symbol, as exports usually are
    if epoch:
        long["timestamp"] = (long["timestamp"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    long.to_csv(path, index=False, sep=sep, encoding=encoding)
    return path


@pytest.fixture(params=["parsed once", "block by block"])
def small_blocks(monkeypatch, request):
    """CSV blocks of 4 KB: the small test files are read in dozens of blocks, as a large file is.

    Both readers: a file parsed once and kept as Arrow columns for the passes (up to
    CSV_WHOLE_BYTES), and a larger one parsed block by block in every pass.
    """
    from cluster_core.data import _files

    monkeypatch.setattr(_files, "CSV_BLOCK_BYTES", 4096)
    if request.param == "block by block":
        monkeypatch.setattr(_files, "CSV_WHOLE_BYTES", 0)


@pytest.mark.parametrize(("sep", "epoch", "encoding"), [(",", False, "utf-8"), (";", False, "utf-8-sig"),
                                                        ("\t", True, "latin-1")])
def test_a_csv_read_in_blocks_is_the_market_pandas_reads(market, tmp_path, small_blocks, monkeypatch, sep, epoch,
                                                         encoding):
    from cluster_core.data import _files

    path = _long_csv(market, tmp_path / "prices.csv", sep=sep, epoch=epoch, encoding=encoding)
    with monkeypatch.context() as patched:  # the whole-file pandas path must not be taken
        patched.setattr(_files, "_read_bytes", lambda *a: pytest.fail("read by the slow path"))
        fast = load_file(path)
    from cluster_core.data._build import build_market_data
    from cluster_core.data._files import _to_long, read_table

    slow = build_market_data(_to_long(read_table(path.read_bytes(), "prices.csv"), "prices.csv")[0], "pandas")
    pd.testing.assert_frame_equal(fast.close, slow.close, check_exact=True)
    pd.testing.assert_frame_equal(fast.volume_usd, slow.volume_usd, check_exact=True)
    assert fast.notes == slow.notes and fast.source == "file prices.csv (long format)"


@pytest.mark.parametrize("as_of", [None, pd.Timestamp("2022-03-01 12:00", tz="UTC")])
def test_a_csv_window_is_read_block_by_block_and_changes_no_feature(market, tmp_path, small_blocks, as_of):
    path = _long_csv(market, tmp_path / "prices.csv")
    window = load_file(path, until=as_of, last_days=30 + 2)
    end = market.end if as_of is None else as_of
    assert window.end == end and window.start == end - pd.Timedelta(days=32) + pd.Timedelta(hours=1)
    config = FeatureConfig(lookback_days=30, as_of=as_of)
    pd.testing.assert_frame_equal(compute_features(window, config).X, compute_features(load_file(path), config).X)


@pytest.mark.parametrize(("whole_bytes", "parses"), [(None, 1), (0, 2)])
def test_a_csv_up_to_the_limit_is_parsed_once_and_a_larger_one_block_by_block(market, tmp_path, monkeypatch,
                                                                               whole_bytes, parses):
    """Parses of the whole file: one for a file kept as Arrow columns; one per pass (keys with the window end, rows) above."""
    from pyarrow import csv as pacsv

    from cluster_core.data import _files

    if whole_bytes is not None:
        monkeypatch.setattr(_files, "CSV_WHOLE_BYTES", whole_bytes)
    calls = []
    for name in ("read_csv", "open_csv"):
        original = getattr(pacsv, name)
        monkeypatch.setattr(pacsv, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    path = _long_csv(market, tmp_path / "prices.csv")
    window = load_file(path, last_days=32)
    whole_file_parses = len(calls) - 1  # the first call reads the header block only
    assert calls[0] == "open_csv" and whole_file_parses == parses
    assert window.end == market.end


def test_a_bad_value_in_a_late_block_still_names_its_row(market, tmp_path, small_blocks):
    path = _long_csv(market, tmp_path / "prices.csv")
    lines = path.read_text().splitlines()
    row = len(lines) - 5  # far past the first block
    cells = lines[row].split(",")
    cells[2] = "n/a?"
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=rf"Column 'close' has 1 non-numeric value\(s\) \(row {row + 1}: 'n/a\?'\)"):
        load_file(path)
    with pytest.raises(DataError, match=rf"row {row + 1}"):
        load_file(path, last_days=10)


def test_a_file_damaged_inside_a_folder_is_a_clear_error_not_a_traceback(market, tmp_path):
    folder = tmp_path / "damaged"
    write_partitioned(market, folder, by="month")
    victim = sorted(folder.rglob("*.parquet"))[1]
    raw = bytearray(victim.read_bytes())
    middle = len(raw) // 2
    raw[middle - 2000 : middle + 2000] = bytes(4000)  # data pages zeroed; header and footer intact
    victim.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="could not be read as Parquet"):
        load_file(folder)
    with pytest.raises(DataError, match="could not be read as Parquet"):
        load_file(folder, last_days=30)


def test_loading_in_chunks_gives_the_same_market_as_one_chunk(market, by_month, monkeypatch):
    from cluster_core.data import _files

    whole = load_file(by_month)
    monkeypatch.setattr(_files, "PARQUET_CHUNK_ROWS", 997)  # many chunks, none aligned with a month or a symbol
    chunked = load_file(by_month)
    pd.testing.assert_frame_equal(chunked.close, whole.close)
    pd.testing.assert_frame_equal(chunked.volume_usd, whole.volume_usd)
    assert chunked.notes == whole.notes


@pytest.mark.parametrize("statistics", [True, False])
@pytest.mark.parametrize("tz", ["UTC", None])
def test_the_window_ends_at_the_last_bar_with_or_without_file_statistics(market, tmp_path, statistics, tz):
    import pyarrow as pa
    import pyarrow.parquet as pq

    long = market.close.stack().rename("close").reset_index()
    if tz is None:
        long["timestamp"] = long["timestamp"].dt.tz_localize(None)
    pq.write_table(pa.Table.from_pandas(long, preserve_index=False), tmp_path / "prices.parquet",
                   write_statistics=statistics, row_group_size=5000)
    loaded = load_file(tmp_path / "prices.parquet", last_days=10)
    assert loaded.end == market.end
    assert loaded.start == market.end - pd.Timedelta(days=10) + pd.Timedelta(hours=1)


def test_a_parquet_path_read_in_chunks_equals_the_same_bytes_read_whole(market, tmp_path):
    """The path reader takes symbols and timestamps from pyarrow; the bytes reader parses every row."""
    long = market.close.stack().rename("close").reset_index()
    long["volume_usd"] = 1e6
    long.loc[long.index % 17 == 0, "close"] = np.nan  # rows without a price
    long.loc[long.symbol == long.symbol.iloc[-1], "close"] = np.nan  # a symbol with no price at all
    long["symbol"] = long["symbol"].where(long.index % 5 != 0, " " + long["symbol"] + " ")  # padded names
    long = pd.concat([long, long.iloc[[3, 40]]])  # exact repeats
    path = tmp_path / "prices.parquet"
    long.to_parquet(path, index=False)
    by_path, by_bytes = load_file(path), load_file(path.read_bytes(), name="prices.parquet")
    pd.testing.assert_frame_equal(by_path.close, by_bytes.close)
    pd.testing.assert_frame_equal(by_path.volume_usd, by_bytes.volume_usd)
    assert by_path.notes == by_bytes.notes and any("Collapsed 2 exact" in n for n in by_path.notes)
    assert any("without a price" in n for n in by_path.notes)


def test_the_reader_holds_one_row_group_at_a_time_while_the_loader_works(tmp_path):
    """Arrow memory while chunks are consumed slowly stays near one row group's columns.

    pyarrow's dataset scanner decodes row groups ahead of a slow consumer whatever its
    read-ahead settings (250 MB at 5,000 symbols): the reader must not let it.
    """
    import time

    import pyarrow as pa

    from cluster_core.data import _files

    market = synthetic_market(200, days=100, seed=2)
    write_partitioned(market, tmp_path, by="month")  # 4 files, row groups of up to 1,000,000 rows
    n_rows = market.close.size
    read, _, _ = _files._parquet_chunks(tmp_path, "folder", None, None)
    held, chunks = [], 0
    for _ in read():
        time.sleep(0.05)  # a slow consumer (parsing, filling the grid): room for a scanner to run ahead
        held.append(pa.total_allocated_bytes())
        chunks += 1
    one_group = 148_800 * 28  # the largest row group here: 31 days of 200 hourly symbols, 28 bytes a row
    assert chunks >= 4 and n_rows > 3 * 148_800
    assert max(held) < 3 * one_group, f"{max(held) / 2**20:.1f} MB of arrow memory held"
