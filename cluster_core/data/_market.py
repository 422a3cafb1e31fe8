"""The :class:`MarketData` value: wide close prices and USD volumes on a regular UTC grid."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from cluster_core.data._schema import DAYS_PER_YEAR
from cluster_core.errors import DataError, ParameterError

__all__ = ["MarketData", "COVERAGE_COLUMNS"]

COVERAGE_COLUMNS = (
    "symbol",
    "first_bar",
    "last_bar",
    "bars",
    "missing_bars",
    "coverage",
    "status",
    "last_close",
    "avg_daily_volume_usd",
)


@dataclass(frozen=True, eq=False)
class MarketData:
    """Close prices and USD volumes of many symbols on one regular bar grid.

    Parameters
    ----------
    close : DataFrame of shape (n_bars, n_symbols)
        Close prices in USD, float64, index a regular UTC ``DatetimeIndex`` (one row per
        bar, missing bars are rows of NaN), columns the symbols. Never filled.
    volume_usd : DataFrame of shape (n_bars, n_symbols)
        Traded volume in USD per bar, same index and columns; NaN where unknown.
    source : str, default="unknown"
        Human-readable description of where the data came from.
    notes : tuple of str, default=()
        Treatments applied while loading (duplicates collapsed, relistings split,
        tickers that failed to download); shown to the user.

    Examples
    --------
    >>> from cluster_core.data import load_sample
    >>> md = load_sample("daily")
    >>> md.bars_per_year
    365.0
    """

    close: pd.DataFrame
    volume_usd: pd.DataFrame
    source: str = "unknown"
    notes: tuple[str, ...] = field(default=())

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols in column order."""
        return tuple(self.close.columns)

    @property
    def n_symbols(self) -> int:
        """Number of symbols."""
        return self.close.shape[1]

    @property
    def n_bars(self) -> int:
        """Number of bars on the grid, missing ones included."""
        return self.close.shape[0]

    @property
    def start(self) -> pd.Timestamp:
        """First bar."""
        return self.close.index[0]

    @property
    def end(self) -> pd.Timestamp:
        """Last bar."""
        return self.close.index[-1]

    @cached_property
    def interval(self) -> pd.Timedelta:
        """Bar interval, the step of the regular grid."""
        if self.n_bars < 2:
            return pd.Timedelta(days=1)
        return pd.Timedelta(self.close.index[1] - self.close.index[0])

    @property
    def bars_per_year(self) -> float:
        """Bars in 365 days: 8,760 for hourly bars, 365 for daily ones (crypto trades 24/7)."""
        return pd.Timedelta(days=DAYS_PER_YEAR) / self.interval

    @property
    def span_days(self) -> float:
        """Days from the first bar to the last one, plus one bar."""
        return (self.end - self.start + self.interval) / pd.Timedelta(days=1)

    @property
    def interval_label(self) -> str:
        """``"hourly"``, ``"daily"`` or the interval itself."""
        names = {pd.Timedelta(hours=1): "hourly", pd.Timedelta(days=1): "daily"}
        return names.get(self.interval, str(self.interval))

    @cached_property
    def fingerprint(self) -> str:
        """A short content hash, usable as a cache key."""
        digest = hashlib.blake2b(digest_size=12)
        digest.update(np.ascontiguousarray(self.close.to_numpy()).tobytes())
        digest.update(np.ascontiguousarray(self.volume_usd.to_numpy()).tobytes())
        digest.update(np.asarray(self.close.index.asi8).tobytes())
        digest.update("\x1f".join(self.symbols).encode())
        return digest.hexdigest()

    def between(self, start: object = None, end: object = None) -> MarketData:
        """Return the bars with ``start <= timestamp <= end`` (either bound optional).

        Raises
        ------
        DataError
            If no bar falls in the range.
        """
        lo = None if start is None else _utc(start, "start")
        hi = None if end is None else _utc(end, "end")
        close = self.close.loc[lo:hi]
        if close.empty:
            raise DataError(
                f"No bar between {lo} and {hi}; the data covers {self.start} to {self.end}."
            )
        return self._replace(close=close, volume_usd=self.volume_usd.loc[close.index])

    def select(self, symbols: list[str] | tuple[str, ...]) -> MarketData:
        """Return the given symbols, in the given order.

        Raises
        ------
        ParameterError
            If a symbol is unknown (the message lists them).
        """
        unknown = [s for s in symbols if s not in self.close.columns]
        if unknown:
            raise ParameterError(
                f"`symbols` has {len(unknown)} symbol(s) not in the data: {', '.join(unknown[:10])}."
            )
        cols = list(dict.fromkeys(symbols))
        return self._replace(close=self.close[cols], volume_usd=self.volume_usd[cols])

    def require_history(self, lookback_days: float) -> None:
        """Raise :class:`DataError` if the data spans fewer days than ``lookback_days``."""
        if self.span_days + 1e-9 < lookback_days:
            raise DataError(
                f"The data covers {self.span_days:.0f} days ({self.start:%Y-%m-%d} to "
                f"{self.end:%Y-%m-%d}) but the lookback is {lookback_days:g} days. "
                "Shorten the lookback or load a longer history."
            )

    def coverage(self) -> pd.DataFrame:
        """Per-symbol coverage of the grid.

        Returns
        -------
        DataFrame
            One row per symbol with columns :data:`COVERAGE_COLUMNS`: first and last
            bar with a price, bars with a price, missing bars between those two,
            coverage = bars / (bars + missing_bars), status (``active``, ``ended``
            when the last price is more than 2 days before the data's end, ``late``
            when the first price is more than 2 days after its start), last close and
            mean daily USD volume (sum of a day's bars, averaged over days with bars).
        """
        valid = self.close.notna().to_numpy()
        index = self.close.index
        has_any = valid.any(axis=0)
        first_pos = np.where(has_any, valid.argmax(axis=0), 0)
        last_pos = np.where(has_any, len(index) - 1 - valid[::-1].argmax(axis=0), 0)
        bars = valid.sum(axis=0)
        span = np.where(has_any, last_pos - first_pos + 1, 0)
        first = pd.Series(index[first_pos], index=self.close.columns).where(has_any)
        last = pd.Series(index[last_pos], index=self.close.columns).where(has_any)
        slack = pd.Timedelta(days=2)
        status = np.where(last < self.end - slack, "ended", np.where(first > self.start + slack, "late", "active"))
        daily = self.volume_usd.resample("1D").sum(min_count=1)
        return pd.DataFrame(
            {
                "symbol": self.close.columns,
                "first_bar": first.to_numpy(),
                "last_bar": last.to_numpy(),
                "bars": bars,
                "missing_bars": span - bars,
                "coverage": np.divide(bars, span, out=np.zeros(len(bars)), where=span > 0),
                "status": status,
                "last_close": self.close.ffill().iloc[-1].to_numpy(),
                "avg_daily_volume_usd": daily.mean().to_numpy(),
            }
        ).reset_index(drop=True)

    def _replace(self, **changes: object) -> MarketData:
        values = {"close": self.close, "volume_usd": self.volume_usd, "source": self.source, "notes": self.notes}
        values.update(changes)
        return MarketData(**values)  # type: ignore[arg-type]


def _utc(value: object, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"`{name}` must be a date or timestamp; got {value!r}.") from None
    if ts is pd.NaT:
        raise ParameterError(f"`{name}` must be a date or timestamp; got {value!r}.")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
