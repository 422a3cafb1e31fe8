"""Shared fixtures: the bundled data (session-scoped) and synthetic markets."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cluster_core.data import MarketData, load_sample  # noqa: E402


@pytest.fixture(scope="session")
def hourly() -> MarketData:
    return load_sample("hourly")


@pytest.fixture(scope="session")
def daily() -> MarketData:
    return load_sample("daily")


def make_long(
    n_symbols: int = 4,
    n_bars: int = 48,
    freq: str = "1h",
    seed: int = 0,
    start: str = "2024-01-01",
) -> pd.DataFrame:
    """A long table of random-walk prices with USD volumes."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=n_bars, freq=freq, tz="UTC")
    frames = []
    for i in range(n_symbols):
        prices = 100.0 * (i + 1) * np.exp(np.cumsum(rng.normal(0, 0.01, n_bars)))
        frames.append(
            pd.DataFrame(
                {
                    "timestamp": index,
                    "symbol": f"S{i}",
                    "close": prices,
                    "volume_usd": rng.uniform(1e5, 1e6, n_bars),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def long_table() -> pd.DataFrame:
    return make_long()
