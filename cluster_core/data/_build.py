"""Validate a long price table and build a :class:`MarketData` from it.

Every loader (bundled sample, Yahoo, user file) ends here, so one set of rules applies:

* timestamps are parsed to UTC; unparseable ones are an error;
* prices must be numeric, finite and positive; empty price cells are missing bars;
* rows that repeat a (timestamp, symbol) pair with the same values are collapsed
  (noted); repeats with different values are an error;
* the bar interval is the most common step; a symbol on another step, or bars off
  the grid, are an error ("mixed bar intervals");
* bars are placed on a regular UTC grid; missing bars stay NaN (never filled);
* a price jump of two orders of magnitude or more across a gap of three days or
  more is a relisting or redenomination: the earlier life becomes its own symbol
  (``LUNA_OLD``) so no return spans the two;
* symbols that stop trading are kept (no survivorship bias);
* fewer than three symbols with at least two prices is an error.
"""

from __future__ import annotations

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

__all__ = ["build_market_data"]


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
    notes_out = list(notes)
    clean = _clean_columns(long)
    n_empty = len(long) - len(clean)
    if n_empty:
        notes_out.append(f"Skipped {n_empty} row(s) without a price (treated as missing bars).")
    rows = _Sorted(clean)
    dup_note = _drop_duplicates(rows)
    if dup_note:
        notes_out.append(dup_note)
    interval = _infer_interval(rows)
    close, volume = _to_grid(rows, interval)
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


def _clean_columns(long: pd.DataFrame) -> pd.DataFrame:
    if len(long) == 0:
        raise DataError("The table has no rows. Load a file with at least one price per row.")
    out = pd.DataFrame(
        {
            TIMESTAMP: _parse_timestamps(long[TIMESTAMP]),
            SYMBOL: _parse_symbols(long[SYMBOL]),
            CLOSE: _parse_numbers(long[CLOSE], CLOSE),
        }
    )
    if VOLUME_USD in long.columns:
        out[VOLUME_USD] = _parse_numbers(long[VOLUME_USD], VOLUME_USD)
    else:
        out[VOLUME_USD] = np.nan
    _check_values(out)
    return out[out[CLOSE].notna()].reset_index(drop=True)


def _parse_timestamps(raw: pd.Series) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        return raw.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        unit = _epoch_unit(raw)
        parsed = pd.to_datetime(raw, unit=unit, utc=True, errors="coerce")
    else:
        parsed = pd.to_datetime(raw.astype("string").str.strip(), utc=True, errors="coerce", format="mixed")
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


def _parse_symbols(raw: pd.Series) -> pd.Series:
    # Work on the distinct values (a few hundred), not on millions of rows.
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
    merged, categories = pd.factorize(cleaned)
    return pd.Series(pd.Categorical.from_codes(merged[codes], categories=categories), index=raw.index)


