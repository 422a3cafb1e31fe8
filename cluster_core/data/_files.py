"""Read a user's CSV or Parquet file (long or wide format) into :class:`MarketData`."""

from __future__ import annotations

import difflib
import io
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from cluster_core._typing import PathArg
from cluster_core.data._build import build_market_data, build_market_data_chunked
from cluster_core.data._market import MarketData
from cluster_core.data._schema import ALIASES, CLOSE, SYMBOL, TIMESTAMP, VOLUME_USD
from cluster_core.errors import DataError

__all__ = ["load_file", "read_table"]

T = TypeVar("T")
_PARQUET_MAGIC = b"PAR1"


def load_file(
    source: PathArg | bytes, name: str | None = None, *, until: pd.Timestamp | None = None,
    last_days: float | None = None,
) -> MarketData:
    """Load a CSV or Parquet file, or a folder of Parquet files, in the long or wide format of DESIGN.md.

    Long: columns ``timestamp``, ``symbol``, ``close`` and optionally ``volume_usd``.
    Wide: a ``timestamp`` column plus one close column per symbol (no volumes).
    Column names are matched case-insensitively, with common aliases (``date``,
    ``ticker``, ``price``...).

    Parquet (a file, or a folder of files such as a Hive-partitioned dataset
    ``symbol=BTC/part-0.parquet`` or ``month=2024-01/...``) is read column-wise with
    pyarrow: only the contract's columns, and with ``until`` / ``last_days`` only the
    rows of that time range (the filter is pushed into the scan, so row groups and files
    outside it are skipped). A CSV is read with pyarrow's multithreaded parser in blocks
    (separator and encoding sniffed from its first lines; ISO 8601 timestamps parsed in
    the reader, Unix seconds as numbers), with the same time range applied to each block,
    so there is no size limit on either. A CSV the fast parser cannot take (a stray text
    in a number column, an odd date format) is read again by pandas' tolerant parser,
    whose messages name the bad rows.

    Parameters
    ----------
    source : path or bytes
        The file or folder, or a file's raw bytes (an upload).
    name : str, optional
        Display name for messages; defaults to the file name.
    until : Timestamp, optional
        Parquet paths: read bars up to this time only.
    last_days : float, optional
        Parquet paths: read only the last ``last_days`` days up to ``until`` (or up to the
        last bar of the data), e.g. a lookback window and a margin. CSV files too, when
        their timestamps are ISO 8601 (a format pyarrow reads).

    Returns
    -------
    MarketData

    Raises
    ------
    DataError
        Empty, binary or unreadable file; missing columns; any rule of
        :func:`cluster_core.data.build_market_data`.
    """
    if not isinstance(source, (bytes, bytearray)):
        path = Path(source)
        if path.is_dir() or (path.is_file() and _is_parquet(path)):
            label = name or path.name
            read, keys, layout = _parquet_chunks(path, label, until, last_days)
            kind = "folder" if path.is_dir() else "file"
            return build_market_data_chunked(read, source=f"{kind} {label} ({layout} format)", keys=keys)
    label = name or ("upload" if isinstance(source, (bytes, bytearray)) else Path(source).name)
    if not isinstance(source, (bytes, bytearray)) and not Path(source).is_file():
        raise DataError(f"File not found: {Path(source)}. Check the path.")
    fast = _csv_chunks(source, label, until, last_days)
    if fast is not None:
        read, keys, layout = fast
        try:
            return build_market_data_chunked(read, source=f"file {label} ({layout} format)", keys=keys)
        except _SlowPath:
            pass  # the tolerant parser below reads it again and names the bad rows
    raw, label = _read_bytes(source, name)
    table = read_table(raw, label)
    long, layout = _to_long(table, label)
    return build_market_data(long, source=f"file {label} ({layout} format)")


CSV_BLOCK_BYTES = 2 * 2**20  # CSV bytes parsed at a time (memory: the grid plus one block; larger is slower here)
# Up to this size a CSV is parsed once, on every core, and kept as Arrow columns (about 0.7x the
# file) for the reader's passes: 0.5-0.8 s for 153 MB against 2.1-2.4 s for two block-by-block
# passes; a larger file is read block by block in each pass, so memory stays at one block.
CSV_WHOLE_BYTES = 512 * 2**20
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"


