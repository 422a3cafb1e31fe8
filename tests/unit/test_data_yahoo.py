"""The yfinance path, against frames of exactly the shape ``yf.download`` returns.

The frames are produced by yfinance's own ``download`` with only the network call
(``Ticker.history``) replaced, so the column layout, index name and time zone are
the library's, for one ticker and for several.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
import yfinance as yf

from cluster_core.data import load_yahoo, parse_yahoo_frame, symbol_to_yahoo, yahoo_to_symbol
from cluster_core.errors import ParameterError

END = pd.Timestamp("2023-12-31", tz="UTC")


def _history_from(hourly, down: set[str] = frozenset(), raise_for: set[str] = frozenset()):
    """A stand-in for ``yf.Ticker.history`` that serves the bundled closes."""

    def history(self, period=None, interval="1d", start=None, end=None, **kwargs):
        ticker = self.ticker
        if ticker in raise_for:
            raise ConnectionError("Could not resolve host: query2.finance.yahoo.com")
        symbol = yahoo_to_symbol(ticker)
        if ticker in down or symbol not in hourly.symbols:
            return pd.DataFrame()
        part = hourly.close[symbol].loc["2023-10-01":"2023-12-30"].dropna()
        volume = hourly.volume_usd[symbol].reindex(part.index)
        if interval == "1d":
            part, volume = part.resample("1D").last().dropna(), volume.resample("1D").sum()
            index = part.index.tz_localize(None).rename("Date")
        else:
            index = part.index.rename("Datetime")
        frame = pd.DataFrame(
            {"Open": part.to_numpy(), "High": part.to_numpy(), "Low": part.to_numpy(),
             "Close": part.to_numpy(), "Volume": volume.reindex(part.index).fillna(0).to_numpy()},
            index=index.tz_localize("UTC") if interval == "1d" else index,
        )
        return frame

    return history


def recorded_download(hourly, tickers, interval="1h", **kw):
    with mock.patch.object(yf.Ticker, "history", _history_from(hourly, **kw)):
        return yf.download(tickers, start="2023-10-01", end="2023-12-31", interval=interval, progress=False, threads=False)


def offline_download(tickers, **_):
    """What yf.download returns with no network: an empty frame, errors only logged."""
    with mock.patch.object(yf.Ticker, "history", side_effect=ConnectionError("DNS")):
        return yf.download(tickers, period="5d", progress=False, threads=False)


def test_recorded_frame_shapes_are_yfinance_own(hourly):
    one = recorded_download(hourly, "BTC-USD")
    several = recorded_download(hourly, ["BTC-USD", "ETH-USD", "SOL-USD"])
    daily = recorded_download(hourly, ["BTC-USD", "ETH-USD"], interval="1d")
    offline = offline_download(["BTC-USD", "ETH-USD"])
    assert isinstance(one.columns, pd.MultiIndex) and one.columns.names == ["Price", "Ticker"]
    assert set(several.columns.get_level_values("Ticker")) == {"BTC-USD", "ETH-USD", "SOL-USD"}
    assert str(several.index.tz) == "UTC" and several.index.name == "Datetime"
    assert daily.index.tz is None and daily.index.name == "Date"
    assert offline.empty and isinstance(offline.columns, pd.MultiIndex)


@pytest.mark.parametrize("tickers", [["BTC-USD"], ["BTC-USD", "ETH-USD", "SOL-USD"]])
def test_parse_single_and_multi_ticker_frames(hourly, tickers):
    frame = recorded_download(hourly, tickers)
    parsed = parse_yahoo_frame(frame, "BTC-USD")
    expected = hourly.close["BTC"].loc["2023-10-01":"2023-12-30"].dropna()
    assert len(parsed) == len(expected)
    np.testing.assert_allclose(parsed["close"].to_numpy(), expected.to_numpy())
    assert str(parsed["timestamp"].dt.tz) == "UTC"


def test_parse_daily_naive_index_is_utc(hourly):
    parsed = parse_yahoo_frame(recorded_download(hourly, ["ETH-USD", "BTC-USD"], interval="1d"), "ETH-USD")
    assert parsed["timestamp"].iloc[0] == pd.Timestamp("2023-10-01", tz="UTC")


def test_parse_flat_and_ticker_first_layouts(hourly):
    frame = recorded_download(hourly, ["BTC-USD", "ETH-USD"])
    ticker_first = frame.swaplevel(0, 1, axis=1)
    flat = frame.xs("ETH-USD", axis=1, level="Ticker")
    a = parse_yahoo_frame(ticker_first, "ETH-USD")
    b = parse_yahoo_frame(flat, "ETH-USD")
    pd.testing.assert_frame_equal(a, b)


def test_parse_offline_and_missing_ticker_give_empty(hourly):
    assert parse_yahoo_frame(offline_download(["BTC-USD"]), "BTC-USD").empty
    assert parse_yahoo_frame(recorded_download(hourly, ["BTC-USD"]), "ETH-USD").empty
    assert parse_yahoo_frame(None, "BTC-USD").empty


def _downloader(hourly, **kw):
    calls: list[tuple[str, dict]] = []

    def download(ticker, **kwargs):
        calls.append((ticker, kwargs))
        return recorded_download(hourly, ticker, interval=kwargs.get("interval", "1h"), **kw)

    return download, calls


def test_load_yahoo_maps_tickers_reports_progress_and_caches(hourly, tmp_path):
    download, calls = _downloader(hourly)
    seen = []
    result = load_yahoo(
        ["BTC-USD", "ETH", "SOL-USD"], days=60, end=END, cache_dir=tmp_path, downloader=download,
        progress=lambda *a: seen.append(a), sleep=lambda s: None,
    )
    assert result.fallback is None and not result.failed
    assert result.data.symbols == ("BTC", "ETH", "SOL")
    assert result.data.interval == pd.Timedelta(hours=1)
    assert seen == [(1, 3, "BTC-USD", "downloaded"), (2, 3, "ETH-USD", "downloaded"), (3, 3, "SOL-USD", "downloaded")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["BTC-USD_1h.parquet", "ETH-USD_1h.parquet", "SOL-USD_1h.parquet"]
    assert result.data.start >= END - pd.Timedelta(days=60)


def test_cache_is_refreshed_incrementally(hourly, tmp_path):
    download, calls = _downloader(hourly)
    load_yahoo(["BTC", "ETH", "SOL"], days=60, end=END, cache_dir=tmp_path, downloader=download, sleep=lambda s: None)
    calls.clear()
    load_yahoo(["BTC", "ETH", "SOL"], days=60, end=END, cache_dir=tmp_path, downloader=download, sleep=lambda s: None)
    last_cached = pd.read_parquet(tmp_path / "BTC-USD_1h.parquet")["timestamp"].max()
    assert calls[0][1]["start"] == (last_cached - pd.Timedelta(hours=1)).tz_localize(None)


def test_partial_failure_is_reported_per_ticker(hourly, tmp_path):
    download, calls = _downloader(hourly, down={"ETH-USD"})
    result = load_yahoo(
        ["BTC", "ETH", "SOL", "XRP"], days=60, end=END, cache_dir=tmp_path, downloader=download,
        retries=2, sleep=lambda s: None,
    )
    assert result.fallback is None
    assert set(result.failed) == {"ETH-USD"}
    assert "ETH" not in result.data.symbols and result.data.n_symbols == 3
    assert [t for t, _ in calls].count("ETH-USD") == 3  # one try and two retries
    assert any("ETH-USD" in m and "failed" in m for m in result.messages)


def test_retries_back_off_exponentially(hourly):
    recorded, _ = _downloader(hourly)

    def download(ticker, **kwargs):
        if ticker == "ETH-USD":
            raise ConnectionError("Could not resolve host: query2.finance.yahoo.com")
        return recorded(ticker, **kwargs)

    delays: list[float] = []
    result = load_yahoo(["BTC", "ETH", "SOL", "XRP"], days=60, end=END, downloader=download,
                        retries=3, backoff=0.5, sleep=delays.append)
    assert delays == [0.5, 1.0, 2.0]
    assert result.failed["ETH-USD"].startswith("ConnectionError")


def test_offline_falls_back_to_cache_then_to_bundled_sample(hourly, tmp_path):
    download, _ = _downloader(hourly)
    load_yahoo(["BTC", "ETH", "SOL"], days=60, end=END, cache_dir=tmp_path, downloader=download, sleep=lambda s: None)
    offline_calls = []

    def offline(ticker, **kw):
        offline_calls.append(ticker)
        return offline_download([ticker])

    cached = load_yahoo(["BTC", "ETH", "SOL"], days=60, end=END, cache_dir=tmp_path, downloader=offline, sleep=lambda s: None)
    assert cached.fallback is None
    assert cached.from_cache == ("BTC-USD", "ETH-USD", "SOL-USD")
    assert cached.data.symbols == ("BTC", "ETH", "SOL")
    assert any("local cache" in m for m in cached.messages)

    offline_calls.clear()
    nothing = load_yahoo(["ADA", "DOT", "LINK", "AVAX"], days=60, end=END, cache_dir=tmp_path, downloader=offline,
                         retries=1, sleep=lambda s: None)
    assert nothing.fallback == "sample"
    assert nothing.data.source.startswith("bundled Binance sample (hourly)")
    assert nothing.failed["LINK-USD"] == "Yahoo unreachable"
    assert offline_calls == ["ADA-USD", "ADA-USD", "DOT-USD", "DOT-USD"]  # gave up after two tickers
    assert "could not be reached" in nothing.messages[0]


def test_real_yfinance_download_offline_falls_back(monkeypatch):
    monkeypatch.setattr(yf.Ticker, "history", mock.Mock(side_effect=ConnectionError("DNS")))
    result = load_yahoo(["BTC", "ETH", "SOL"], days=400, retries=0, sleep=lambda s: None)
    assert result.fallback == "sample"
    assert result.data.interval_label == "hourly"


def test_long_history_switches_to_daily_bars(hourly):
    download, calls = _downloader(hourly)
    result = load_yahoo(["BTC", "ETH", "SOL"], days=900, end=END, downloader=download, sleep=lambda s: None)
    assert calls[0][1]["interval"] == "1d"
    assert result.data.bars_per_year == 365


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tickers": []}, "`tickers` is empty"),
        ({"tickers": ["BTC USD!"]}, "malformed ticker"),
        ({"days": 0}, r"`days` must be an int in \[1, 3650\]; got 0"),
        ({"days": 900, "interval": "1h"}, "last 730 days only"),
        ({"interval": "5m"}, "`interval` must be one of '1h', '1d'"),
        ({"retries": -1}, "`retries`"),
    ],
)
def test_bad_parameters(kwargs, message):
    args = {"tickers": ["BTC", "ETH", "SOL"], **kwargs}
    with pytest.raises(ParameterError, match=message):
        load_yahoo(**args, downloader=lambda *a, **k: None, sleep=lambda s: None)


@pytest.mark.parametrize(
    ("ticker", "symbol"),
    [("BTC-USD", "BTC"), ("uni7083-usd", "UNI"), ("1INCH-USD", "1INCH"), ("ETH", "ETH"), ("SHIB-USDT", "SHIB")],
)
def test_ticker_mapping(ticker, symbol):
    assert yahoo_to_symbol(ticker) == symbol


def test_symbol_to_yahoo():
    assert symbol_to_yahoo("btc") == "BTC-USD"
    assert symbol_to_yahoo("BTC-EUR") == "BTC-EUR"
