"""build_market_data and load_file: the validation rules and their messages."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster_core.data import build_market_data, load_file
from cluster_core.errors import DataError
from tests.conftest import make_long


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_long_table_becomes_float64_wide_grid(long_table):
    md = build_market_data(long_table, source="test")
    assert md.symbols == ("S0", "S1", "S2", "S3")
    assert md.close.shape == (48, 4)
    assert (md.close.dtypes == "float64").all()
    assert str(md.close.index.tz) == "UTC"
    assert md.interval == pd.Timedelta(hours=1)
    assert md.bars_per_year == 8760
    np.testing.assert_allclose(md.close["S2"].to_numpy(), long_table.loc[long_table.symbol == "S2", "close"])


def test_daily_bars_use_365_periods_per_year():
    md = build_market_data(make_long(freq="1D", n_bars=30), source="test")
    assert md.interval == pd.Timedelta(days=1)
    assert md.bars_per_year == 365


def test_missing_bars_stay_missing_and_are_never_filled(long_table):
    gappy = long_table.drop(index=long_table.index[(long_table.symbol == "S1")][10:13])
    md = build_market_data(gappy, source="test")
    assert md.close["S1"].iloc[10:13].isna().all()
    assert md.close["S1"].notna().sum() == 45
    assert md.close.shape[0] == 48  # the grid keeps the row for every bar


def test_bar_missing_for_all_symbols_keeps_its_grid_row(long_table):
    ts = long_table.timestamp.unique()[20]
    md = build_market_data(long_table[long_table.timestamp != ts], source="test")
    assert md.n_bars == 48
    assert md.close.loc[ts].isna().all()


def test_input_is_not_mutated(long_table):
    before = long_table.copy(deep=True)
    build_market_data(long_table, source="test")
    pd.testing.assert_frame_equal(long_table, before)


def test_exact_duplicates_are_collapsed_with_a_note(long_table):
    doubled = pd.concat([long_table, long_table.iloc[:5]], ignore_index=True)
    md = build_market_data(doubled, source="test")
    assert md.close.shape == (48, 4)
    assert any("Collapsed 5 exact duplicate" in n for n in md.notes)


def test_conflicting_duplicates_are_rejected(long_table):
    clash = long_table.iloc[[0]].assign(close=long_table.close.iloc[0] * 2)
    with pytest.raises(DataError, match=r"more than once with different values \(first: S0"):
        build_market_data(pd.concat([long_table, clash]), source="test")


def _relisted(gap_days: int, factor: float) -> pd.DataFrame:
    table = make_long(n_symbols=3, n_bars=24 * 40)
    mask = table.symbol == "S0"
    ts = table.timestamp
    cut = ts.min() + pd.Timedelta(days=15)
    table = table[~(mask & (ts >= cut) & (ts < cut + pd.Timedelta(days=gap_days)))].copy()
    after = (table.symbol == "S0") & (table.timestamp >= cut)
    table.loc[after, "close"] *= factor
    return table


def test_relisting_after_long_gap_is_split_into_two_symbols():
    md = build_market_data(_relisted(gap_days=18, factor=1e5), source="test")
    assert "S0_OLD" in md.symbols
    old, new = md.close["S0_OLD"].dropna(), md.close["S0"].dropna()
    assert old.index.max() < new.index.min()
    assert len(old) + len(new) == 24 * 40 - 18 * 24
    assert any("treated as a relisting" in n and "S0_OLD" in n for n in md.notes)
    # no return joins the two lives
    assert np.nanmax(np.abs(np.log10(md.close["S0"] / md.close["S0"].shift()))) < 1


@pytest.mark.parametrize(("gap_days", "factor"), [(18, 3.0), (1, 1e5), (18, 0.5)])
def test_no_split_for_small_jumps_or_short_gaps(gap_days, factor):
    md = build_market_data(_relisted(gap_days=gap_days, factor=factor), source="test")
    assert "S0_OLD" not in md.symbols


def test_delisted_symbol_is_kept_with_ended_status():
    table = make_long(n_symbols=4, n_bars=24 * 10)
    table = table[~((table.symbol == "S3") & (table.timestamp > table.timestamp.min() + pd.Timedelta(days=4)))]
    md = build_market_data(table, source="test")
    cov = md.coverage().set_index("symbol")
    assert "S3" in md.symbols
    assert cov.loc["S3", "status"] == "ended"
    assert cov.loc["S0", "status"] == "active"


def _bad_tables() -> list[tuple[str, bytes, str]]:
    good = make_long(n_bars=10)
    mixed = pd.concat([good, make_long(n_symbols=1, n_bars=10, freq="1D", seed=3).assign(symbol="D")])
    off_grid = good.copy()
    off_grid.loc[3, "timestamp"] = off_grid.loc[3, "timestamp"] + pd.Timedelta(minutes=30)
    return [
        ("missing close", _csv(good.drop(columns="close")), r"no 'close' column"),
        ("misnamed timestamp", _csv(good.rename(columns={"timestamp": "tmstp"})), r"no 'timestamp' column.*Did you mean"),
        ("unparseable timestamp", _csv(good.assign(timestamp=good.timestamp.astype(str).where(good.index != 4, "yesterday"))), r"could not be parsed \(row 6: 'yesterday'\)"),
        ("non-numeric price", _csv(good.astype({"close": object}).assign(close=lambda d: d.close.where(d.index != 2, "abc"))), r"non-numeric value\(s\) \(row 4: 'abc'\)"),
        ("zero price", _csv(good.assign(close=good.close.where(good.index != 1, 0.0))), r"zero or negative price"),
        ("negative price", _csv(good.assign(close=good.close.where(good.index != 1, -5.0))), r"zero or negative price"),
        ("infinite price", _csv(good.assign(close=good.close.where(good.index != 1, np.inf))), r"infinite price"),
        ("negative volume", _csv(good.assign(volume_usd=-1.0)), r"volume_usd.*negative"),
        ("mixed intervals", _csv(mixed), r"Mixed bar intervals.*D \(1 days"),
        ("off-grid bar", _csv(off_grid), r"Mixed bar intervals.*between the 0 days 01:00:00 steps"),
        ("two symbols", _csv(good[good.symbol.isin(["S0", "S1"])]), r"Only 2 symbol\(s\).*at least 3"),
        ("empty file", b"", r"is empty"),
        ("whitespace file", b"  \n\n", r"is empty"),
        ("header only", b"timestamp,symbol,close\n", r"header but no rows"),
        ("binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), r"binary file, not CSV or Parquet"),
        ("corrupt parquet", b"PAR1garbage-not-parquet", r"looks like Parquet but could not be read"),
        ("wide non-numeric", b"timestamp,BTC,ETH,SOL\n2024-01-01,1,2,x\n2024-01-02,1,2,3\n", r"column 'SOL' has 1 non-numeric"),
        ("empty symbol", _csv(good.assign(symbol=good.symbol.where(good.index != 0, ""))), r"empty symbol"),
    ]


@pytest.mark.parametrize(("case", "raw", "message"), _bad_tables(), ids=[c[0] for c in _bad_tables()])
def test_bad_files_raise_clear_data_errors(case, raw, message):
    with pytest.raises(DataError, match=message):
        load_file(raw, name="prices.csv")


def test_wide_csv_with_aliases_and_semicolons_loads():
    idx = pd.date_range("2024-01-01", periods=5, freq="1D")
    text = "Date;BTC;ETH;SOL\n" + "\n".join(f"{d:%Y-%m-%d};{100 + i};{10 + i};{1 + i}" for i, d in enumerate(idx))
    md = load_file(text.encode(), name="wide.csv")
    assert md.symbols == ("BTC", "ETH", "SOL")
    assert md.bars_per_year == 365
    assert md.close["ETH"].iloc[-1] == 14
    assert md.volume_usd.isna().all().all()
    assert "wide format" in md.source


def test_long_parquet_with_aliases_and_epoch_seconds(tmp_path):
    table = make_long().rename(columns={"timestamp": "Time", "symbol": "Ticker", "close": "Price"})
    table["Time"] = (table["Time"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    path = tmp_path / "prices.parquet"
    table.to_parquet(path)
    md = load_file(path)
    assert md.n_symbols == 4
    assert md.start == pd.Timestamp("2024-01-01", tz="UTC")
    assert "long format" in md.source


def test_naive_and_offset_timestamps_are_converted_to_utc():
    table = make_long(n_bars=5)
    table["timestamp"] = table["timestamp"].dt.tz_convert("Europe/Paris").astype(str)
    md = load_file(_csv(table))
    assert md.start == pd.Timestamp("2024-01-01 00:00", tz="UTC")


def test_missing_file_path(tmp_path):
    with pytest.raises(DataError, match="File not found"):
        load_file(tmp_path / "nope.csv")


def test_latin1_csv_is_read():
    table = make_long(n_bars=5)
    raw = table.to_csv(index=False).replace("S0", "Sé").encode("latin-1")
    md = load_file(io.BytesIO(raw).getvalue())
    assert "Sé" in md.symbols


def test_empty_price_cells_are_missing_bars_with_a_note(long_table):
    table = long_table.astype({"close": object})
    table.loc[[2, 3], "close"] = None
    md = build_market_data(table, source="test")
    assert md.close["S0"].iloc[2:4].isna().all()
    assert any("Skipped 2 row(s) without a price" in n for n in md.notes)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 9), st.integers(2, 3))
def test_vectorised_relisting_screen_finds_exactly_the_symbols_the_per_symbol_rule_splits(seed, n_symbols, block):
    from cluster_core.data._build import RELIST_MIN_GAP, RELIST_MIN_LOG10_JUMP, _relisting_suspects

    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01", periods=24 * 12, freq="1h", tz="UTC")
    close = pd.DataFrame(np.exp(rng.normal(0, 0.02, (len(index), n_symbols)).cumsum(axis=0)), index=index,
                         columns=[f"S{i}" for i in range(n_symbols)])
    for col in close.columns:  # gaps of 1-5 days, some followed by a 100x move, some not
        if rng.random() < 0.7:
            start = int(rng.integers(1, len(index) - 130))
            stop = start + int(rng.integers(24, 121))
            close.iloc[start:stop, close.columns.get_loc(col)] = np.nan
            if rng.random() < 0.6:
                close.iloc[stop:, close.columns.get_loc(col)] *= rng.choice([1e-3, 0.5, 150.0, 1e4])
        close.iloc[rng.integers(0, len(index), 5), close.columns.get_loc(col)] = np.nan
    expected = []
    for col in close.columns:
        prices = close[col].dropna()
        gaps, jumps = prices.index.to_series().diff(), np.abs(np.log10(prices / prices.shift()))
        if ((gaps >= RELIST_MIN_GAP) & (jumps >= RELIST_MIN_LOG10_JUMP)).any():
            expected.append(col)
    assert list(_relisting_suspects(close, block=block)) == expected


def _reference_grid(table: pd.DataFrame, freq: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The obvious build: drop exact repeats, pivot, reindex to every bar from the first to the last."""
    unique = table.drop_duplicates(["timestamp", "symbol"])
    grid = pd.date_range(unique.timestamp.min(), unique.timestamp.max(), freq=freq, name="timestamp", unit="ns")
    close = unique.pivot(index="timestamp", columns="symbol", values="close").reindex(grid)
    volume = unique.pivot(index="timestamp", columns="symbol", values="volume_usd").reindex(grid)
    kept = close.columns[close.notna().sum() >= 2].sort_values()  # a single price is dropped with a note
    return close[kept], volume[kept]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 7), st.sampled_from(["1h", "1D", "15min"]), st.booleans())
