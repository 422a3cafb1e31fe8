"""Live data from Yahoo Finance (yfinance) with an on-disk Parquet cache and an offline fallback.

Offline, ``yf.download`` raises nothing: it logs the errors and returns an empty frame
(with its MultiIndex columns). So an empty or all-NaN result counts as a failure of
that ticker, is retried with backoff, and after two tickers in a row fail with no
success yet, Yahoo is treated as unreachable and the remaining tickers come from the
cache or, failing that, the whole request falls back to the bundled sample.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cluster_core._typing import PathArg, ProgressCallback
from cluster_core._validation import check_enum, check_float, check_int
from cluster_core.data._build import build_market_data
from cluster_core.data._market import MarketData
from cluster_core.data._sample import load_sample
from cluster_core.data._schema import (
    CLOSE,
    MIN_USABLE_SYMBOLS,
    SYMBOL,
    TIMESTAMP,
    VOLUME_USD,
    YAHOO_HOURLY_LIMIT_DAYS,
    SampleName,
    YahooInterval,
)
from cluster_core.errors import ClusterCoreError, ParameterError

__all__ = [
    "DEFAULT_YAHOO_TICKERS",
    "YahooResult",
    "load_yahoo",
    "parse_yahoo_frame",
    "symbol_to_yahoo",
    "yahoo_to_symbol",
]

# Liquid coins of the bundled set that Yahoo lists under SYMBOL-USD, plus a stablecoin
# and gold-backed PAXG as decorrelated references.
DEFAULT_YAHOO_TICKERS: tuple[str, ...] = tuple(
    f"{s}-USD"
    for s in (
        "BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK",
        "LTC", "TRX", "ATOM", "ETC", "XLM", "BCH", "NEAR", "FIL", "AAVE", "ALGO",
        "SAND", "MANA", "AXS", "EGLD", "HBAR", "VET", "ICP", "THETA", "CHZ", "ZEC",
        "DASH", "USDC", "PAXG",
    )
)
_MAX_CONSECUTIVE_FAILURES = 2
_TICKER = re.compile(r"^[A-Z0-9.^=]{1,20}(-[A-Z]{3,4})?$")

Downloader = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class YahooResult:
    """What :func:`load_yahoo` fetched and how.

    Attributes
    ----------
    data : MarketData
        The prices to use (downloaded, cached, or the bundled sample as a fallback).
    downloaded : tuple of str
        Tickers fetched from Yahoo in this call.
    from_cache : tuple of str
        Tickers served from the on-disk cache because their download failed.
    failed : dict of str to str
        Tickers with neither a download nor a cache, and why.
    fallback : str or None
        ``"sample"`` when nothing could be fetched and the bundled data is shown.
    """

    data: MarketData
    downloaded: tuple[str, ...] = ()
    from_cache: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    fallback: str | None = None

    @property
    def messages(self) -> tuple[str, ...]:
        """User-facing summary lines, most important first."""
        lines = []
        if self.fallback == "sample":
            lines.append(
                "Yahoo Finance could not be reached and nothing is cached, so the bundled Binance "
                "sample is shown instead. Check the network and press Refresh."
            )
        if self.from_cache:
            lines.append(
                f"{len(self.from_cache)} ticker(s) could not be refreshed and come from the local "
                f"cache: {', '.join(self.from_cache[:12])}."
            )
        if self.failed and self.fallback is None:
            lines.append(
                f"{len(self.failed)} ticker(s) failed and were left out: "
                + "; ".join(f"{t} ({why})" for t, why in list(self.failed.items())[:8])
            )
        return tuple(lines)


def yahoo_to_symbol(ticker: str) -> str:
    """Map a Yahoo ticker to the bare symbol: ``BTC-USD`` -> ``BTC``, ``UNI7083-USD`` -> ``UNI``.

    Yahoo disambiguates some coins with a numeric id of four or more digits; it is dropped.
    """
    base = ticker.strip().upper()
    base = re.sub(r"-(USD|USDT)$", "", base)
    stripped = re.sub(r"(?<=[A-Z])\d{4,}$", "", base)
    return stripped or base


def symbol_to_yahoo(symbol: str) -> str:
    """Map a bare symbol to its usual Yahoo ticker: ``BTC`` -> ``BTC-USD``."""
    symbol = symbol.strip().upper()
    return symbol if "-" in symbol else f"{symbol}-USD"


def parse_yahoo_frame(frame: pd.DataFrame | None, ticker: str) -> pd.DataFrame:
    """Extract one ticker's closes and USD volumes from a ``yf.download`` result.

    Accepts the MultiIndex layouts ``(Price, Ticker)`` (``group_by="column"``, the
    default) and ``(Ticker, Price)``, and flat columns (``multi_level_index=False``).
    Crypto volumes on Yahoo are quoted in USD.

    Returns
    -------
    DataFrame
        Columns ``timestamp`` (UTC), ``close``, ``volume_usd``; empty when the frame
        holds no price for the ticker.
    """
    empty = pd.DataFrame({TIMESTAMP: pd.Series([], dtype="datetime64[ns, UTC]"), CLOSE: [], VOLUME_USD: []})
    if frame is None or frame.empty:
        return empty
    columns = frame.columns
    if isinstance(columns, pd.MultiIndex):
        level = next((i for i in range(columns.nlevels) if ticker in columns.get_level_values(i)), None)
        if level is None:
            return empty
        sub = frame.xs(ticker, axis=1, level=level)
    else:
        sub = frame
    price_col = "Close" if "Close" in sub.columns else "Adj Close" if "Adj Close" in sub.columns else None
    if price_col is None:
        return empty
    index = pd.DatetimeIndex(sub.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    volume = sub["Volume"] if "Volume" in sub.columns else pd.Series(np.nan, index=sub.index)
    out = pd.DataFrame(
        {
            TIMESTAMP: index.as_unit("ns"),
            CLOSE: pd.to_numeric(sub[price_col], errors="coerce").to_numpy(dtype="float64"),
            VOLUME_USD: pd.to_numeric(volume, errors="coerce").to_numpy(dtype="float64"),
        }
    )
    out = out[np.isfinite(out[CLOSE]) & (out[CLOSE] > 0)]
    return out.reset_index(drop=True)


def load_yahoo(
    tickers: Sequence[str] = DEFAULT_YAHOO_TICKERS,
    *,
    days: int = 365,
    interval: YahooInterval | str | None = None,
    end: pd.Timestamp | None = None,
    cache_dir: PathArg | None = None,
    progress: ProgressCallback | None = None,
    retries: int = 2,
    backoff: float = 0.5,
    downloader: Downloader | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> YahooResult:
    """Download daily or hourly closes and USD volumes from Yahoo Finance.

    Parameters
    ----------
    tickers : sequence of str, default=DEFAULT_YAHOO_TICKERS
        Yahoo tickers (``BTC-USD``) or bare symbols (``BTC``, mapped to ``BTC-USD``).
    days : int, default=365
        History to fetch, in days before ``end`` (1..3650).
    interval : {"1h", "1d"} or None, default=None
        ``None`` picks hourly when ``days`` fits Yahoo's 730-day hourly limit, daily otherwise.
    end : Timestamp, optional
        Last day to fetch; defaults to now.
    cache_dir : path, optional
        Folder of the Parquet cache (one file per ticker and interval). A cached
        ticker is refreshed from its last bar on; ``None`` disables the cache.
    progress : callable, optional
        ``progress(done, total, ticker, status)`` after each ticker.
    retries : int, default=2
        Extra attempts per ticker, with exponential backoff ``backoff * 2**attempt`` seconds.
    backoff : float, default=0.5
        Base delay of the backoff in seconds.
    downloader : callable, optional
        Stand-in for ``yfinance.download`` (tests pass recorded frames).
    sleep : callable, default=time.sleep
        Used for the backoff (tests pass a no-op).

    Returns
    -------
    YahooResult
        Never empty: when nothing can be fetched or read from the cache, the bundled
        sample is returned with ``fallback="sample"``.

    Raises
    ------
    ParameterError
        For an empty ticker list, a malformed ticker, ``days`` out of range, or
        hourly bars requested beyond Yahoo's 730-day limit.
    """
    days = check_int("days", days, 1, 3650)
    retries = check_int("retries", retries, 0, 10)
    backoff = check_float("backoff", backoff, 0.0, 60.0)
    chosen = _choose_interval(interval, days)
    wanted = _normalise_tickers(tickers)
    end_ts = pd.Timestamp.now(tz="UTC") if end is None else pd.Timestamp(end)
    end_ts = end_ts.tz_localize("UTC") if end_ts.tzinfo is None else end_ts.tz_convert("UTC")
    start_ts = end_ts - pd.Timedelta(days=days)
    fetch = downloader or _yfinance_download
    cache = Path(cache_dir) if cache_dir is not None else None
    frames: dict[str, pd.DataFrame] = {}
    downloaded: list[str] = []
    from_cache: list[str] = []
    failed: dict[str, str] = {}
    streak = 0
    for done, ticker in enumerate(wanted, start=1):
        cached = _read_cache(cache, ticker, chosen)
        unreachable = streak >= _MAX_CONSECUTIVE_FAILURES and not downloaded
        fresh, why = (None, "Yahoo unreachable") if unreachable else _download_with_retries(
            fetch, ticker, _fetch_start(cached, start_ts, chosen), end_ts, chosen, retries, backoff, sleep
        )
        if fresh is not None:
            streak = 0
            merged = _merge(cached, fresh)
            _write_cache(cache, ticker, chosen, merged)
            frames[ticker] = merged
            downloaded.append(ticker)
            status = "downloaded"
        else:
            streak += 1
            if cached is not None and not cached.empty:
                frames[ticker] = cached
                from_cache.append(ticker)
                status = "from cache"
            else:
                failed[ticker] = why
                status = f"failed: {why}"
        if progress is not None:
            progress(done, len(wanted), ticker, status)
    return _assemble(frames, start_ts, end_ts, chosen, downloaded, from_cache, failed)


def _choose_interval(interval: YahooInterval | str | None, days: int) -> YahooInterval:
    if interval is None:
        return YahooInterval.HOURLY if days <= YAHOO_HOURLY_LIMIT_DAYS else YahooInterval.DAILY
    chosen = check_enum("interval", interval, YahooInterval)
    if chosen is YahooInterval.HOURLY and days > YAHOO_HOURLY_LIMIT_DAYS:
        raise ParameterError(
            f"Yahoo serves hourly bars for the last 730 days only; `days` is {days}. "
            f"Ask for at most {YAHOO_HOURLY_LIMIT_DAYS} days or use daily bars (interval='1d')."
        )
    return chosen


def _normalise_tickers(tickers: Sequence[str]) -> list[str]:
    if isinstance(tickers, str):
        tickers = [t for t in re.split(r"[\s,;]+", tickers) if t]
    wanted = list(dict.fromkeys(symbol_to_yahoo(t) for t in tickers if t.strip()))
    if not wanted:
        raise ParameterError("`tickers` is empty; give at least 3 Yahoo tickers such as BTC-USD, ETH-USD, SOL-USD.")
    bad = [t for t in wanted if not _TICKER.match(t)]
    if bad:
        raise ParameterError(f"`tickers` has malformed ticker(s): {', '.join(bad[:5])}. Use the form BTC-USD.")
    return wanted


def _yfinance_download(ticker: str, **kwargs: object) -> pd.DataFrame:
    import yfinance as yf  # imported lazily: it is slow to import and only needed here

    with warnings.catch_warnings():  # yfinance's own pandas deprecation warnings are not ours
        warnings.simplefilter("ignore")
        return yf.download(ticker, progress=False, threads=False, auto_adjust=True, **kwargs)


def _download_with_retries(
    fetch: Downloader,
    ticker: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    interval: YahooInterval,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> tuple[pd.DataFrame | None, str]:
    why = "no data returned"
    for attempt in range(retries + 1):
        try:
            raw = fetch(ticker, start=start.tz_localize(None), end=end.tz_localize(None), interval=interval.value)
            parsed = parse_yahoo_frame(raw, ticker)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:  # network and parsing faults of yfinance
            parsed, why = None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
        if parsed is not None and not parsed.empty:
            return parsed, ""
        if attempt < retries:
            sleep(backoff * 2**attempt)
    return None, why


def _cache_path(cache: Path, ticker: str, interval: YahooInterval) -> Path:
    return cache / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', ticker)}_{interval.value}.parquet"


def _read_cache(cache: Path | None, ticker: str, interval: YahooInterval) -> pd.DataFrame | None:
    if cache is None:
        return None
    path = _cache_path(cache, ticker, interval)
    if not path.is_file():
        return None
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError):  # a corrupt cache file is ignored and rewritten
        return None
    return frame if {TIMESTAMP, CLOSE, VOLUME_USD} <= set(frame.columns) else None


def _write_cache(cache: Path | None, ticker: str, interval: YahooInterval, frame: pd.DataFrame) -> None:
    if cache is None:
        return
    cache.mkdir(parents=True, exist_ok=True)
    path = _cache_path(cache, ticker, interval)
    tmp = path.with_suffix(".tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


def _fetch_start(cached: pd.DataFrame | None, start: pd.Timestamp, interval: YahooInterval) -> pd.Timestamp:
    if cached is None or cached.empty or cached[TIMESTAMP].min() > start + pd.Timedelta(days=1):
        return start
    # Refetch the last cached bar too: it may have been a partial bar when cached.
    return max(start, cached[TIMESTAMP].max() - pd.Timedelta(interval.value))


def _merge(cached: pd.DataFrame | None, fresh: pd.DataFrame) -> pd.DataFrame:
    if cached is None or cached.empty:
        return fresh
    both = pd.concat([cached, fresh], ignore_index=True)
    return both.drop_duplicates(TIMESTAMP, keep="last").sort_values(TIMESTAMP).reset_index(drop=True)


def _assemble(
    frames: dict[str, pd.DataFrame],
    start: pd.Timestamp,
    end: pd.Timestamp,
    interval: YahooInterval,
    downloaded: list[str],
    from_cache: list[str],
    failed: dict[str, str],
) -> YahooResult:
    parts = []
    for ticker, frame in frames.items():
        window = frame[(frame[TIMESTAMP] >= start) & (frame[TIMESTAMP] <= end)]
        if interval is YahooInterval.HOURLY:
            window = window[window[TIMESTAMP].dt.minute == 0]  # drop Yahoo's live partial bar
        parts.append(window.assign(**{SYMBOL: yahoo_to_symbol(ticker)}))
    usable = [p for p in parts if len(p) >= 2]
    if len(usable) >= MIN_USABLE_SYMBOLS:
        long = pd.concat(usable, ignore_index=True)
        label = "hourly" if interval is YahooInterval.HOURLY else "daily"
        try:
            data = build_market_data(long, source=f"Yahoo Finance ({label}, {len(usable)} tickers)")
            return YahooResult(data, tuple(downloaded), tuple(from_cache), failed, None)
        except ClusterCoreError as exc:
            failed = {**failed, "all": str(exc)}
    sample = load_sample(SampleName.HOURLY if interval is YahooInterval.HOURLY else SampleName.DAILY)
    return YahooResult(sample, tuple(downloaded), tuple(from_cache), failed, "sample")
