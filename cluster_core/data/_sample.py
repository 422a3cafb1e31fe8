"""The bundled real Binance dataset (see ``cluster_core/datasets/SOURCES.md``)."""

from __future__ import annotations

import os
import pickle
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
    path = DATASETS_DIR / _FILES[which]
    built = BUILT_DIR / f"{path.stem}-{_build_key(path)}.pickle"
    try:
        with built.open("rb") as handle:
            data = pickle.load(handle)  # noqa: S301  written below by this process's code, from the bundled file
        if isinstance(data, MarketData):
            return data
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass  # not built yet, or by other code: build it
    data = _build_sample(which)
    _keep_built(built, data)
    return data


def _build_sample(which: SampleName) -> MarketData:
    import pyarrow.parquet as pq

    # Symbols read as a dictionary (categorical): the loader factorises their codes, not 3.3 M
    # strings (0.3 s less per load here; the same MarketData, fingerprint included).
    long = pq.read_table(DATASETS_DIR / _FILES[which], read_dictionary=["symbol"]).to_pandas()
    return build_market_data(long, source=f"bundled Binance sample ({which.value})")


# The bundled files, once built into MarketData (1.0-1.5 s each), are kept here, so a new
# process (a CLI command, a Dask worker, a server) loads them in ~10 ms. The file name holds a
# hash of the bundled file, of the code that builds it and of pandas' and numpy's versions:
# anything that could change the result makes a new name, and the old files are removed.
BUILT_DIR = DATASETS_DIR.parent.parent / ".cache" / "datasets"
_BUILD_CODE = ("_build.py", "_market.py", "_schema.py", "_sample.py")


def _build_key(path: Path) -> str:
    import hashlib

    import numpy as np

    digest = hashlib.blake2b(digest_size=12)
    digest.update(path.read_bytes())
    for name in _BUILD_CODE:
        digest.update(Path(__file__).with_name(name).read_bytes())
    digest.update(f"{pd.__version__} {np.__version__}".encode())
    return digest.hexdigest()


def _keep_built(target: Path, data: MarketData) -> None:
    """Write the built data beside older builds of the same file (which go); a read-only disk keeps nothing."""
    _ = data.fingerprint  # computed once and kept with the data
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        with partial.open("wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, target)  # atomic: a process reading at the same time sees the whole file or none
        stem = target.name.rsplit("-", 1)[0]
        for old in target.parent.glob(f"{stem}-*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        pass


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
