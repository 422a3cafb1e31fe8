"""Market data: the :class:`MarketData` value, loaders and validation."""

from cluster_core.data._build import build_market_data, build_market_data_chunked
from cluster_core.data._files import load_file, read_table
from cluster_core.data._market import COVERAGE_COLUMNS, MarketData
from cluster_core.data._sample import (
    DATASETS_DIR,
    SAMPLE_CREDIT,
    load_sample,
    load_sectors,
    read_sector_map,
    sectors_for,
    summary_table,
)
from cluster_core.data._schema import (
    CLOSE,
    SYMBOL,
    TIMESTAMP,
    VOLUME_USD,
    DataSource,
    SampleName,
    YahooInterval,
)
from cluster_core.data._yahoo import (
    DEFAULT_YAHOO_TICKERS,
    YahooResult,
    load_yahoo,
    parse_yahoo_frame,
    symbol_to_yahoo,
    yahoo_to_symbol,
)

__all__ = [
    "CLOSE",
    "COVERAGE_COLUMNS",
    "DATASETS_DIR",
    "DEFAULT_YAHOO_TICKERS",
    "SAMPLE_CREDIT",
    "SYMBOL",
    "TIMESTAMP",
    "VOLUME_USD",
    "MarketData",
    "DataSource",
    "SampleName",
    "YahooInterval",
    "YahooResult",
    "build_market_data",
    "build_market_data_chunked",
    "load_file",
    "load_sample",
    "load_sectors",
    "load_yahoo",
    "parse_yahoo_frame",
    "read_sector_map",
    "read_table",
    "sectors_for",
    "summary_table",
    "symbol_to_yahoo",
    "yahoo_to_symbol",
]
