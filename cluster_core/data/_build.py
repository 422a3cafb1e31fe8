"""Validate a long price table and build a :class:`MarketData` from it.

Every loader (bundled sample, Yahoo, user file) ends here, so one set of rules applies:

* timestamps are parsed to UTC; unparseable ones are an error;
* prices must be numeric, finite and positive; empty price cells are missing bars;
* rows that repeat a (timestamp, symbol) pair with the same values are collapsed
  (noted); repeats with different values are an error;
* the bar interval is the most common step between consecutive distinct timestamps; a
  symbol whose bars are mostly not one step apart, or bars off the grid, are an error
  ("mixed bar intervals");
* bars are placed on a regular UTC grid; missing bars stay NaN (never filled);

The rows go onto the grid in file order (no sort of the long table): one pass finds the
symbols and the distinct timestamps, a second fills the grid, so a table read in chunks
(:func:`build_market_data_chunked`) never has to be held whole.
* a price jump of two orders of magnitude or more across a gap of three days or
  more is a relisting or redenomination: the earlier life becomes its own symbol
  (``LUNA_OLD``) so no return spans the two;
* symbols that stop trading are kept (no survivorship bias);
* fewer than three symbols with at least two prices is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from cluster_core.data._market import MarketData
from cluster_core.data._schema import (
    CLOSE,
    MAX_GRID_CELLS,
    MAX_INTERVAL,
    MIN_INTERVAL,
    MIN_USABLE_SYMBOLS,
    RELIST_MIN_GAP,
    RELIST_MIN_LOG10_JUMP,
    SYMBOL,
    TIMESTAMP,
    VOLUME_USD,
)
from cluster_core.errors import DataError

__all__ = ["build_market_data", "build_market_data_chunked"]


def build_market_data(long: pd.DataFrame, source: str, notes: tuple[str, ...] = ()) -> MarketData:
    """Validate a long table and return it as :class:`MarketData`.

    Parameters
    ----------
    long : DataFrame
        Columns ``timestamp``, ``symbol``, ``close`` and optionally ``volume_usd``
        (names already normalised). Not modified.
    source : str
        Description of the origin, kept on the result.
    notes : tuple of str, default=()
        Notes from the loader, kept before the ones added here.

    Returns
    -------
    MarketData

    Raises
    ------
    DataError
        When a rule in the module docstring is broken; the message says which
        rows or symbols and how to fix the file.
    """
    rows = [_Rows.parse(long)]
    return _assemble(lambda: rows, source, notes)


def build_market_data_chunked(
    read: Callable[[], Iterable[pd.DataFrame]], source: str, notes: tuple[str, ...] = (),
    keys: Callable[[], tuple[set[str], np.ndarray]] | None = None,
) -> MarketData:
    """Validate a long table read in chunks, never holding it whole, and return it as :class:`MarketData`.

    The same rules as :func:`build_market_data`; memory is the two grids plus one chunk.

    Parameters
    ----------
    read : callable
        Returns an iterable of consecutive chunks of the long table (columns as for
        :func:`build_market_data`). Called twice: once to find the grid (symbols, bar
        interval, first and last bar), once to fill it.
    source : str
        Description of the origin, kept on the result.
    notes : tuple of str, default=()
        Notes from the loader, kept before the ones added here.
    keys : callable, optional
        Returns what the first pass would find, read more cheaply by the caller: every
        symbol (stripped strings) and the distinct timestamps (int64 ns UTC) of the rows with
        a price. ``read`` then runs once (and again only to name a bar off the grid).

    Returns
    -------
    MarketData

    Raises
    ------
    DataError
        As :func:`build_market_data`; row numbers count from the first chunk.
    """

    def chunks() -> Iterator[_Rows]:
        offset = 0
        for frame in read():
            if len(frame):
                if isinstance(frame.index, pd.RangeIndex):  # else the reader numbered the rows itself
                    frame.index = pd.RangeIndex(offset, offset + len(frame))  # row numbers in messages
                offset += len(frame)
                yield _Rows.parse(frame)
        if offset == 0:
            raise DataError("The table has no rows. Load a file with at least one price per row.")

    return _assemble(chunks, source, notes, keys)


def _assemble(chunks: Callable[[], Iterable[_Rows]], source: str, notes: tuple[str, ...],
              keys: Callable[[], tuple[set[str], np.ndarray]] | None = None) -> MarketData:
    notes_out = list(notes)
    symbols, interval, times = _grid_spec(chunks, keys)
    close, volume, n_input, n_rows = _fill_grid(chunks, symbols, interval, times)
    n_empty = n_input - n_rows
    if n_empty:
        notes_out.append(f"Skipped {n_empty} row(s) without a price (treated as missing bars).")
    n_repeats = n_rows - int(close.notna().to_numpy().sum())  # every row has a price
    if n_repeats:
        notes_out.append(f"Collapsed {n_repeats} exact duplicate row(s).")
    _check_steps(close, interval)
    close, volume, relist_notes = _split_relistings(close, volume)
    notes_out.extend(relist_notes)
    usable = close.notna().sum() >= 2
    if usable.sum() < MIN_USABLE_SYMBOLS:
        raise DataError(
            f"Only {int(usable.sum())} symbol(s) have at least two prices; clustering needs at "
            f"least {MIN_USABLE_SYMBOLS}. Add more symbols to the file."
        )
    dropped = sorted(usable.index[~usable])
    if dropped:
        notes_out.append(f"Dropped {len(dropped)} symbol(s) with a single price: {', '.join(dropped[:10])}.")
        close, volume = close.loc[:, usable], volume.loc[:, usable]
    return MarketData(close=close, volume_usd=volume, source=source, notes=tuple(notes_out))


class _Rows:
    """The long table as numpy columns, in file order (never sorted: the rows go straight onto the grid).

    Rows without a price are left out. ``volume`` is None when the table has no volumes.
    """

    def __init__(self, symbols: pd.Index, codes: np.ndarray, ts: np.ndarray, close: np.ndarray,
                 volume: np.ndarray | None, n_input: int) -> None:
        self.symbols, self.codes, self.ts, self.close, self.volume = symbols, codes, ts, close, volume
        self.n_input = n_input  # rows before those without a price were left out

    @classmethod
    def parse(cls, long: pd.DataFrame) -> _Rows:
        """Parse and check the columns; raise :class:`DataError` on the first broken rule."""
        if len(long) == 0:
            raise DataError("The table has no rows. Load a file with at least one price per row.")
        ts = pd.DatetimeIndex(_parse_timestamps(long[TIMESTAMP])).asi8
        codes, symbols = _parse_symbols(long[SYMBOL])
        close = _parse_numbers(long[CLOSE], CLOSE)
        volume = _parse_numbers(long[VOLUME_USD], VOLUME_USD) if VOLUME_USD in long.columns else None
        rows = cls(symbols, codes, ts, close, volume, len(long))
        rows.check_values()
        priced = ~np.isnan(close)
        if not priced.all():
            rows.codes, rows.ts, rows.close = codes[priced], ts[priced], close[priced]
            rows.volume = None if volume is None else volume[priced]
        return rows

    def check_values(self) -> None:
        """Prices finite and positive, volumes finite and >= 0."""
        for mask, rule in ((np.isinf(self.close), "infinite"), (self.close <= 0, "zero or negative")):
            if mask.any():
                i = int(mask.argmax())
                raise DataError(
                    f"Column 'close' has {int(mask.sum())} {rule} price(s) (first: {self.label(i)}: "
                    f"{self.close[i]}). Prices must be positive USD amounts; remove or correct those rows."
                )
        if self.volume is not None:
            bad = np.isinf(self.volume) | (self.volume < 0)
            if bad.any():
                raise DataError(
                    f"Column 'volume_usd' has {int(bad.sum())} negative or infinite value(s) (first: "
                    f"{self.label(int(bad.argmax()))}). Volumes must be >= 0; leave a cell empty if unknown."
                )

    def label(self, i: int) -> str:
        """Row ``i`` as ``SYMBOL at timestamp``."""
        return f"{self.symbols[self.codes[i]]} at {pd.Timestamp(self.ts[i], tz='UTC')}"


def _parse_timestamps(raw: pd.Series) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        parsed = raw.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        parsed = raw.dt.tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        unit = _epoch_unit(raw)
        parsed = pd.to_datetime(raw, unit=unit, utc=True, errors="coerce")
    else:
        text = raw.astype("string").str.strip()
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")  # fast, and the usual format
        retry = parsed.isna() & text.notna()
        if retry.any():  # other layouts, element by element
            parsed[retry] = pd.to_datetime(text[retry], utc=True, errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        rows = list(raw.index[bad][:3])
        examples = ", ".join(f"row {r + 2}: {raw.loc[r]!r}" for r in rows)
        raise DataError(
            f"{int(bad.sum())} timestamp(s) could not be parsed ({examples}). Use ISO 8601 "
            "such as 2023-01-31 14:00:00+00:00, or Unix seconds."
        )
    return parsed.astype("datetime64[ns, UTC]")


def _epoch_unit(raw: pd.Series) -> str:
    biggest = float(np.nanmax(np.abs(raw.to_numpy(dtype=float)))) if len(raw) else 0.0
    if biggest < 1e11:
        return "s"
    return "ms" if biggest < 1e14 else "ns"


def _parse_symbols(raw: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's position in the sorted, stripped symbol labels, and those labels."""
    # Work on the distinct values (a few thousand), not on millions of rows.
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    cleaned = pd.Index(uniques).astype(str).str.strip()
    empty = codes < 0
    if len(cleaned):
        empty |= np.asarray(cleaned == "")[np.maximum(codes, 0)]
    if empty.any():
        row = int(raw.index[empty][0])
        raise DataError(
            f"{int(empty.sum())} row(s) have an empty symbol (first at row {row + 2}). Fill or remove them."
        )
    symbols = pd.Index(cleaned.unique(), name=SYMBOL).sort_values()  # plain labels, not categories
    return symbols.get_indexer(cleaned)[codes], symbols