class _SlowPath(Exception):  # noqa: N818  a signal, not an error: the fast CSV parser cannot take this file
    """Raised inside the fast CSV reader; :func:`load_file` then uses pandas' tolerant parser."""


def _sniff(head: bytes) -> tuple[str, str] | None:
    """Return the (delimiter, encoding) of a CSV from its first bytes, or None if it is not plain text CSV."""
    import csv

    if not head.strip() or head[:4] == _PARQUET_MAGIC or b"\x00" in head[:8192]:
        return None  # empty, Parquet bytes or binary: read_table gives the message
    lines = head.splitlines(keepends=True)
    text_bytes = b"".join(lines[:-1]) if len(lines) > 1 and len(head) >= _SNIFF_BYTES else head  # whole lines
    encoding = "utf8"
    try:
        text = text_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        encoding, text = "latin-1", text_bytes.decode("latin-1")
    try:
        delimiter = csv.Sniffer().sniff(text[:20_000], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    return delimiter, encoding


def _csv_chunks(
    source: PathArg | bytes, label: str, until: pd.Timestamp | None, last_days: float | None
) -> tuple[Callable[[], Iterator[pd.DataFrame]], Callable[[], tuple[set[str], np.ndarray]] | None, str] | None:
    """Return a block reader of a CSV in long-format chunks, a reader of its grid keys, and the layout.

    None when the bytes are not plain CSV (empty, binary, Parquet): :func:`read_table`
    then gives the message. The readers raise :class:`_SlowPath` where pyarrow cannot
    parse a block (pandas' parser then reads the whole file and names the bad rows).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    if isinstance(source, (bytes, bytearray)):
        head = bytes(source[:_SNIFF_BYTES])
    else:
        with Path(source).open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    sniffed = _sniff(head)
    if sniffed is None:
        return None
    delimiter, encoding = sniffed

    size = len(source) if isinstance(source, (bytes, bytearray)) else Path(source).stat().st_size
    whole: list[pa.Table] = []  # a file up to CSV_WHOLE_BYTES, parsed once by every core; the passes reuse it
    all_types: dict[str, pa.DataType] = {}  # the column types, known after the first block

    def options(columns: list[str] | None, types: dict[str, pa.DataType] | None, block_size: int) -> dict:
        return {"read_options": pacsv.ReadOptions(block_size=block_size, encoding=encoding),
                "parse_options": pacsv.ParseOptions(delimiter=delimiter),
                "convert_options": pacsv.ConvertOptions(include_columns=columns, column_types=types,
                                                        timestamp_parsers=[pacsv.ISO8601])}

    def opened() -> object:
        return pa.BufferReader(bytes(source)) if isinstance(source, (bytes, bytearray)) else str(source)

    def stream(columns: list[str] | None = None, types: dict[str, pa.DataType] | None = None,
               block_size: int = CSV_BLOCK_BYTES, first_block: bool = False) -> Iterator:
        try:
            if size > CSV_WHOLE_BYTES or first_block:  # block by block: memory stays at one block
                yield from pacsv.open_csv(opened(), **options(columns, types, block_size))
                return
            if not whole:  # every column, typed as the reader's passes ask
                whole.append(pacsv.read_csv(opened(), **options(None, all_types, block_size)))
            yield from whole[0].select(columns or whole[0].schema.names).to_batches()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
            raise _SlowPath(str(exc)) from None

    try:
        first = next(stream(block_size=_SNIFF_BYTES * 16, first_block=True), None)  # the header, the first types
    except _SlowPath:
        return None
    if first is None:
        return None
    names = pd.Index(first.schema.names)
    mapping = _canonical_names(names)
    by_name = {canonical: str(col) for col, canonical in mapping.items()}
    time_column = by_name.get(TIMESTAMP)
    if time_column is None or (SYMBOL in by_name and CLOSE not in by_name):
        return None  # read_table + _to_long give the message
    is_long = SYMBOL in by_name
    types = {by_name[c]: pa.float64() for c in (CLOSE, VOLUME_USD) if c in by_name and is_long}
    if is_long:
        types[by_name[SYMBOL]] = pa.string()
    else:
        types.update({str(c): pa.float64() for c in names if str(c) != time_column})
    time_type = first.schema.field(time_column).type
    typed = pa.types.is_timestamp(time_type)
    if typed:
        types[time_column] = time_type  # every block as the first: a later block that differs goes the slow way
    all_types.update(types)

    def utc_ns(times: pa.Array) -> pa.Array:
        return pc.cast(times, pa.timestamp("ns", time_type.tz)).cast(pa.int64())

    window: list[int | None] = [None, None]  # (after, up to) in int64 ns UTC, filled on first use
    if typed and (until is not None or last_days is not None):

        def bounds() -> list[int | None]:
            if window[1] is None:
                end = pd.Timestamp(until) if until is not None else None
                if end is None:
                    end_ns = max(int(pc.max(utc_ns(b.column(0))).as_py() or -2**63)
                                 for b in stream([time_column], types={time_column: time_type}))
                    end = pd.Timestamp(end_ns, tz="UTC")
                end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
                window[1] = end.value
                window[0] = (end - pd.Timedelta(days=last_days)).value if last_days is not None else None
            return window
    else:
        bounds = None

    def read() -> Iterator[pd.DataFrame]:
        for batch in stream(types=types):
            yield _to_long(batch.to_pandas(date_as_object=False), label)[0]
        pa.default_memory_pool().release_unused()

    def in_window(stamps: np.ndarray) -> np.ndarray:
        """Which of ``stamps`` (int64 ns UTC) fall in the window (after, up to]."""
        after, up_to = bounds()  # type: ignore[misc]
        keep = stamps <= up_to
        if after is not None:
            keep &= stamps > after
        return keep

    def read_windowed() -> Iterator[pd.DataFrame]:
        offset = 0
        for batch in stream(types=types):
            stamps = utc_ns(batch.column(batch.schema.get_field_index(time_column))).to_numpy(zero_copy_only=False)
            rows = np.flatnonzero(in_window(stamps))
            if len(rows):
                frame = batch.take(pa.array(rows)).to_pandas(date_as_object=False)
                frame.index = pd.Index(offset + rows)  # row numbers in messages stay the file's
                yield _to_long(frame, label)[0]
            offset += batch.num_rows
        pa.default_memory_pool().release_unused()

    def keys() -> tuple[set[str], np.ndarray]:
        """Symbols and distinct priced timestamps of the window, in one pass over three columns.

        With ``last_days`` but no ``until`` the window ends at the file's last bar, known
        only at the end of the pass: each symbol's last bar and the stamps are kept, then cut.
        """
        ends_open = bounds is not None and until is None
        last_seen: dict[str, int] = {}
        seen, latest = [], -(2**63)
        for batch in stream([time_column, by_name[SYMBOL], by_name[CLOSE]], types=types):
            times, symbols, close = (batch.column(batch.schema.get_field_index(c))
                                     for c in (time_column, by_name[SYMBOL], by_name[CLOSE]))
            stamps = utc_ns(times)
            if bounds is not None and not ends_open:
                keep = pa.array(in_window(stamps.to_numpy(zero_copy_only=False)))
                stamps, symbols, close = pc.filter(stamps, keep), pc.filter(symbols, keep), pc.filter(close, keep)
            if len(stamps):
                latest = max(latest, int(pc.max(stamps).as_py() or latest))
                per_symbol = pa.table({"s": symbols, "t": stamps}).group_by("s").aggregate([("t", "max")])
                for name, end in zip(per_symbol["s"].to_pylist(), per_symbol["t_max"].to_pylist(), strict=True):
                    if name is not None and end is not None:
                        last_seen[name] = max(last_seen.get(name, end), end)
            priced = pc.and_(pc.is_valid(close), pc.invert(pc.is_nan(close)))
            seen.append(pd.unique(pc.filter(stamps, priced).to_numpy(zero_copy_only=False)))
        stamps = np.concatenate(seen) if seen else np.array([], dtype=np.int64)
        if ends_open:  # the window ends at the last bar: cut what came before it
            end = pd.Timestamp(latest, tz="UTC")
            window[1], window[0] = end.value, (end - pd.Timedelta(days=last_days)).value
            stamps = stamps[stamps > window[0]]
            last_seen = {name: t for name, t in last_seen.items() if t > window[0]}
        return {name.strip() for name in last_seen}, stamps

    layout = "long" if is_long else "wide"
    reader = read_windowed if bounds is not None else read
    return reader, (keys if typed and is_long else None), layout


def _is_parquet(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == _PARQUET_MAGIC


PARQUET_CHUNK_ROWS = 500_000  # rows converted at a time: memory is the grid plus one chunk


def _parquet_chunks(
    path: Path, label: str, until: pd.Timestamp | None, last_days: float | None
) -> tuple[Callable[[], Iterator[pd.DataFrame]], Callable[[], tuple[set[str], np.ndarray]] | None, str]:
    """Return a reader of a Parquet file or folder in long-format chunks, a reader of its grid keys, and the layout.

    The reader yields the contract's columns; the time range is pushed into the scan (row
    groups and files outside it are skipped). The keys reader (long format with typed
    timestamps and prices; None otherwise) returns the symbols and the distinct
    timestamps of the priced rows computed in pyarrow, without converting the rows.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    dataset = _scan(lambda: ds.dataset(str(path), format="parquet", partitioning="hive", exclude_invalid_files=True),
                    label)
    names = pd.Index(dataset.schema.names)
    if not dataset.files:
        raise DataError(f"{label} holds no readable Parquet files. Point --data at a CSV / Parquet file or a folder of "
                        "Parquet files.")
    mapping = _canonical_names(names)
    by_name = {canonical: str(col) for col, canonical in mapping.items()}
    time_column = by_name.get(TIMESTAMP)
    if time_column is None:
        raise DataError(_missing_message(TIMESTAMP, names, label))
    is_long = SYMBOL in by_name
    partitions = set(dataset.partitioning.schema.names) if dataset.partitioning is not None else set()
    # Long: the contract's columns only. Wide: every column but partition keys (month=...).
    columns = [str(col) for col in names if (col in mapping if is_long else col not in partitions)]
    kind = dataset.schema.field(time_column).type
    time_filter = None
    if pa.types.is_timestamp(kind) and (until is not None or last_days is not None):
        field = ds.field(time_column)

        def scalar(when: pd.Timestamp) -> pa.Scalar:
            """``when`` in the column's type (naive timestamps are UTC, as the loader reads them)."""
            when = pd.Timestamp(when)
            when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
            as_ns = pa.scalar(when.value, type=pa.int64()).cast(pa.timestamp("ns", "UTC" if kind.tz else None))
            return as_ns.cast(kind, safe=False)

        end = until if until is not None else _scan(lambda: _last_time(dataset, time_column), label)
        time_filter = field <= scalar(end)
        if last_days is not None:
            time_filter &= field > scalar(pd.Timestamp(end) - pd.Timedelta(days=last_days))
    if _scan(lambda: dataset.count_rows(filter=time_filter), label) == 0:
        raise DataError(f"{label} has no rows{' in the requested time range' if time_filter is not None else ''}.")

    def batches(wanted: list[str]) -> Iterator[pa.RecordBatch]:
        # One row group at a time: the dataset scanner decodes ahead of a slow consumer whatever
        # its read-ahead settings (250 MB of arrow memory for a 5,000-symbol folder); a row
        # group's scanner holds that row group only (50 MB). Statistics still skip row groups.
        for fragment in dataset.get_fragments(filter=time_filter):
            for group in fragment.split_by_row_group(filter=time_filter, schema=dataset.schema):
                yield from group.to_batches(schema=dataset.schema, columns=wanted, filter=time_filter,
                                            batch_size=PARQUET_CHUNK_ROWS, batch_readahead=0, fragment_readahead=0,
                                            fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=False))

    def read() -> Iterator[pd.DataFrame]:
        scan = batches(columns)
        while True:
            try:
                batch = _scan(lambda: next(scan), label)
            except StopIteration:
                return
            # Dictionary-encoded symbols (and a symbol partition key) stay categorical: the
            # loader factorises their codes instead of millions of strings.
            chunk = _to_long(batch.to_pandas(), label)[0]
            del batch
            pa.default_memory_pool().release_unused()  # arrow's allocator keeps freed memory otherwise
            yield chunk

    def keys() -> tuple[set[str], np.ndarray]:
        names, seen = [], []
        for batch in batches([time_column, by_name[SYMBOL], by_name[CLOSE]]):
            times, symbols, close = batch.columns
            distinct = pc.unique(symbols)  # in arrow: a few thousand names per batch, not a Python loop over them
            names.append(distinct.dictionary_decode() if pa.types.is_dictionary(distinct.type) else distinct)
            priced = pc.and_(pc.is_valid(close), pc.invert(pc.is_nan(pc.cast(close, pa.float64()))))
            stamps = pc.cast(pc.filter(times, priced), pa.timestamp("ns", kind.tz)).cast(pa.int64())
            seen.append(pd.unique(stamps.to_numpy(zero_copy_only=False)))
        pa.default_memory_pool().release_unused()
        labels = set()
        if names:
            distinct = pc.drop_null(pc.unique(pa.concat_arrays([n.cast(pa.string()) for n in names])))
            labels = {value.strip() for value in distinct.to_pylist()}
        return labels, np.concatenate(seen) if seen else np.array([], dtype=np.int64)

    close_type = dataset.schema.field(by_name[CLOSE]).type if CLOSE in by_name else None
    typed = is_long and pa.types.is_timestamp(kind) and close_type is not None and (
        pa.types.is_floating(close_type) or pa.types.is_integer(close_type))
    return read, partial(_scan, keys, label) if typed else None, "long" if is_long else "wide"


