"""Parameter sweeps: a cell is the single run, Dask equals serial, bad grids fail before any work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster_core import sweep as sweep_module
from cluster_core.clustering import ClusterConfig, ClusterMethod
from cluster_core.errors import ClusterCoreError, DataError, ParameterError
from cluster_core.features import FeatureConfig, PrepConfig, resolve_features
from cluster_core.strategies import BacktestConfig, Strategy, deflated_sharpe
from cluster_core.sweep import (
    AXES,
    SWEEP_COLUMNS,
    SweepBase,
    SweepCell,
    SweepGrid,
    local_cluster,
    parse_axis,
    run_cell,
    run_sweep,
    setting_label,
    sweep_pivot,
    sweep_steps,
)
from cluster_core.walkforward import run_backtest
from tests.conftest import run_cli

# Eight months of the bundled hourly data: 6-7 month ends per lookback, a few seconds a group.
GRID = SweepGrid(lookback_days=(30, 60), k=(3, None), features=("behaviour",), smoothness=(0.0, 0.6),
                 strategy=(Strategy.DIVERSIFIED, Strategy.ROTATION))


@pytest.fixture(scope="module")
def recent(hourly):
    return hourly.between(start="2023-05-01")


@pytest.fixture(scope="module")
def serial(recent):
    return run_sweep(recent, GRID, serial=True)


def test_a_sweep_cell_equals_the_single_run_with_the_same_settings(recent):
    base = SweepBase(backtest=BacktestConfig(cost_bps=25.0, keep_top=0.25))
    cell = SweepCell(60, None, "seed", 0.6, Strategy.DIVERSIFIED)
    row = run_cell(recent, cell, base)
    single = run_backtest(recent, FeatureConfig(lookback_days=60), None, PrepConfig(features=resolve_features("seed")),
                          ClusterConfig(n_clusters=None),
                          BacktestConfig(cost_bps=25.0, keep_top=0.25, smoothness=0.6,
                                         strategy=Strategy.DIVERSIFIED)).metrics
    assert row["cagr"] == single.loc["strategy", "CAGR"]
    assert row["sharpe"] == single.loc["strategy", "sharpe"]
    assert row["max_drawdown"] == single.loc["strategy", "max_drawdown"]
    assert row["turnover"] == single.loc["strategy", "avg_turnover"]
    assert row["cost_drag"] == single.loc["strategy", "cost_drag"]
    assert row["btc_cagr"] == single.loc["BTC", "CAGR"]
    assert row["beats_btc"] == (single.loc["strategy", "CAGR"] > single.loc["BTC", "CAGR"])
    assert (row["lookback_days"], row["k"], row["features"], row["smoothness"], row["strategy"]) == \
        (60, "auto", "seed", 0.6, "diversified")


@pytest.mark.slow
def test_the_serial_sweep_has_one_row_per_setting_in_grid_order(serial):
    table = serial.table
    assert serial.complete and serial.where == "serial"
    assert list(table.columns) == list(SWEEP_COLUMNS)
    assert len(table) == GRID.size == 16
    expected = [(c.lookback_days, "auto" if c.k is None else str(c.k), c.features, c.smoothness, c.strategy.value)
                for c in GRID.cells()]
    assert list(table[list(AXES)].itertuples(index=False, name=None)) == expected
    assert table["note"].eq("").all() and table["cagr"].notna().all()
    # Smoothness and strategy act on the same monthly fits: the k chosen per month is the
    # own fit's, so it does not depend on the strategy.
    for _, same_fits in table.groupby(["lookback_days", "k", "smoothness"]):
        assert same_fits["k_median"].nunique() == 1 and same_fits["ari_median"].nunique() == 1


def test_every_row_carries_its_deflated_sharpe_and_the_sweep_its_pbo(recent, serial):
    returns = serial.returns
    assert returns.shape[1] == len(serial.table) == 16
    expected = deflated_sharpe(returns)  # every setting of the sweep is one trial
    labels = [setting_label(row) for _, row in serial.table.iterrows()]
    np.testing.assert_allclose(serial.table["deflated_sharpe"], expected[labels], rtol=1e-12)
    first = serial.table.iloc[0]  # 30 days, k=3, behaviour, smoothness 0, diversified
    single = run_backtest(recent, FeatureConfig(lookback_days=30), None, None, ClusterConfig(n_clusters=3),
                          BacktestConfig(smoothness=0.0, strategy=Strategy(first["strategy"]))).rows
    np.testing.assert_allclose(returns[labels[0]].dropna().to_numpy(), single["period_return"].to_numpy())
    overfit = serial.overfitting()
    assert overfit is not None and 0.0 <= overfit.pbo <= 1.0 and len(overfit.logits) == overfit.n_splits


@pytest.mark.slow
def test_the_sweep_on_a_two_worker_local_cluster_equals_the_serial_sweep_exactly(recent, serial):
    local_cluster(2)
    seen = []
    distributed = run_sweep(recent, GRID, progress=lambda done, total, group, status: seen.append((done, total)))
    assert distributed.complete and distributed.where == "LocalCluster (2 workers)"
    pd.testing.assert_frame_equal(distributed.table, serial.table, check_exact=True)
    assert [done for done, _ in seen] == [4, 8, 12, 16] and {total for _, total in seen} == {16}


def test_cancelling_returns_the_settings_done_and_stops_the_rest(recent, serial):
    result = run_sweep(recent, GRID, serial=True, cancelled=lambda: True)
    assert not result.complete
    assert len(result.table) == 4  # one group of four settings ran
    merged = result.table.merge(serial.table, on=list(AXES), suffixes=("", "_all"))
    assert len(merged) == 4 and (merged["cagr"] == merged["cagr_all"]).all()


@pytest.mark.parametrize(("grid", "error", "message"), [
    (SweepGrid(lookback_days=()), ParameterError, "lookback_days list is empty"),
    (SweepGrid(features=("behaviour", "vibes")), ParameterError, "'vibes'"),
    (SweepGrid(k=(4, 500)), ParameterError, "k=500 needs more than 500 symbols"),
    (SweepGrid(k=(1,)), ParameterError, "`k` must be an int in [2"),
    (SweepGrid(smoothness=(0.6, 0.95)), ParameterError, "smoothness"),
    (SweepGrid(strategy=("diversified", "yolo")), ParameterError, "'yolo'"),
    (SweepGrid(lookback_days=(90, 2000)), DataError, "2000-day lookback leaves fewer than 2 month ends"),
    (SweepGrid(lookback_days=tuple(range(30, 100)), k=tuple(range(2, 20))), ParameterError, "at most 5000"),
])
def test_bad_grids_are_rejected_before_any_work_is_scheduled(hourly, monkeypatch, grid, error, message):
    def no_work(*args, **kwargs):
        raise AssertionError("work was scheduled for a bad grid")

    monkeypatch.setattr(sweep_module, "local_cluster", no_work)
    monkeypatch.setattr(sweep_module, "_run_group", no_work)
    with pytest.raises(error) as caught:
        run_sweep(hourly, grid)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_k_axis_is_refused_for_a_method_that_takes_no_k(hourly):
    base = SweepBase(clustering=ClusterConfig(method=ClusterMethod.DBSCAN))
    with pytest.raises(ParameterError, match="dbscan takes no k"):
        run_sweep(hourly, SweepGrid(k=(4, 6)), base)
    assert SweepGrid(k=(None,)).validated(hourly, base).k == (None,)


def test_duplicate_values_are_run_once(hourly):
    grid = SweepGrid(lookback_days=(90, 90, 30), k=(4, 4.0, None), smoothness=(0.6, 0.6))
    checked = grid.validated(hourly, SweepBase())
    assert checked.lookback_days == (90, 30) and checked.k == (4, None) and checked.smoothness == (0.6,)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(2, 30), min_size=1, max_size=6), st.booleans())
def test_parse_axis_reads_back_what_was_written(ks, auto):
    values = tuple(ks) + ((None,) if auto else ())
    text = ",".join("auto" if k is None else str(k) for k in values)
    assert parse_axis("k", text) == values


@pytest.mark.parametrize(("axis", "text"), [("k", "4,six"), ("lookback_days", ""), ("smoothness", "0.5,x")])
def test_parse_axis_rejects_junk_with_one_line(axis, text):
    with pytest.raises(ParameterError) as caught:
        parse_axis(axis, text)
    assert axis in str(caught.value)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([30, 60, 90, 180]), min_size=1, max_size=4, unique=True),
       st.lists(st.sampled_from([3, 4, 6, None]), min_size=1, max_size=4, unique=True),
       st.lists(st.sampled_from([0.0, 0.3, 0.6, 0.9]), min_size=1, max_size=4, unique=True))
def test_cells_are_every_combination_once(lookbacks, ks, smooth):
    grid = SweepGrid(lookback_days=tuple(lookbacks), k=tuple(ks), smoothness=tuple(smooth))
    cells = grid.cells()
    assert len(cells) == len(set(cells)) == grid.size == len(lookbacks) * len(ks) * len(smooth) * 3 * 2
    assert {c.k for c in cells} == set(ks)


def _toy_table() -> pd.DataFrame:
    cells = SweepGrid(lookback_days=(30, 90), k=(4, None), features=("behaviour",), smoothness=(0.0, 0.6)).cells()
    rng = np.random.default_rng(3)
    rows = [{"lookback_days": c.lookback_days, "k": "auto" if c.k is None else str(c.k), "features": c.features,
             "smoothness": c.smoothness, "strategy": c.strategy.value, "cagr": rng.normal(),
             "beats_btc": bool(rng.random() > 0.5)} for c in cells]
    return pd.DataFrame(rows)


def test_sweep_pivot_averages_the_other_axes_or_holds_them_fixed():
    table = _toy_table()
    averaged = sweep_pivot(table, "cagr", "lookback_days", "k")
    assert list(averaged.columns) == [30, 90] and list(averaged.index) == ["4", "auto"]
    by_hand = table[(table["k"] == "auto") & (table["lookback_days"] == 90)]["cagr"].mean()
    assert averaged.loc["auto", 90] == pytest.approx(by_hand)
    fixed = sweep_pivot(table, "cagr", "lookback_days", "k", {"smoothness": 0.6, "strategy": "rotation"})
    one = table[(table["k"] == "4") & (table["lookback_days"] == 30) & (table["smoothness"] == 0.6)
                & (table["strategy"] == "rotation")]
    assert fixed.loc["4", 30] == one["cagr"].iloc[0]
    share = sweep_pivot(table, "beats_btc", "smoothness", "strategy")
    assert ((share >= 0) & (share <= 1)).all().all()


@pytest.mark.parametrize(("args", "message"), [
    (("nope", "k", "lookback_days"), "Unknown metric"),
    (("cagr", "k", "k"), "two different axes"),
    (("cagr", "k", "lookback_days", {"smoothness": 0.3}), "No setting in the sweep has smoothness = 0.3"),
])
def test_sweep_pivot_bad_requests(args, message):
    with pytest.raises(ParameterError, match=message):
        sweep_pivot(_toy_table(), *args)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_an_unreachable_scheduler_falls_back_to_the_local_cluster_with_a_note(recent, serial):
    grid = SweepGrid(lookback_days=(30,), k=(3,), features=("behaviour",), smoothness=(0.0,),
                     strategy=(Strategy.DIVERSIFIED,))
    result = run_sweep(recent, grid, scheduler=f"tcp://127.0.0.1:{_free_port()}")
    assert result.where.startswith("LocalCluster")
    assert len(result.notes) == 1 and "No Dask scheduler reachable at tcp://127.0.0.1:" in result.notes[0]
    expected = serial.table[(serial.table["lookback_days"] == 30) & (serial.table["k"] == "3")
                            & (serial.table["smoothness"] == 0.0) & (serial.table["strategy"] == "diversified")]
    # the deflated Sharpe counts the sweep's own trials: one here, sixteen in the serial sweep
    pd.testing.assert_frame_equal(result.table.drop(columns="deflated_sharpe"),
                                  expected.reset_index(drop=True).drop(columns="deflated_sharpe"), check_exact=True)


BLOCK_ENGINE = """
import sys