def _parse_numbers(raw: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.to_numpy(dtype="float64", na_value=np.nan)
    text = raw.astype("string").str.strip()
    parsed = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = parsed.isna() & text.notna() & (text != "")
    if bad.any():
        rows = list(raw.index[bad][:3])
        examples = ", ".join(f"row {r + 2}: {raw.loc[r]!r}" for r in rows)
        raise DataError(
            f"Column '{name}' has {int(bad.sum())} non-numeric value(s) ({examples}). "
            "Use plain numbers with a dot as decimal separator."
        )
    return parsed.to_numpy(dtype="float64", na_value=np.nan)


def _grid_spec(
    chunks: Callable[[], Iterable[_Rows]], keys: Callable[[], tuple[set[str], np.ndarray]] | None = None
) -> tuple[pd.Index, pd.Timedelta, np.ndarray]:
    """Return the sorted symbols, the bar interval and the distinct timestamps (int64 ns) of all chunks.

    The interval is the most common step between consecutive distinct timestamps;
    every bar must sit on its grid. ``keys``, when given, supplies the symbols and
    timestamps instead of a pass over the chunks.
    """
    if keys is not None:
        names, stamps = keys()
    else:
        names, seen = set(), []
        for rows in chunks():
            names.update(rows.symbols)
            seen.append(pd.unique(rows.ts))  # hashing: no sort of millions of rows
        stamps = np.concatenate(seen)
    times = np.sort(pd.unique(stamps))
    if len(times) < 2:
        raise DataError("Every symbol has a single row; at least two bars per symbol are needed.")
    values, counts = np.unique(np.diff(times), return_counts=True)
    step = int(values[counts.argmax()])
    interval = pd.Timedelta(step, unit="ns")
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise DataError(
            f"The bars are {interval} apart; supported intervals run from {MIN_INTERVAL} to "
            f"{MAX_INTERVAL} (hourly and daily are typical). Resample the file."
        )
    off_grid = times[(times - times[0]) % step != 0]
    if len(off_grid):
        n_bars, first = 0, ""
        for rows in chunks():
            between = np.isin(rows.ts, off_grid)
            n_bars += int(between.sum())
            first = first or (rows.label(int(between.argmax())) if between.any() else "")
        raise _mixed(interval, f"{n_bars} bar(s) fall between the {interval} steps (first: {first})")
    return pd.Index(sorted(names), name=SYMBOL), interval, times


def _mixed(interval: pd.Timedelta, detail: str) -> DataError:
    return DataError(
        f"Mixed bar intervals: most bars are {interval} apart but {detail}. "
        "Use one interval for every symbol (for example daily closes only)."
    )


def _fill_grid(
    chunks: Callable[[], Iterable[_Rows]], symbols: pd.Index, interval: pd.Timedelta, times: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Place every row on the regular grid; return close, volume, the rows read and the rows with a price.

    A (timestamp, symbol) cell given twice with different values is an error; exact
    repeats fill the same cell.
    """
    step = interval.value
    start = int(times[0])
    n_bars = (int(times[-1]) - start) // step + 1
    n_symbols = len(symbols)
    if n_bars * n_symbols > MAX_GRID_CELLS:
        raise DataError(
            f"{n_symbols} symbols x {n_bars:,} bars of {interval} is too large to hold in memory "
            f"(limit {MAX_GRID_CELLS:,} cells). Use a coarser interval or fewer symbols."
        )
    # Symbol-major memory (each symbol's bars contiguous): the feature kernels reduce over time.
    close = np.full(n_symbols * n_bars, np.nan)
    volume = np.full(n_symbols * n_bars, np.nan)
    n_input = n_rows = 0
    for rows in chunks():
        n_input, n_rows = n_input + rows.n_input, n_rows + len(rows.ts)
        cell = symbols.get_indexer(rows.symbols)[rows.codes] * np.int64(n_bars)
        cell += (rows.ts - start) // step
        earlier = close[cell]  # cells filled by an earlier chunk must hold the same values
        filled = ~np.isnan(earlier)
        if filled.any():
            _check_repeats(rows, filled, earlier, volume[cell])
        close[cell] = rows.close
        if rows.volume is not None:
            volume[cell] = rows.volume
        _check_repeats(rows, None, close[cell], volume[cell])  # repeats within the chunk: one value won
    grid = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=n_bars, freq=interval, name=TIMESTAMP)
    return (
        pd.DataFrame(close.reshape(n_symbols, n_bars).T, index=grid, columns=symbols, copy=False),
        pd.DataFrame(volume.reshape(n_symbols, n_bars).T, index=grid, columns=symbols.copy(), copy=False),
        n_input,
        n_rows,
    )


def _check_repeats(rows: _Rows, where: np.ndarray | None, close: np.ndarray, volume: np.ndarray) -> None:
    """Raise if a row's price or volume differs from the grid's ``close`` / ``volume`` at its cell.

    ``where`` limits the check to some rows (None: all).
    """
    differs = rows.close != close
    theirs = np.full(len(rows.ts), np.nan) if rows.volume is None else rows.volume
    differs |= (theirs != volume) & ~(np.isnan(theirs) & np.isnan(volume))
    if where is not None:
        differs &= where
    if differs.any():
        conflicts = np.flatnonzero(differs)
        raise DataError(
            f"{len(conflicts)} (timestamp, symbol) pair(s) appear more than once with different values "
            f"(first: {rows.label(int(conflicts[0]))}). Keep one row per symbol and bar."
        )


def _check_steps(close: pd.DataFrame, interval: pd.Timedelta) -> None:
    """Raise if a symbol's bars are mostly not one grid step apart (a daily symbol in an hourly file)."""
    valid = close.notna().to_numpy().T  # symbols x bars, contiguous per symbol
    n_steps = valid.sum(axis=1) - 1
    n_regular = (valid[:, 1:] & valid[:, :-1]).sum(axis=1)
    odd = np.flatnonzero((n_steps > 0) & (n_regular < 0.5 * n_steps))
    if len(odd) == 0:
        return
    times = close.index

    def usual_step(c: int) -> pd.Timedelta:
        return pd.Timedelta(pd.Series(np.diff(times[valid[c]].asi8)).mode().iloc[0], unit="ns")

    names = ", ".join(f"{close.columns[c]} ({usual_step(c)})" for c in odd[:5])
    raise _mixed(interval, f"{len(odd)} symbol(s) use another step: {names}")


def _split_relistings(
    close: pd.DataFrame, volume: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    notes: list[str] = []
    new_close: dict[str, pd.Series] = {}
    new_volume: dict[str, pd.Series] = {}
    for symbol in _relisting_suspects(close):
        prices = close[symbol].dropna()
        if len(prices) < 2:
            continue
        gaps = prices.index.to_series().diff()
        jumps = np.abs(np.log10(prices / prices.shift()))
        cuts = prices.index[(gaps >= RELIST_MIN_GAP) & (jumps >= RELIST_MIN_LOG10_JUMP)]
        if len(cuts) == 0:
            continue
        bounds = [close.index[0], *cuts]
        for life, lo in enumerate(bounds[:-1], start=1):
            hi = bounds[life]
            mask = (close.index >= lo) & (close.index < hi)
            name = _old_name(symbol, life, len(cuts), close.columns)
            new_close[name] = close[symbol].where(mask)
            new_volume[name] = volume[symbol].where(mask)
            before, after = prices[prices.index < hi].iloc[-1], prices.loc[hi]
            gap_days = (hi - prices.index[prices.index < hi][-1]) / pd.Timedelta(days=1)
            ratio = after / before
            move = f"x{ratio:,.0f}" if ratio >= 1 else f"/{1 / ratio:,.0f}"
            notes.append(
                f"{symbol}: price moved {move} across a {gap_days:.0f}-day gap ending "
                f"{hi:%Y-%m-%d}; treated as a relisting. Bars before it are the separate symbol {name}."
            )
        keep = close.index >= cuts[-1]
        close[symbol] = close[symbol].where(keep)
        volume[symbol] = volume[symbol].where(keep)
    if new_close:
        close = pd.concat([close, pd.DataFrame(new_close)], axis=1).sort_index(axis=1)
        volume = pd.concat([volume, pd.DataFrame(new_volume)], axis=1)[close.columns]
        close, volume = symbol_major(close), symbol_major(volume)
        close.columns.name = volume.columns.name = SYMBOL
    return close, volume, notes


def _relisting_suspects(close: pd.DataFrame, block: int = 256) -> list[str]:
    """Symbols with a price jump of ``RELIST_MIN_LOG10_JUMP`` across a gap of ``RELIST_MIN_GAP`` (vectorised).

    The same test as the per-symbol one in :func:`_split_relistings` (consecutive prices,
    missing bars skipped), on blocks of columns, so that loop runs only for the few
    symbols that have such a jump, not for thousands.
    """
    values = close.to_numpy(dtype=np.float64)
    times = pd.DatetimeIndex(close.index).as_unit("ns").asi8
    min_gap = RELIST_MIN_GAP.value  # ns
    suspects = []
    for lo in range(0, values.shape[1], block):
        part = values[:, lo : lo + block]
        valid = ~np.isnan(part)
        last = np.where(valid, np.arange(len(part))[:, None], -1)
        np.maximum.accumulate(last, axis=0, out=last)
        previous = np.vstack([np.full((1, part.shape[1]), -1), last[:-1]])  # the last price strictly before
        gap = valid & (previous >= 0)
        gap &= (times[:, None] - times[np.maximum(previous, 0)]) >= min_gap
        bars, cols = np.nonzero(gap)
        before = part[previous[bars, cols], cols]
        jump = np.abs(np.log10(part[bars, cols] / before)) >= RELIST_MIN_LOG10_JUMP
        suspects.extend(close.columns[lo + np.unique(cols[jump])])
    return suspects


def symbol_major(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` backed by one float64 array with each column's values contiguous."""
    values = np.ascontiguousarray(frame.to_numpy(dtype=np.float64).T)
    return pd.DataFrame(values.T, index=frame.index, columns=frame.columns, copy=False)


def _old_name(symbol: str, life: int, n_cuts: int, taken: pd.Index) -> str:
    name = f"{symbol}_OLD" if n_cuts == 1 else f"{symbol}_OLD{life}"
    while name in taken:
        name += "_"
    return name