def test_grid_from_rows_in_any_order_equals_the_pivot_reference(seed, n_symbols, freq, repeats):
    rng = np.random.default_rng(seed)
    table = make_long(n_symbols=n_symbols, n_bars=int(rng.integers(5, 60)), freq=freq, seed=seed % 1000)
    table = table[rng.random(len(table)) > 0.2]  # missing bars, some for every symbol at once
    for symbol in table.symbol.unique()[:2]:  # late starts and early ends
        rows = table.index[table.symbol == symbol]
        table = table.drop(rows[: int(rng.integers(0, 3))])
    if repeats:  # exact repeats of random rows
        table = pd.concat([table, table.sample(int(rng.integers(1, 6)), replace=True, random_state=seed % 1000)])
    table = table.sample(frac=1.0, random_state=seed % 1000).reset_index(drop=True)  # any row order
    if table.drop_duplicates(["timestamp", "symbol"]).groupby("symbol").size().ge(2).sum() < 3:
        return
    step = pd.Timedelta(freq)
    steps = table.drop_duplicates(["timestamp", "symbol"]).sort_values("timestamp").groupby("symbol").timestamp.diff()
    regular = (steps == step).groupby(table.symbol).sum()
    if (regular < 0.5 * steps.notna().groupby(table.symbol).sum()).any():  # mostly 2-bar steps: the mixed rule
        with pytest.raises(DataError, match="Mixed bar intervals"):
            build_market_data(table, source="test")
        return
    md = build_market_data(table, source="test")
    close, volume = _reference_grid(table, freq)
    pd.testing.assert_frame_equal(md.close, close, check_names=False, check_freq=False)
    pd.testing.assert_frame_equal(md.volume_usd, volume, check_names=False, check_freq=False)
    n_repeats = int(table.duplicated(["timestamp", "symbol"]).sum())
    assert any(f"Collapsed {n_repeats} exact" in n for n in md.notes) == (n_repeats > 0)


