"""`python -m cluster_core`: outputs and one-line errors (in this process, and through a real process)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cluster_core.clustering import ClusterConfig
from cluster_core.data import load_sample
from cluster_core.features import Feature, FeatureConfig
from cluster_core.walkforward import run_stability
from tests.conftest import ROOT, make_long, run_cli


def run(*args: str) -> subprocess.CompletedProcess:
    """The CLI in this process (``main``, as the entry point calls it): a fresh interpreter per test costs seconds."""
    return run_cli(*args)


def run_process(*args: str) -> subprocess.CompletedProcess:
    """A real ``python -m cluster_core`` process: the entry point, its exit status and streams."""
    return subprocess.run([sys.executable, "-m", "cluster_core", *args], capture_output=True, text=True, cwd=ROOT)


def test_features_csv_contract(tmp_path):
    out = tmp_path / "features.csv"
    done = run("features", "--data", "sample", "--lookback-days", "90", "--as-of", "2023-06-30", "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["symbol", *[f.value for f in Feature]]
    assert table["symbol"].is_unique and "BTC" in set(table["symbol"])
    assert "wrote" in done.stdout and "2023-06-30" in done.stdout


def test_features_from_a_user_file(tmp_path):
    src = tmp_path / "prices.csv"
    make_long(n_symbols=4, n_bars=24 * 20).to_csv(src, index=False)
    out = tmp_path / "f.csv"
    done = run("features", "--data", str(src), "--lookback-days", "7", "--benchmark", "S0", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "sample", "--lookback-days", "3"], "`lookback_days` must be an int in [7, 3650]; got 3."),
        (["--data", "missing.csv"], "File not found"),
        (["--data", "sample", "--as-of", "yesterday-ish"], "--as-of must be a date"),
        (["--data", "sample", "--lookback-days", "2000"], "before the data's first bar"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    assert_one_line_error(run("features", *args, "--out", str(tmp_path / "f.csv")), message)


@pytest.mark.slow
def test_the_entry_point_exits_2_with_one_line_and_writes_output_when_good(tmp_path):
    assert_one_line_error(run_process("features", "--data", "missing.csv", "--out", str(tmp_path / "f.csv")),
                          "File not found")
    assert_one_line_error(run_process("cluster", "--data", "sample", "--k", "many", "--out", str(tmp_path / "c.csv")),
                          "")
    done = run_process("features", "--data", "sample", "--lookback-days", "30", "--out", str(tmp_path / "f.csv"))
    assert done.returncode == 0 and done.stdout.startswith("wrote ") and done.stderr == ""
    assert len(pd.read_csv(tmp_path / "f.csv")) > 100


def assert_one_line_error(done: subprocess.CompletedProcess, message: str) -> None:
    """Exit status 2, one line on stderr starting with ``error:`` and containing ``message``, no traceback."""
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in done.stderr


def test_missing_output_folder(tmp_path):
    done = run("features", "--data", "sample", "--out", str(tmp_path / "no" / "f.csv"))
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_cluster_csv_contract(tmp_path):
    out = tmp_path / "clusters.csv"
    done = run("cluster", "--data", "sample", "--lookback-days", "90", "--method", "kmeans", "--k", "5",
               "--reduction", "pca", "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns[:5]) == ["symbol", "cluster", "cluster_name", "x", "y"]
    assert list(table.columns[5:-2]) == [f.value for f in Feature]
    assert table.columns[-1] == "confidence" and table["confidence"].between(0, 1).all()
    assert table.columns[-2] == "tier" and table["tier"].isna().all()  # k set by hand: no continuum to cut
    assert set(table["cluster"]) == {0, 1, 2, 3, 4}
    assert table.groupby("cluster")["cluster_name"].nunique().eq(1).all()
    assert table["cluster_name"].nunique() == 5
    assert "in 5 clusters" in done.stdout


def test_automatic_k_cuts_the_continuum_into_tiers(tmp_path):
    """The bundled hourly window: four stablecoins apart, the rest one spread, cut into three tiers."""
    out = tmp_path / "clusters.csv"
    done = run("cluster", "--data", "sample", "--lookback-days", "90", "--reduction", "pca", "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out).set_index("symbol")
    pegged = ["BUSD", "FDUSD", "TUSD", "USDC"]
    assert set(table.loc[pegged, "cluster_name"]) == {"Stablecoins / pegged"} and table.loc[pegged, "tier"].isna().all()
    bulk = table.drop(pegged)
    assert bulk["cluster_name"].nunique() == 1 and bulk["tier"].notna().all()
    assert bulk["tier"].value_counts().sort_index().tolist() == [47, 46, 47]
    assert bulk.groupby("tier")["annualized_vol"].median().is_monotonic_increasing  # the axis is mostly risk
    assert "is one continuum, cut into 3 tiers" in done.stdout


@pytest.mark.parametrize("method", ["dbscan", "hdbscan", "hierarchical"])
def test_cluster_methods_and_noise(tmp_path, method):
    out = tmp_path / "c.csv"
    extra = ["--eps", "0.5"] if method == "dbscan" else ["--distance", "pearson", "--linkage", "average"] if (
        method == "hierarchical") else []
    done = run("cluster", "--data", "sample-daily", "--lookback-days", "120", "--method", method, *extra,
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert table["cluster"].min() >= -1
    if (table["cluster"] == -1).any():
        assert set(table.loc[table["cluster"] == -1, "cluster_name"]) == {"Noise / outliers"}


def test_cluster_export_neutralises_formula_symbols(tmp_path):
    src = tmp_path / "prices.csv"
    frame = make_long(n_symbols=5, n_bars=24 * 20)
    frame["symbol"] = frame["symbol"].replace({"S4": "=HYPERLINK(1)"})
    frame.to_csv(src, index=False)
    out = tmp_path / "c.csv"
    done = run("cluster", "--data", str(src), "--lookback-days", "7", "--benchmark", "S0", "--k", "2",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "'=HYPERLINK(1)" in out.read_text()
    assert "\n=HYPERLINK" not in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "400"], "k=400 needs more than 400 symbols"),
        (["--k", "many"], "--k must be 'auto' or a number"),
        (["--method", "dbscan", "--eps", "-1"], "`eps`"),
    ],
)
def test_cluster_bad_input(tmp_path, args, message):
    done = run("cluster", "--data", "sample", *args, "--out", str(tmp_path / "c.csv"))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr and "Traceback" not in done.stderr


def test_cluster_cut_distance(tmp_path):
    out = tmp_path / "c.csv"
    done = run("cluster", "--data", "sample", "--method", "hierarchical", "--cut-distance", "1000", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert set(pd.read_csv(out)["cluster"]) == {0}  # above the root: one cluster


@pytest.mark.slow
def test_backtest_csv_contract(tmp_path):
    out = tmp_path / "backtest.csv"
    done = run("backtest", "--data", "sample", "--strategy", "rotation", "--rebalance", "monthly", "--k", "6",
               "--cost-bps", "10", "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["date", "holdings", "weights", "period_return", "equity"]
    assert len(table) == 29
    assert table["equity"].iloc[-1] == pytest.approx((1 + table["period_return"]).prod(), rel=1e-9)
    assert "monthly rebalances" in done.stdout
    bad = run("backtest", "--data", "sample", "--cost-bps", "-5", "--out", str(out))
    assert bad.returncode == 2 and "`cost_bps`" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert "turnover" in done.stdout and "cost drag" in done.stdout


@pytest.mark.slow
def test_stability_csv_contract(tmp_path):
    out = tmp_path / "stability.csv"
    tradeoff = tmp_path / "tradeoff.csv"
    done = run("stability", "--data", "sample", "--lookback-days", "90", "--months", "6", "--k", "6",
               "--smoothness", "0.3", "--out", str(out), "--tradeoff", str(tradeoff))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns)[:6] == ["date", "k", "ari_vs_previous", "n_changed", "changed", "silhouette"]
    assert len(table) == 6 and (table["k"] == 6).all()
    assert pd.isna(table["ari_vs_previous"].iloc[0])
    engine = run_stability(load_sample("hourly"), FeatureConfig(lookback_days=90), clustering=ClusterConfig(n_clusters=6),
                           months=6, smoothness=0.3).table
    assert np.allclose(table["ari_vs_previous"].iloc[1:], engine["ari_vs_previous"].iloc[1:])  # the engine's figures
    assert (table["ari_vs_previous"].iloc[1:] < 1).any()  # k = 6 cuts the continuum differently month to month
    assert (table["n_changed"] == table["changed"].fillna("").map(lambda s: len(s.split(", ")) if s else 0)).all()
    assert "smoothness 0.3" in done.stdout and "month-to-month ARI median" in done.stdout
    curve = pd.read_csv(tradeoff)
    assert {0.0, 0.3, 0.9} <= set(curve["smoothness"]) and "current_silhouette" in curve
    assert curve.loc[curve["smoothness"] == 0.3, "median_ari"].iloc[0] == pytest.approx(
        table["ari_vs_previous"].median(), abs=1e-9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--smoothness", "0.95"], "`smoothness` must be"),
        (["--smoothness", "soft"], "argument --smoothness: invalid float value"),
        (["--months", "1"], "`months` must be an integer >= 2"),
        (["--lookback-days", "3000"], "at least 2 month ends"),
        (["--k", "0"], "`n_clusters`"),
    ],
)
def test_stability_bad_arguments_give_one_line(tmp_path, args, message):
    assert_one_line_error(run("stability", "--data", "sample", *args, "--out", str(tmp_path / "s.csv")), message)