def _last_time(dataset: object, column: str) -> pd.Timestamp:
    """Return the last timestamp of a dataset: from the files' row-group statistics, else by a scan in batches.

    (Reading the whole column at once held 480 MB for a 1 GB folder just to find its end.)
    """
    import pyarrow.compute as pc

    ends = []
    for fragment in dataset.get_fragments():  # type: ignore[attr-defined]
        metadata = fragment.metadata
        if column not in metadata.schema.names:  # e.g. a partition key: no statistics to read
            ends = None
            break
        position = metadata.schema.names.index(column)
        stats = [metadata.row_group(i).column(position).statistics for i in range(metadata.num_row_groups)]
        if not stats or any(st is None or not st.has_min_max for st in stats):
            ends = None
            break
        ends.extend(pd.Timestamp(st.max) for st in stats)
    if not ends:
        batches = dataset.to_batches(columns=[column], batch_size=PARQUET_CHUNK_ROWS)  # type: ignore[attr-defined]
        ends = [pd.Timestamp(pc.max(batch.column(0)).as_py()) for batch in batches if batch.num_rows]
    return max(when.tz_localize("UTC") if when.tzinfo is None else when for when in ends if when is not pd.NaT)


def _scan(step: Callable[[], T], label: str) -> T:
    """Run one pyarrow read; a broken file becomes a :class:`DataError` naming ``label``."""
    import pyarrow as pa

    try:
        return step()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataError(f"{label} could not be read as Parquet: {str(exc).splitlines()[0]}") from None