def test_a_few_hourly_symbols_among_many_daily_ones_name_the_daily_ones():
    daily = make_long(n_symbols=6, n_bars=10, freq="1D")
    hourly = make_long(n_symbols=1, n_bars=240, freq="1h", seed=5).assign(symbol="H")
    with pytest.raises(DataError, match=r"Mixed bar intervals.*6 symbol\(s\) use another step: S0 \(1 days"):
        build_market_data(pd.concat([daily, hourly]), source="test")


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40))
def test_chunked_build_equals_the_whole_table_build_repeats_across_chunks_included(seed, chunk):
    from cluster_core.data import build_market_data_chunked

    rng = np.random.default_rng(seed)
    table = make_long(n_symbols=4, n_bars=30, seed=seed % 1000)
    table = table[rng.random(len(table)) > 0.1]
    table = pd.concat([table, table.sample(5, random_state=seed % 1000)])  # exact repeats, in other chunks
    table = table.sample(frac=1.0, random_state=seed % 1000).reset_index(drop=True)
    whole = build_market_data(table, source="test")

    def read():
        return (table.iloc[lo : lo + chunk].copy() for lo in range(0, len(table), chunk))

    chunked = build_market_data_chunked(read, source="test")
    pd.testing.assert_frame_equal(chunked.close, whole.close)
    pd.testing.assert_frame_equal(chunked.volume_usd, whole.volume_usd)
    assert chunked.notes == whole.notes
    clash = pd.concat([table, table.iloc[[3]].assign(close=table.close.iloc[3] * 1.5)], ignore_index=True)
    with pytest.raises(DataError, match="more than once with different values"):
        build_market_data_chunked(lambda: (clash.iloc[lo : lo + chunk].copy() for lo in range(0, len(clash), chunk)),
                                  source="test")