def _parse_numbers(raw: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("float64")
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
    return parsed


def _check_values(frame: pd.DataFrame) -> None:
    close = frame[CLOSE]
    for mask, rule in (
        (np.isinf(close), "infinite"),
        (close <= 0, "zero or negative"),
    ):
        if mask.any():
            first = frame.loc[mask].iloc[0]
            raise DataError(
                f"Column 'close' has {int(mask.sum())} {rule} price(s) (first: {first[SYMBOL]} at "
                f"{first[TIMESTAMP]}: {first[CLOSE]}). Prices must be positive USD amounts; "
                "remove or correct those rows."
            )
    volume = frame[VOLUME_USD]
    bad_volume = np.isinf(volume) | (volume < 0)
    if bad_volume.any():
        first = frame.loc[bad_volume].iloc[0]
        raise DataError(
            f"Column 'volume_usd' has {int(bad_volume.sum())} negative or infinite value(s) (first: "
            f"{first[SYMBOL]} at {first[TIMESTAMP]}). Volumes must be >= 0; leave a cell empty if unknown."
        )


class _Sorted:
    """The long table as numpy arrays sorted by (symbol, timestamp)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        codes, symbols = pd.factorize(frame[SYMBOL], sort=True)
        ts = pd.DatetimeIndex(frame[TIMESTAMP]).as_unit("ns").asi8
        step_code, step_ts = np.diff(codes), np.diff(ts)
        if ((step_code > 0) | ((step_code == 0) & (step_ts > 0))).all():
            order = np.arange(len(ts))  # already sorted by (symbol, timestamp), as the bundled files are
        else:
            order = np.lexsort((ts, codes))
        self.symbols = pd.Index([str(s) for s in symbols], name=SYMBOL)  # plain labels, not categories
        self.codes = codes[order]
        self.ts = ts[order]
        self.close = frame[CLOSE].to_numpy(dtype="float64")[order]
        self.volume = frame[VOLUME_USD].to_numpy(dtype="float64")[order]
        self.same_symbol = self.codes[1:] == self.codes[:-1]

    def label(self, i: int) -> str:
        return f"{self.symbols[self.codes[i]]} at {pd.Timestamp(self.ts[i], tz='UTC')}"


def _drop_duplicates(rows: _Sorted) -> str:
    repeat = np.flatnonzero(rows.same_symbol & (rows.ts[1:] == rows.ts[:-1])) + 1
    if len(repeat) == 0:
        return ""
    same = (rows.close[repeat] == rows.close[repeat - 1]) & (
        (rows.volume[repeat] == rows.volume[repeat - 1])
        | (np.isnan(rows.volume[repeat]) & np.isnan(rows.volume[repeat - 1]))
    )
    if not same.all():
        conflicts = repeat[~same]
        raise DataError(
            f"{len(conflicts)} (timestamp, symbol) pair(s) appear more than once with different values "
            f"(first: {rows.label(int(conflicts[0]))}). Keep one row per symbol and bar."
        )
    keep = np.ones(len(rows.ts), dtype=bool)
    keep[repeat] = False
    for name in ("codes", "ts", "close", "volume"):
        setattr(rows, name, getattr(rows, name)[keep])
    rows.same_symbol = rows.codes[1:] == rows.codes[:-1]
    return f"Collapsed {len(repeat)} exact duplicate row(s)."


def _infer_interval(rows: _Sorted) -> pd.Timedelta:
    steps = (rows.ts[1:] - rows.ts[:-1])[rows.same_symbol]
    if len(steps) == 0:
        raise DataError("Every symbol has a single row; at least two bars per symbol are needed.")
    values, counts = np.unique(steps, return_counts=True)
    step = int(values[counts.argmax()])
    interval = pd.Timedelta(step, unit="ns")
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise DataError(
            f"The bars are {interval} apart; supported intervals run from {MIN_INTERVAL} to "
            f"{MAX_INTERVAL} (hourly and daily are typical). Resample the file."
        )
    step_codes = rows.codes[1:][rows.same_symbol]
    n_steps = np.bincount(step_codes, minlength=len(rows.symbols))
    n_regular = np.bincount(step_codes, weights=steps == step, minlength=len(rows.symbols))
    odd = np.flatnonzero((n_steps > 0) & (n_regular < 0.5 * n_steps))
    off_grid = np.flatnonzero((rows.ts - rows.ts.min()) % step != 0)
    if len(odd):
        names = ", ".join(
            f"{rows.symbols[c]} ({pd.Timedelta(int(pd.Series(steps[step_codes == c]).mode().iloc[0]), unit='ns')})"
            for c in odd[:5]
        )
        detail = f"{len(odd)} symbol(s) use another step: {names}"
    elif len(off_grid):
        detail = f"{len(off_grid)} bar(s) fall between the {interval} steps (first: {rows.label(int(off_grid[0]))})"
    else:
        return interval
    raise DataError(
        f"Mixed bar intervals: most bars are {interval} apart but {detail}. "
        "Use one interval for every symbol (for example daily closes only)."
    )


def _to_grid(rows: _Sorted, interval: pd.Timedelta) -> tuple[pd.DataFrame, pd.DataFrame]:
    step = interval.value
    start, end = int(rows.ts.min()), int(rows.ts.max())
    n_bars = (end - start) // step + 1
    n_symbols = len(rows.symbols)
    if n_bars * n_symbols > MAX_GRID_CELLS:
        raise DataError(
            f"{n_symbols} symbols x {n_bars:,} bars of {interval} is too large to hold in memory "
            f"(limit {MAX_GRID_CELLS:,} cells). Use a coarser interval or fewer symbols."
        )
    grid = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=n_bars, freq=interval, name=TIMESTAMP)
    position = (rows.ts - start) // step
    # Symbol-major memory (each symbol's bars contiguous): the feature kernels reduce over time.
    close = np.full((n_symbols, n_bars), np.nan)
    volume = np.full((n_symbols, n_bars), np.nan)
    close[rows.codes, position] = rows.close
    volume[rows.codes, position] = rows.volume
    return (
        pd.DataFrame(close.T, index=grid, columns=rows.symbols, copy=False),
        pd.DataFrame(volume.T, index=grid, columns=rows.symbols.copy(), copy=False),
    )


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


def _relisting_suspects(close: pd.DataFrame, block: int = 1000) -> list[str]:
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
