"""Hypothesis strategies: small synthetic markets with gaps and constant series."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cluster_core.data import MarketData

# Log returns: exactly 0 (an unchanged price) or a real move of at least 1e-4; a move of
# 1e-15 would be float noise, where no invariance can hold to more than a few digits.
FLOATS = st.one_of(st.just(0.0), st.floats(1e-4, 0.15), st.floats(-0.15, -1e-4))


@st.composite
def markets(draw, min_symbols: int = 3, max_symbols: int = 6, min_bars: int = 30, max_bars: int = 90) -> MarketData:
    """Daily markets: random-walk closes, optional gaps, maybe a constant-price symbol, BTC first."""
    n_symbols = draw(st.integers(min_symbols, max_symbols))
    n_bars = draw(st.integers(min_bars, max_bars))
    log_returns = draw(hnp.arrays(np.float64, (n_symbols, n_bars), elements=FLOATS))
    start = draw(st.floats(0.01, 1000.0))
    close = start * np.exp(np.cumsum(log_returns, axis=1))
    if draw(st.booleans()):
        close[-1] = 1.0  # a stablecoin
    gaps = np.zeros((n_symbols, n_bars), dtype=bool)
    n_gaps = draw(st.integers(0, n_bars // 5))
    if n_gaps:
        rows = draw(hnp.arrays(np.int64, n_gaps, elements=st.integers(0, n_symbols - 1)))
        cols = draw(hnp.arrays(np.int64, n_gaps, elements=st.integers(1, n_bars - 2)))
        gaps[rows, cols] = True
    close[gaps] = np.nan
    volume = np.where(gaps, np.nan, draw(st.floats(1e3, 1e9)) * (1 + np.abs(log_returns)))
    index = pd.date_range("2023-01-01", periods=n_bars, freq="1D", tz="UTC", name="timestamp")
    symbols = pd.Index(["BTC"] + [f"C{i}" for i in range(1, n_symbols)], name="symbol")
    return MarketData(
        close=pd.DataFrame(close.T.copy(), index=index, columns=symbols),
        volume_usd=pd.DataFrame(volume.T.copy(), index=index, columns=symbols.copy()),
        source="hypothesis",
    )


def replace_frames(data: MarketData, close: pd.DataFrame, volume: pd.DataFrame) -> MarketData:
    return MarketData(close=close, volume_usd=volume, source=data.source)
