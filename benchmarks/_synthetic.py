"""Synthetic hourly markets for the benchmarks (seeded, no file I/O)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cluster_core.data import MarketData


def synthetic_market(n_symbols: int, days: int = 730, seed: int = 0, gaps: bool = True,
                     daily: bool = False) -> MarketData:
    """Hourly (or daily) random-walk prices driven by a common factor, with a few missing bars."""
    rng = np.random.default_rng(seed)
    n_bars = days if daily else days * 24
    index = pd.date_range("2022-01-01", periods=n_bars, freq="1D" if daily else "1h", tz="UTC", name="timestamp")
    market = rng.normal(0, 0.006, n_bars)
    # symbol-major (symbols x bars), as MarketData stores prices
    close = np.empty((n_symbols, n_bars))
    for lo in range(0, n_symbols, 500):  # in blocks, to keep the generator's temporaries small
        hi = min(lo + 500, n_symbols)
        beta = rng.uniform(0.3, 1.8, (hi - lo, 1))
        noise = rng.normal(0, 0.01, (hi - lo, n_bars)) * rng.uniform(0.2, 2.0, (hi - lo, 1))
        np.cumsum(market[None, :] * beta + noise, axis=1, out=close[lo:hi])
    np.exp(close, out=close)
    close *= rng.uniform(0.01, 1000, (n_symbols, 1))
    volume = np.abs(close * rng.uniform(1e3, 1e5, (n_symbols, 1)))
    if gaps:
        cols = rng.integers(0, n_bars, size=n_symbols * 3)
        rows = rng.integers(0, n_symbols, size=n_symbols * 3)
        close[rows, cols] = np.nan
        volume[rows, cols] = np.nan
    symbols = pd.Index([f"C{i:05d}" for i in range(n_symbols)], name="symbol")
    symbols = symbols.insert(0, "BTC").drop(symbols[0]) if n_symbols else symbols
    return MarketData(
        close=pd.DataFrame(close.T, index=index, columns=symbols, copy=False),
        volume_usd=pd.DataFrame(volume.T, index=index, columns=symbols.copy(), copy=False),
        source=f"synthetic {n_symbols} symbols",
    )


def write_partitioned(data: MarketData, path, by: str = "month") -> int:
    """Write ``data`` as a Hive-partitioned Parquet dataset in the long format; return its size in bytes.

    ``by="month"``: folders ``month=2022-01/``; ``by="symbol"``: folders ``symbol=BTC/``
    (the symbol is then only in the folder name, as partitioned exports do).
    """
    import pathlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = pathlib.Path(path)
    index = data.close.index
    symbols = list(data.symbols)
    if by == "month":
        months = index.tz_convert(None).to_period("M")
        for month in months.unique():
            rows = np.flatnonzero(months == month)
            block_close = data.close.to_numpy()[rows]  # bars x symbols
            block_volume = data.volume_usd.to_numpy()[rows]
            table = pa.table({
                "timestamp": pa.array(np.repeat(index[rows].to_numpy(), len(symbols)), pa.timestamp("ns", "UTC")),
                "symbol": pa.DictionaryArray.from_arrays(
                    np.tile(np.arange(len(symbols), dtype=np.int32), len(rows)), pa.array(symbols)),
                "close": block_close.reshape(-1), "volume_usd": block_volume.reshape(-1),
            })
            folder = root / f"month={month}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / "part-0.parquet", row_group_size=1_000_000)
    else:
        for j, symbol in enumerate(symbols):
            table = pa.table({"timestamp": pa.array(index.to_numpy(), pa.timestamp("ns", "UTC")),
                              "close": data.close.to_numpy()[:, j], "volume_usd": data.volume_usd.to_numpy()[:, j]})
            folder = root / f"symbol={symbol}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / "part-0.parquet")
    return sum(f.stat().st_size for f in root.rglob("*.parquet"))
