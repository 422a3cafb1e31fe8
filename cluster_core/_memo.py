"""A small thread-safe LRU memo for long engine calls (with an optional time-to-live and byte budget)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
import pandas as pd

__all__ = ["Memo", "nbytes"]

T = TypeVar("T")


class Memo:
    """Keep the last ``size`` results, keyed by a hashable value, each for ``ttl`` seconds.

    Used by the UI for calls that report progress while they run (a download, a
    walk-forward), whose results are immutable values. The computation itself runs
    outside the lock, so two different keys compute in parallel. With ``max_bytes``, the
    least recently used values are also dropped while the kept ones hold more than that
    (:func:`nbytes`; the newest value is always kept).

    Examples
    --------
    >>> memo = Memo(size=2)
    >>> memo.get("a", lambda: 1), memo.get("a", lambda: 2)
    (1, 1)
    """

    def __init__(self, size: int, ttl: float | None = None, max_bytes: int | None = None) -> None:
        self.size = size
        self.ttl = ttl
        self.max_bytes = max_bytes
        self._bytes: dict[Hashable, int] = {}
        self._items: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._running: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the kept value for ``key``, or compute, keep and return it.

        Single flight: while one caller computes a key, others asking for the same key
        wait for its value instead of computing it again (ten sessions opening the same
        walk-forward compute it once). If the computation raises, each waiter tries itself.
        """
        while True:
            with self._lock:
                hit = self._fresh(key)
                if hit is not None:
                    return hit[1]  # type: ignore[return-value]
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            running.wait()
        try:
            value = compute()
            self.put(key, value)
            return value
        finally:
            with self._lock:
                self._running.pop(key, None)
            running.set()

    def peek(self, key: Hashable) -> object | None:
        """Return the kept value for ``key`` (``None`` when there is none), computing nothing."""
        with self._lock:
            hit = self._fresh(key)
            return None if hit is None else hit[1]

    def _fresh(self, key: Hashable) -> tuple[float, object] | None:
        """Return the entry of ``key`` if kept and not expired, marked as recently used (call under the lock)."""
        hit = self._items.get(key)
        if hit is None or (self.ttl is not None and time.monotonic() - hit[0] >= self.ttl):
            return None
        self._items.move_to_end(key)
        return hit

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for ``key`` (a result computed elsewhere, e.g. step by step)."""
        size = nbytes(value) if self.max_bytes is not None else 0
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            self._bytes[key] = size
            while len(self._items) > self.size or (
                self.max_bytes is not None and len(self._items) > 1 and self.nbytes > self.max_bytes
            ):
                oldest, _ = self._items.popitem(last=False)
                self._bytes.pop(oldest, None)

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept values (:func:`nbytes` of each, as they were kept)."""
        return sum(self._bytes.values())

    def keys(self) -> list[Hashable]:
        """Return the keys kept (expired ones included until they are asked for), oldest first."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        """Forget every kept value."""
        with self._lock:
            self._items.clear()
            self._bytes.clear()

    def __len__(self) -> int:
        return len(self._items)


def nbytes(value: object) -> int:
    """Estimate the memory of a value: its numpy arrays and pandas objects, found through containers.

    Dataclass fields, tuples, lists, dicts and sets are followed (each object counted once);
    other objects count nothing. Pandas objects count their data and index, object
    columns shallowly: an estimate for cache budgets, not an exact measure.
    """
    seen: set[int] = set()

    def walk(item: object, depth: int) -> int:
        if id(item) in seen or depth > 8:
            return 0
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            return int(item.nbytes)
        if isinstance(item, pd.DataFrame):
            return int(item.memory_usage(index=True, deep=False).sum())
        if isinstance(item, (pd.Series, pd.Index)):
            return int(item.memory_usage(deep=False))
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return sum(walk(getattr(item, f.name), depth + 1) for f in dataclasses.fields(item))
        if isinstance(item, dict):
            return sum(walk(v, depth + 1) for v in item.values())
        if isinstance(item, (list, tuple, set, frozenset)):
            return sum(walk(v, depth + 1) for v in item)
        return 0

    return walk(value, 0)