def _read_bytes(source: PathArg | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), name or "upload"
    path = Path(source)
    if not path.is_file():
        raise DataError(f"File not found: {path}. Check the path.")
    return path.read_bytes(), name or path.name


def read_table(raw: bytes, label: str = "file") -> pd.DataFrame:
    """Parse raw bytes as Parquet (by its magic number) or CSV.

    Raises
    ------
    DataError
        If the bytes are empty, binary but not Parquet, or not parseable.
    """
    if not raw.strip():
        raise DataError(f"{label} is empty. Upload a CSV or Parquet file with prices.")
    if raw[:4] == _PARQUET_MAGIC:
        try:
            return pd.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # pyarrow raises many types for corrupt files
            raise DataError(f"{label} looks like Parquet but could not be read ({type(exc).__name__}).") from None
    if b"\x00" in raw[:8192]:
        raise DataError(
            f"{label} is a binary file, not CSV or Parquet. Export the prices as CSV (comma-separated) or Parquet."
        )
    try:
        table = pd.read_csv(io.BytesIO(raw), sep=None, engine="python", encoding="utf-8-sig")
    except UnicodeDecodeError:
        table = pd.read_csv(io.BytesIO(raw), sep=None, engine="python", encoding="latin-1")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, TypeError) as exc:
        raise DataError(f"{label} could not be parsed as CSV: {str(exc).splitlines()[0]}") from None
    if table.empty:
        raise DataError(f"{label} has a header but no rows.")
    return table


