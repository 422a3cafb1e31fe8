"""Shared fixtures: the bundled data (session-scoped) and synthetic markets."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cluster_core.data import MarketData, load_sample  # noqa: E402


@pytest.fixture(scope="session")
def hourly() -> MarketData:
    return load_sample("hourly")


@pytest.fixture(scope="session")
def daily() -> MarketData:
    return load_sample("daily")


def make_long(
    n_symbols: int = 4,
    n_bars: int = 48,
    freq: str = "1h",
    seed: int = 0,
    start: str = "2024-01-01",
) -> pd.DataFrame:
    """A long table of random-walk prices with USD volumes."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=n_bars, freq=freq, tz="UTC")
    frames = []
    for i in range(n_symbols):
        prices = 100.0 * (i + 1) * np.exp(np.cumsum(rng.normal(0, 0.01, n_bars)))
        frames.append(
            pd.DataFrame(
                {
                    "timestamp": index,
                    "symbol": f"S{i}",
                    "close": prices,
                    "volume_usd": rng.uniform(1e5, 1e6, n_bars),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def long_table() -> pd.DataFrame:
    return make_long()


def make_market(
    n_symbols: int = 6,
    n_bars: int = 24 * 60,
    freq: str = "1h",
    seed: int = 0,
    gaps: bool = True,
    constant: bool = True,
    late: bool = True,
) -> MarketData:
    """A synthetic market with BTC, random gaps, a constant-price coin and a late listing."""
    from cluster_core.data import build_market_data

    long = make_long(n_symbols=n_symbols, n_bars=n_bars, freq=freq, seed=seed)
    long["symbol"] = long["symbol"].replace({"S0": "BTC"})
    rng = np.random.default_rng(seed + 1)
    if gaps:
        drop = rng.choice(len(long), size=len(long) // 50, replace=False)
        long = long.drop(index=long.index[drop])
    if constant:
        flat = long[long.symbol == "BTC"].assign(symbol="STABLE", close=1.0)
        long = pd.concat([long, flat], ignore_index=True)
    if late:
        start = long.timestamp.min() + (long.timestamp.max() - long.timestamp.min()) * 0.6
        newer = long[(long.symbol == "S1") & (long.timestamp >= start)].assign(symbol="NEWCOIN")
        long = pd.concat([long, newer], ignore_index=True)
    return build_market_data(long.reset_index(drop=True), source="synthetic")


def assert_matches_reference(result, reference, rtol: float = 1e-9) -> None:
    """Every cell equal to the reference within ``rtol`` (both NaN counts as equal)."""
    ref = reference.loc[result.index, result.columns]
    both_nan = result.isna() & ref.isna()
    assert (result.isna() == ref.isna()).all().all(), (result.isna() != ref.isna()).sum()
    diff = (result - ref).abs().where(~both_nan, 0.0)
    scale = ref.abs().where(~both_nan, 1.0)
    bad = diff > rtol * scale
    if bad.to_numpy().any():
        col = bad.any().idxmax()
        row = bad[col].idxmax()
        raise AssertionError(f"{col} of {row}: engine {result.loc[row, col]!r} vs reference {ref.loc[row, col]!r}")


def run_cli(*args: str):
    """Run ``python -m cluster_core ARGS`` in this process: its ``main``, stdout and stderr captured.

    Returns what :func:`subprocess.run` would (``returncode``, ``stdout``, ``stderr``). An
    uncaught exception propagates, so a test fails where a user would see a traceback. A
    few tests start a real ``python -m cluster_core`` process: the entry point itself.
    """
    import contextlib
    import io
    import subprocess

    from cluster_core.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(["python", "-m", "cluster_core", *args], code, out.getvalue(), err.getvalue())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are slow tests too: ``-m "not slow"`` is the quick loop, ``make test`` runs everything."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)


SERVER_DIR_ENV = "CLUSTER_CORE_TEST_SERVER_DIR"  # where the test processes share one served app
_SERVER_DIR = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """The main pytest process names a folder for the browser tests' one shared server.

    Set before pytest-xdist starts its workers, so they inherit it; a worker (or a nested
    run that already has one) keeps the name it was given.
    """
    if hasattr(config, "workerinput") or SERVER_DIR_ENV in os.environ:
        return
    folder = tempfile.mkdtemp(prefix="cluster-core-test-server-")
    os.environ[SERVER_DIR_ENV] = folder
    config.stash[_SERVER_DIR] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    """The main process stops the shared server (if a browser test started one) once every worker is done."""
    folder = config.stash.get(_SERVER_DIR, None)
    if folder is None:
        return
    from tests.browser.conftest import stop_shared_server

    stop_shared_server(Path(folder))
    shutil.rmtree(folder, ignore_errors=True)
    os.environ.pop(SERVER_DIR_ENV, None)
