"""Column names, aliases and limits of the market-data contract (DESIGN.md, "Data contract")."""

from __future__ import annotations

from enum import StrEnum

import pandas as pd

TIMESTAMP = "timestamp"
SYMBOL = "symbol"
CLOSE = "close"
VOLUME_USD = "volume_usd"

LONG_COLUMNS = (TIMESTAMP, SYMBOL, CLOSE, VOLUME_USD)

# Accepted spellings (after lower-casing and replacing spaces/dashes by "_").
ALIASES: dict[str, tuple[str, ...]] = {
    TIMESTAMP: ("timestamp", "date", "datetime", "time", "open_time", "ts"),
    SYMBOL: ("symbol", "ticker", "asset", "coin"),
    CLOSE: ("close", "price", "close_usd", "adj_close"),
    VOLUME_USD: ("volume_usd", "usd_volume", "quote_volume", "volume_quote"),
}

DAYS_PER_YEAR = 365  # crypto trades every day of the year
MIN_USABLE_SYMBOLS = 3
MAX_GRID_CELLS = 60_000_000  # bars x symbols kept in memory (about 1 GB of float64 for two frames)
MAX_INTERVAL = pd.Timedelta(days=1)
MIN_INTERVAL = pd.Timedelta(minutes=1)

# A price move of this many orders of magnitude across a gap of at least this long is
# a relisting or a redenomination (LUNA, May 2022), not a return.
RELIST_MIN_GAP = pd.Timedelta(days=3)
RELIST_MIN_LOG10_JUMP = 2.0


class SampleName(StrEnum):
    """Bundled datasets (``load_sample``)."""

    HOURLY = "hourly"
    DAILY = "daily"


class YahooInterval(StrEnum):
    """Bar intervals fetched from Yahoo Finance."""

    HOURLY = "1h"
    DAILY = "1d"


YAHOO_HOURLY_LIMIT_DAYS = 729  # Yahoo serves 1h bars for the last 730 days only


class DataSource(StrEnum):
    """Where the app takes its prices from."""

    SAMPLE_HOURLY = "sample-hourly"
    SAMPLE_DAILY = "sample-daily"
    YAHOO = "yahoo"
    UPLOAD = "upload"

    @property
    def label(self) -> str:
        """Text shown in the UI."""
        return {
            DataSource.SAMPLE_HOURLY: "Bundled Binance sample, hourly (151 coins)",
            DataSource.SAMPLE_DAILY: "Bundled Binance sample, daily (408 coins)",
            DataSource.YAHOO: "Yahoo Finance (live)",
            DataSource.UPLOAD: "Upload a CSV / Parquet file",
        }[self]