def _to_long(table: pd.DataFrame, label: str) -> tuple[pd.DataFrame, str]:
    renamed = table.rename(columns=_canonical_names(table.columns))
    if TIMESTAMP not in renamed.columns:
        raise DataError(_missing_message(TIMESTAMP, table.columns, label))
    if SYMBOL in renamed.columns:
        if CLOSE not in renamed.columns:
            raise DataError(_missing_message(CLOSE, table.columns, label))
        columns = [c for c in (TIMESTAMP, SYMBOL, CLOSE, VOLUME_USD) if c in renamed.columns]
        return renamed[columns], "long"
    value_columns = [c for c in table.columns if c != _original(table.columns, TIMESTAMP)]
    if not value_columns:
        raise DataError(
            f"{label} has a timestamp column but no price columns. Long format needs "
            "timestamp, symbol, close; wide format needs timestamp plus one column per symbol."
        )
    _check_wide_numeric(table, value_columns, label)
    wide = table.rename(columns={_original(table.columns, TIMESTAMP): TIMESTAMP})
    long = wide.melt(id_vars=[TIMESTAMP], value_vars=value_columns, var_name=SYMBOL, value_name=CLOSE)
    long[SYMBOL] = long[SYMBOL].astype(str)
    return long, "wide"


def _check_wide_numeric(table: pd.DataFrame, columns: list[object], label: str) -> None:
    for col in columns:
        values = table[col]
        if pd.api.types.is_numeric_dtype(values.dtype):
            continue
        text = values.astype("string").str.strip()
        bad = pd.to_numeric(text, errors="coerce").isna() & text.notna() & (text != "")
        if bad.any():
            row = int(values.index[bad][0])
            raise DataError(
                f"{label} (wide format) column {str(col)!r} has {int(bad.sum())} non-numeric "
                f"value(s) (first at row {row + 2}: {values.loc[row]!r}). In wide format every "
                "column except timestamp holds the closes of one symbol."
            )


def _normalise(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def _canonical_names(columns: pd.Index) -> dict[object, str]:
    mapping: dict[object, str] = {}
    for canonical, aliases in ALIASES.items():
        for col in columns:
            if _normalise(col) in aliases and canonical not in mapping.values():
                mapping[col] = canonical
    return mapping


def _original(columns: pd.Index, canonical: str) -> object:
    return next(col for col in columns if _canonical_names(pd.Index([col])).get(col) == canonical)


def _missing_message(wanted: str, columns: pd.Index, label: str) -> str:
    found = ", ".join(repr(str(c)) for c in columns[:12])
    close = difflib.get_close_matches(wanted, [_normalise(c) for c in columns], n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}? Rename it to {wanted!r}." if close else ""
    return (
        f"{label} has no {wanted!r} column (found: {found}).{hint} Long format needs "
        "timestamp, symbol, close[, volume_usd]; wide format needs timestamp plus one "
        "column of closes per symbol."
    )