class _NoEngine:  # a worker whose environment lacks the engine
    def find_spec(self, name, path=None, target=None):
        if name == "cluster_core" or name.startswith("cluster_core."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


sys.meta_path.insert(0, _NoEngine())
"""


@contextmanager
def _dask_processes(tmp_path, without_engine=False):
    """``dask scheduler`` and one ``dask worker`` started as the README says: .venv's commands, no extra environment.

    The worker runs in an empty folder, so it imports the engine through the project's
    installation in .venv only. ``without_engine``: the worker is preloaded with a module
    that hides the engine, as on a machine where it was never installed.
    """
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = os.path.dirname(sys.executable)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    logs = [open(tmp_path / name, "w") for name in ("scheduler.log", "worker.log")]  # noqa: SIM115
    scheduler = subprocess.Popen([os.path.join(bin_dir, "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], env=env, cwd=tmp_path, stdout=logs[0],
                                 stderr=subprocess.STDOUT)
    preload = []
    if without_engine:
        (tmp_path / "no_engine.py").write_text(BLOCK_ENGINE)
        preload = ["--preload", str(tmp_path / "no_engine.py")]
    worker = subprocess.Popen([os.path.join(bin_dir, "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard", "--host", "127.0.0.1", *preload], env=env, cwd=tmp_path,
                              stdout=logs[1], stderr=subprocess.STDOUT)
    try:
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address, scheduler
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


@pytest.mark.slow
def test_a_separately_started_dask_scheduler_and_worker_run_the_sweep(recent, serial, tmp_path):
    with _dask_processes(tmp_path) as (address, _):
        result = run_sweep(recent, GRID, scheduler=address)
    assert result.where == f"{address} (1 workers)" and result.notes == ()
    pd.testing.assert_frame_equal(result.table, serial.table, check_exact=True)


@pytest.mark.slow
def test_a_worker_without_the_engine_stops_the_cli_with_one_line_and_status_2(tmp_path):
    with _dask_processes(tmp_path, without_engine=True) as (address, _):
        done = run_cli("sweep", "--data", "sample", "--lookback-days", "90", "--k", "4", "--features", "behaviour",
                       "--smoothness", "0", "--scheduler", address, "--out", str(tmp_path / "sweep.csv"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith("error: 1 of 1 Dask worker(s) at " + address + " cannot import the engine")
    assert "No module named 'cluster_core" in lines[0] and ".venv/bin/dask worker" in lines[0]
    assert not (tmp_path / "sweep.csv").exists()


@pytest.mark.slow
def test_a_scheduler_that_dies_during_the_sweep_gives_one_clear_error(recent, tmp_path):
    with _dask_processes(tmp_path) as (address, scheduler):
        steps = sweep_steps(recent, GRID, scheduler=address, heartbeat=0.2)
        with pytest.raises(ClusterCoreError, match="failed during the sweep") as caught:
            for step in steps:
                if step.done == 0 and scheduler.poll() is None:
                    scheduler.kill()
        assert "\n" not in str(caught.value)


@pytest.mark.slow
def test_cli_sweep_writes_the_table_and_reports_progress(tmp_path):
    out = tmp_path / "sweep.csv"
    done = run_cli("sweep", "--data", "sample", "--lookback-days", "90", "--k", "4", "--features", "behaviour",
                   "--smoothness", "0,0.6", "--serial", "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == list(SWEEP_COLUMNS) and len(table) == 4
    assert set(table["strategy"]) == {"diversified", "rotation"} and set(table["smoothness"]) == {0.0, 0.6}
    assert "4/4 settings" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout.startswith("wrote 4 settings") and "on serial" in done.stdout
    assert "probability of backtest overfitting (CSCV, 16 blocks, 12870 splits)" in done.stdout
    assert table["deflated_sharpe"].between(0, 1).all()


@pytest.mark.parametrize(("args", "message"), [
    (("--k", "4,zz"), "k list must hold numbers or auto"),
    (("--features", "behaviour,vibes"), "'vibes'"),
    (("--k", "4,400"), "k=400 needs more than 400 symbols"),
    (("--lookback-days", "90,2000"), "2000-day lookback"),
    (("--strategy", ","), "strategy list is empty"),
    (("--method", "dbscan"), "dbscan takes no k"),
])
def test_cli_sweep_bad_grids_give_one_line_before_any_work(tmp_path, args, message):
    from tests.unit.test_cli import assert_one_line_error

    done = run_cli("sweep", "--data", "sample", *args, "--out", str(tmp_path / "s.csv"))
    assert_one_line_error(done, message)
    assert not (tmp_path / "s.csv").exists()


def test_sweep_charts_show_the_pivot_and_outline_the_sidebar_setting():
    from cluster_core.charts import plot_sweep_heatmap, plot_sweep_spread

    table = _toy_table().assign(btc_cagr=0.1, equal_weight_cagr=-0.05)
    pivot = sweep_pivot(table, "cagr", "lookback_days", "k")
    fig = plot_sweep_heatmap(pivot, "cagr", "lookback_days", "k", current=(90, "auto"))
    heat = fig.data[0]
    assert np.allclose(np.asarray(heat.z, dtype=float), pivot.to_numpy())
    assert list(fig.layout.xaxis.ticktext) == ["30 d", "90 d"] and list(fig.layout.yaxis.ticktext) == ["4", "auto"]
    (outline,) = fig.layout.shapes
    assert (outline.x0, outline.x1, outline.y0, outline.y1) == (0.5, 1.5, 0.5, 1.5)
    assert heat.zmid == 0 and heat.text[0][0] == f"{pivot.iloc[0, 0]:.0%}"
    assert not plot_sweep_heatmap(pivot, "cagr", "lookback_days", "k", current=(45, "auto")).layout.shapes
    cost = plot_sweep_heatmap(sweep_pivot(table.assign(turnover=0.5), "turnover", "k", "smoothness"), "turnover",
                              "k", "smoothness")
    assert cost.data[0].colorscale[0][1] != heat.colorscale[0][1]  # lower is better: the scale flips

    spread = plot_sweep_spread(table, "cagr", by="strategy", current=3)
    boxes = [t for t in spread.data if t.type == "box"]
    assert [b.name for b in boxes] == ["diversified", "rotation"] and sum(len(b.y) for b in boxes) == len(table)
    assert {round(s.y0, 6) for s in spread.layout.shapes} == {0.1, -0.05}
    star = spread.data[-1]
    assert star.marker.symbol == "star" and star.y[0] == table["cagr"].iloc[3]
