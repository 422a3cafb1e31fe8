"""Synthetic hourly markets for the benchmarks (seeded, no file I/O)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cluster_core.data import MarketData


def synthetic_market(n_symbols: int, days: int = 730, seed: int = 0, gaps: bool = True) -> MarketData:
    """Hourly random-walk prices driven by a common factor, with a few missing bars."""
    rng = np.random.default_rng(seed)
    n_bars = days * 24
    index = pd.date_range("2022-01-01", periods=n_bars, freq="1h", tz="UTC", name="timestamp")
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
