"""The bundled real Binance dataset (see ``cluster_core/datasets/SOURCES.md``)."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cluster_core._validation import check_enum
from cluster_core.data._build import build_market_data
from cluster_core.data._market import MarketData
from cluster_core.data._schema import SampleName
from cluster_core.errors import DataError

__all__ = [
    "DATASETS_DIR",
    "SAMPLE_CREDIT",
    "load_sample",
    "load_sectors",
    "read_sector_map",
    "sectors_for",
    "summary_table",
]

DATASETS_DIR = Path(__file__).resolve().parent.parent / "datasets"
SAMPLE_CREDIT = "Binance spot market data (USDT quote) via the public repository misrori/binance_startegy"
_LOAD_LOCK = threading.Lock()
_FILES = {SampleName.HOURLY: "crypto_hourly.parquet", SampleName.DAILY: "crypto_daily.parquet"}


def load_sample(name: SampleName | str = SampleName.HOURLY) -> MarketData:
    """Load a bundled dataset of real Binance closes and USD volumes.

    Parameters
    ----------
    name : {"hourly", "daily"}, default="hourly"
        ``hourly``: 151 symbols, 2021-04-04 to 2023-12-30. ``daily``: 408 symbols, same period.

    Returns
    -------
    MarketData
        LUNA's relaunch after its May 2022 collapse is split off as ``LUNA_OLD``
        (see :func:`cluster_core.data.build_market_data`).

    Examples
    --------
    >>> md = load_sample("hourly")
    >>> md.interval_label, md.n_symbols >= 151
    ('hourly', True)
    """
    which = check_enum("name", name, SampleName)
    with _LOAD_LOCK:  # a page and the warm-up thread asking at once share one load
        return _load_sample(which)


@lru_cache(maxsize=2)
def _load_sample(which: SampleName) -> MarketData:
    # Read and validated once per process: the bundled files never change, and MarketData is
    # never mutated (every engine function copies before changing anything).
    import pyarrow.parquet as pq

    # Symbols read as a dictionary (categorical): the loader factorises their codes, not 3.3 M
    # strings (0.3 s less per load here; the same MarketData, fingerprint included).
    long = pq.read_table(DATASETS_DIR / _FILES[which], read_dictionary=["symbol"]).to_pandas()
    return build_market_data(long, source=f"bundled Binance sample ({which.value})")


def load_sectors() -> pd.Series:
    """Return the coarse, hand-made sector label of each bundled hourly symbol.

    Returns
    -------
    Series
        Index ``symbol``, values the sector name (14 sectors; not an official taxonomy).
    """
    table = pd.read_csv(DATASETS_DIR / "sectors.csv")
    return table.set_index("symbol")["sector"].rename("sector")


def summary_table(data: MarketData, sectors: pd.Series | None = None) -> pd.DataFrame:
    """Per-symbol coverage (:meth:`MarketData.coverage`) with a ``sector`` column when known.

    Parameters
    ----------
    data : MarketData
    sectors : Series, optional
        Sector per symbol, as :func:`load_sectors` returns. A relisted symbol's earlier
        life (``LUNA_OLD``) takes the sector of its ticker.
    """
    table = data.coverage()
    if sectors is not None:
        table.insert(1, "sector", sectors_for(table["symbol"], sectors).to_numpy())
    return table


def sectors_for(symbols: pd.Index | pd.Series | list[str], sectors: pd.Series) -> pd.Series:
    """Sector of each symbol (``"unknown"`` when not listed); ``LUNA_OLD`` takes ``LUNA``'s."""
    names = pd.Series(list(symbols), index=list(symbols))
    base = names.str.replace(r"_OLD\d*_*$", "", regex=True)
    return base.map(sectors).fillna("unknown").rename("sector")


def read_sector_map(raw: bytes, name: str = "sector file") -> pd.Series:
    """Parse a user's CSV of ``symbol, sector`` pairs into a Series like :func:`load_sectors`.

    Raises
    ------
    DataError
        Empty or unreadable file, missing ``symbol`` / ``sector`` columns, or a symbol
        given two different sectors.
    """
    from cluster_core.data._files import read_table  # imported here: _files imports this module

    table = read_table(raw, name)
    columns = {str(c).strip().lower(): c for c in table.columns}
    missing = [c for c in ("symbol", "sector") if c not in columns]
    if missing:
        found = ", ".join(repr(str(c)) for c in table.columns[:8])
        raise DataError(f"{name} needs the columns symbol and sector; missing {', '.join(missing)} (found: {found}).")
    pairs = pd.DataFrame({
        "symbol": table[columns["symbol"]].astype(str).str.strip().str.upper(),
        "sector": table[columns["sector"]].astype(str).str.strip(),
    }).drop_duplicates()
    clash = pairs[pairs["symbol"].duplicated(keep=False)]
    if len(clash):
        raise DataError(f"{name} gives {clash['symbol'].iloc[0]} more than one sector; keep one row per symbol.")
    return pairs.set_index("symbol")["sector"].rename("sector")
