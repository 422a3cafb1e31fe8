"""Headless command line: ``python -m cluster_core features|...`` (DESIGN.md, "CLI contract").

Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import pandas as pd

from cluster_core.clustering import DEFAULT_SMOOTHNESS, MAX_SMOOTHNESS, ClusterConfig, ClusterMethod, Distance, Linkage
from cluster_core.coin import coin_view
from cluster_core.data import DataSource, MarketData, SampleName, load_file, load_sample
from cluster_core.errors import ClusterCoreError, ParameterError
from cluster_core.export import to_csv_bytes
from cluster_core.features import (
    FULL_SPECTRUM_MAX,
    Feature,
    FeatureConfig,
    FeaturePreset,
    Flag,
    MarketMode,
    PrepConfig,
    Scaling,
    compute_features,
    resolve_features,
)
from cluster_core.network import build_network, window_spectrum
from cluster_core.pipeline import ClusterResult, UniverseConfig, run_clustering, run_features
from cluster_core.reduction import Reduction, ReductionConfig
from cluster_core.strategies import DEFAULT_MAX_WEIGHT, DSR_CONFIDENCE, BacktestConfig, PickRule, Strategy, Weighting
from cluster_core.sweep import AXES, SweepBase, SweepGrid, local_cluster, parse_axis, run_sweep
from cluster_core.walkforward import run_backtest, run_stability

__all__ = ["main"]


DATA_HELP = "a CSV/Parquet file, a folder of Parquet files, or sample (hourly) / sample-daily"
WINDOW_MARGIN_DAYS = 2  # bars read before a window: a return's previous close, and slack


def _load(spec: str, until: pd.Timestamp | None = None, lookback_days: int | None = None) -> MarketData:
    """``sample`` / ``sample-hourly`` / ``sample-daily``, a file path or a folder of Parquet files.

    With ``lookback_days`` (one window: ``features``, ``cluster``), a Parquet source is read
    only over that window up to ``until`` (or its last bar), plus a small margin.
    """
    if spec in {"sample", DataSource.SAMPLE_HOURLY.value}:
        return load_sample(SampleName.HOURLY)
    if spec == DataSource.SAMPLE_DAILY.value:
        return load_sample(SampleName.DAILY)
    days = None if lookback_days is None else lookback_days + WINDOW_MARGIN_DAYS
    return load_file(spec, until=until, last_days=days)


def _as_of(text: str | None) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ParameterError(f"--as-of must be a date such as 2023-06-30; got {text!r}.") from None


def _write(table: pd.DataFrame, out: str) -> None:
    path = Path(out)
    if not path.parent.exists():
        raise ParameterError(f"--out folder {path.parent} does not exist.")
    path.write_bytes(to_csv_bytes(table))


def _features(args: argparse.Namespace) -> str:
    as_of = _as_of(args.as_of)
    data = _load(args.data, as_of, args.lookback_days)
    config = FeatureConfig(
        lookback_days=args.lookback_days,
        as_of=as_of,
        benchmark=args.benchmark,
        min_coverage=args.min_coverage,
        market_mode=args.market_mode,
    )
    result = compute_features(data, config)
    _write(result.X.reset_index(), args.out)
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    return (
        f"wrote {len(result.X)} symbols x {result.X.shape[1]} features to {args.out} "
        f"(window {result.window_start:%Y-%m-%d %H:%M} to {result.window_end:%Y-%m-%d %H:%M} UTC; "
        f"{len(result.dropped)} dropped)"
    )


def _auto_or(kind: type, flag: str) -> object:
    def parse(text: str) -> object:
        if text == "auto":
            return None
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be 'auto' or a number; got {text!r}") from None

    return parse


def _feature_list(text: str) -> tuple[str, ...]:
    """``behaviour`` / ``seed`` / ``all`` or comma-separated feature names."""
    if text in {p.value for p in FeaturePreset}:
        return resolve_features(text)
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    known = {f.value for f in Feature}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"--features must be behaviour, seed, all or a comma-separated list of {', '.join(sorted(known))}; "
            f"unknown: {', '.join(unknown) or 'none given'}"
        )
    return names


def _window_clustering(args: argparse.Namespace, reduction: ReductionConfig) -> tuple[MarketData, ClusterResult]:
    """Load the data and cluster one window as the ``cluster`` / ``neighbours`` options ask."""
    as_of = _as_of(args.as_of)
    data = _load(args.data, as_of, args.lookback_days)
    features = FeatureConfig(
        lookback_days=args.lookback_days, as_of=as_of, benchmark=args.benchmark,
        min_coverage=args.min_coverage, market_mode=args.market_mode,
    )
    universe = UniverseConfig(tuple(Flag(f) for f in args.exclude))
    config = ClusterConfig(
        method=args.method, n_clusters=args.k, eps=args.eps, min_samples=args.min_samples,
        linkage=args.linkage, distance=args.distance, cut_distance=args.cut_distance,
    )
    return data, run_clustering(data, features, universe, PrepConfig(features=args.features, scaling=args.scaling),
                                config, reduction)


def _cluster(args: argparse.Namespace) -> str:
    data, result = _window_clustering(args, ReductionConfig(method=args.reduction))
    table = result.table()
    _write(table, args.out)
    for note in (*result.clustering.notes, *result.embedding.notes, *result.view.features.warnings):
        print(f"note: {note}", file=sys.stderr)
    print(f"note: {_drivers(data, result)}", file=sys.stderr)
    quality = result.clustering.quality["silhouette"]
    confidence = result.clustering.confidence
    boundary = int((confidence < 0.6).sum())
    verdict = "" if result.clustering.has_groups else "no clear groups; "
    if result.tiers is not None:
        verdict += (f"{result.profile.names[result.tiers.cluster]} ({len(result.tiers.tier)} symbols) is one "
                    f"continuum, cut into {result.tiers.n_tiers} tiers (column tier); ")
    return (
        f"wrote {len(table)} symbols in {result.clustering.n_clusters} clusters"
        f"{f' (+{result.clustering.n_noise} noise)' if result.clustering.n_noise else ''} to {args.out}; "
        f"{verdict}silhouette {quality:.3f}; mean confidence {confidence.mean():.2f}, {boundary} boundary symbol(s)"
    )


def _drivers(data: MarketData, result: ClusterResult) -> str:
    n = len(result.view.features.X)
    if n > FULL_SPECTRUM_MAX:  # the correlation matrix and its spectrum would double the command's time
        return (f"independent drivers not counted above {FULL_SPECTRUM_MAX:,} symbols ({n:,} here); the network "
                "command counts them")
    spectrum = window_spectrum(data, result.view.features, result.view.features.config.market_mode)
    return (f"{spectrum.n_factors} independent driver(s): eigenvalues of the return correlation above the "
            f"Marchenko-Pastur edge {spectrum.edge:.2f} (largest {spectrum.eigenvalues[0]:.1f})")


def _network(args: argparse.Namespace) -> str:
    as_of = _as_of(args.as_of)
    data = _load(args.data, as_of, args.lookback_days)
    features = FeatureConfig(lookback_days=args.lookback_days, as_of=as_of, benchmark=args.benchmark,
                             min_coverage=args.min_coverage, market_mode=args.market_mode)
    view = run_features(data, features, UniverseConfig(tuple(Flag(f) for f in args.exclude)))
    network = build_network(data, view.features, args.market_mode)
    _write(network.edges[["source", "target", "correlation"]], args.out)
    top = network.edges.iloc[0]
    left_out = f"; left out (no returns of their own): {', '.join(network.dropped)}" if network.dropped else ""
    return (f"wrote the minimum spanning tree's {len(network.edges)} edges over {len(network.correlation)} symbols "
            f"to {args.out} (market mode {network.market_mode.value}; total Mantegna distance "
            f"{network.total_distance:.3f}; strongest link {top['source']}-{top['target']} {top['correlation']:.2f}); "
            f"{network.spectrum.n_factors} eigenvalue(s) above the Marchenko-Pastur edge "
            f"{network.spectrum.edge:.2f}{left_out}")


def _neighbours(args: argparse.Namespace) -> str:
    # The map is not written: PCA is the cheapest embedding the result needs.
    data, result = _window_clustering(args, ReductionConfig(method=Reduction.PCA))
    coin = coin_view(data, result, args.symbol)
    table = coin.neighbours.drop(columns="behaviour_rank")
    _write(table, args.out)
    same = table[table["same_group"]]
    top = ", ".join(table["symbol"].head(5))
    moves = table.dropna(subset=["correlation"]).nlargest(5, "correlation")["symbol"]
    return (f"wrote {len(table)} other symbols to {args.out}; {coin.symbol} is in {coin.cluster_name} "
            f"({len(same) + 1} symbols, confidence {coin.confidence:.0%}); nearest in behaviour: {top}; "
            f"most correlated: {', '.join(moves)}")


def _stability(args: argparse.Namespace) -> str:
    data = _load(args.data)
    features = FeatureConfig(lookback_days=args.lookback_days, benchmark=args.benchmark,
                             min_coverage=args.min_coverage, market_mode=args.market_mode)
    universe = UniverseConfig(tuple(Flag(f) for f in args.exclude))
    clustering = ClusterConfig(method=args.method, n_clusters=args.k, eps=args.eps, min_samples=args.min_samples)

    def progress(done: int, total: int, month: str, status: str) -> None:
        print(f"\r{done}/{total} {month}: {status}   ", end="", file=sys.stderr, flush=True)

    interactive = sys.stderr.isatty()
    result = run_stability(data, features, universe, PrepConfig(features=args.features), clustering, args.months,
                           progress=progress if interactive else None, smoothness=args.smoothness)
    if interactive:
        print(file=sys.stderr)
    table = result.table
    _write(table.assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d %H:%M")), args.out)
    if args.tradeoff:
        _write(result.tradeoff, args.tradeoff)
    ari = table["ari_vs_previous"].dropna()
    now = table.iloc[-1]
    return (
        f"wrote {len(table)} month ends to {args.out} (smoothness {result.smoothness:g}); month-to-month ARI median "
        f"{ari.median():.2f} (min {ari.min():.2f}) over {len(ari)} pairs; median silhouette "
        f"{table['silhouette'].median():.2f}; current month silhouette {now['silhouette']:.2f} "
        f"(independent fit {now['independent_silhouette']:.2f}); no clear groups in the own fit in "
        f"{int((~table['clear_groups']).sum())} month(s), groups carried in {int(table['carried'].sum())}"
    )


def _backtest(args: argparse.Namespace) -> str:
    data = _load(args.data)
    features = FeatureConfig(
        lookback_days=args.lookback_days, benchmark=args.benchmark, min_coverage=args.min_coverage,
        market_mode=args.market_mode,
    )
    universe = UniverseConfig(tuple(Flag(f) for f in args.exclude))
    clustering = ClusterConfig(method=args.method, n_clusters=args.k, eps=args.eps, min_samples=args.min_samples)
    config = BacktestConfig(strategy=args.strategy, cost_bps=args.cost_bps, per_cluster=args.per_cluster,
                            min_holdings=args.min_holdings, keep_top=args.keep_top, smoothness=args.smoothness,
                            top_n=args.top_n, rule=args.rule, weighting=args.weighting,
                            include_pegged=args.include_pegged, max_weight=args.max_weight)

    def progress(done: int, total: int, month: str, status: str) -> None:
        print(f"\r{done}/{total} {month}: {status}   ", end="", file=sys.stderr, flush=True)

    interactive = sys.stderr.isatty()
    result = run_backtest(data, features, universe, PrepConfig(features=args.features), clustering, config,
                          progress=progress if interactive else None)
    if interactive:
        print(file=sys.stderr)
    table = result.csv_table().assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d %H:%M"))
    _write(table, args.out)
    for note in (*result.notes, result.pegged_note()):
        if note:
            print(f"note: {note}", file=sys.stderr)
    m = result.metrics.loc["strategy"]
    return (
        f"wrote {len(table)} monthly rebalances to {args.out}; CAGR {m['CAGR']:.1%}, Sharpe {m['sharpe']:.2f}, "
        f"max drawdown {m['max_drawdown']:.1%}, turnover {m['avg_turnover']:.0%}/month, cost drag "
        f"{m['cost_drag']:.2%}/year (BTC: CAGR {result.metrics.loc['BTC', 'CAGR']:.1%})"
    )


def _sweep(args: argparse.Namespace) -> str:
    data = _load(args.data)
    grid = SweepGrid(**{axis: parse_axis(axis, getattr(args, axis)) for axis in AXES})
    base = SweepBase(
        features=FeatureConfig(benchmark=args.benchmark, min_coverage=args.min_coverage, market_mode=args.market_mode),
        universe=UniverseConfig(tuple(Flag(f) for f in args.exclude)),
        clustering=ClusterConfig(method=args.method, min_samples=args.min_samples),
        backtest=BacktestConfig(cost_bps=args.cost_bps, per_cluster=args.per_cluster, min_holdings=args.min_holdings,
                                keep_top=args.keep_top, top_n=args.top_n),
    )
    if args.workers is not None and not args.scheduler and not args.serial:
        local_cluster(args.workers)
    started = time.perf_counter()

    def progress(done: int, total: int, group: str, status: str) -> None:
        print(f"{done}/{total} settings ({time.perf_counter() - started:.0f} s): {group} done", file=sys.stderr,
              flush=True)

    result = run_sweep(data, grid, base, scheduler=args.scheduler, serial=args.serial, progress=progress)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    table = result.table
    _write(table.assign(start=lambda d: d["start"].dt.strftime("%Y-%m-%d %H:%M"),
                        end=lambda d: d["end"].dt.strftime("%Y-%m-%d %H:%M")), args.out)
    cagr = table["cagr"].dropna()
    overfit = result.overfitting()
    pbo = ("PBO not computable (fewer than 2 settings or 4 shared months)" if overfit is None else
           f"probability of backtest overfitting (CSCV, {overfit.n_blocks} blocks, {overfit.n_splits} splits) "
           f"{overfit.pbo:.2f}")
    skilled = int((table["deflated_sharpe"] >= DSR_CONFIDENCE).sum())
    return (
        f"wrote {len(table)} settings to {args.out} in {result.seconds:.0f} s on {result.where}; CAGR median "
        f"{cagr.median():.1%} (10th-90th percentile {cagr.quantile(0.1):.1%} to {cagr.quantile(0.9):.1%}); "
        f"beat BTC in {table['beats_btc'].mean():.0%} of settings, the equal-weight universe in "
        f"{table['beats_equal_weight'].mean():.0%}; month-to-month ARI median {table['ari_median'].median():.2f}; "
        f"{pbo}; {skilled} setting(s) with a deflated Sharpe >= {DSR_CONFIDENCE:.2f}"
    )


def _add_common(parser: argparse.ArgumentParser, as_of: bool = True) -> None:
    parser.add_argument("--data", required=True, help=DATA_HELP)
    parser.add_argument("--lookback-days", type=int, default=90, help="window length in days (default 90)")
    if as_of:
        parser.add_argument("--as-of", default=None, help="end of the window (default: last bar)")
    parser.add_argument("--benchmark", default="BTC", help="symbol for btc_corr / beta_btc (default BTC)")
    parser.add_argument("--min-coverage", type=float, default=0.8, help="minimum share of bars with a return")
    parser.add_argument(
        "--market-mode", default=MarketMode.RAW.value, choices=[m.value for m in MarketMode],
        help="return features on raw returns or on residuals after BTC beta / first PC",
    )


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr (exit 2), as every other bad input."""

    def error(self, message: str) -> NoReturn:
        """Print ``error: message (see --help)`` and exit with status 2."""
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (one subcommand per DESIGN.md command)."""
    parser = _OneLineParser(prog="python -m cluster_core", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    features = sub.add_parser("features", help="behavioural features per symbol -> CSV")
    _add_common(features)
    features.add_argument("--out", required=True, help="output CSV path")
    features.set_defaults(run=_features)

    clusters = sub.add_parser("cluster", help="clusters, names and 2-D coordinates per symbol -> CSV")
    _add_common(clusters)
    _add_clustering(clusters)
    clusters.add_argument("--reduction", default="pca", choices=[m.value for m in Reduction])
    clusters.add_argument("--out", required=True, help="output CSV path")
    clusters.set_defaults(run=_cluster)

    near = sub.add_parser("neighbours", help="one symbol's neighbours by behaviour and by co-movement -> CSV")
    _add_common(near)
    near.add_argument("--symbol", required=True, help="the symbol looked up, e.g. SOL (case-insensitive)")
    _add_clustering(near)
    near.add_argument("--out", required=True, help="output CSV path")
    near.set_defaults(run=_neighbours)

    network = sub.add_parser("network", help="the correlation network's minimum spanning tree -> CSV")
    _add_common(network)
    network.add_argument("--exclude", nargs="*", default=[], choices=[f.value for f in Flag],
                         help="flagged groups to leave out")
    network.add_argument("--out", required=True, help="output CSV path (source,target,correlation per tree edge)")
    network.set_defaults(run=_network)

    backtest = sub.add_parser("backtest", help="monthly walk-forward with re-clustering -> CSV")
    backtest.add_argument("--data", required=True, help=DATA_HELP)
    backtest.add_argument("--strategy", default="diversified", choices=[s.value for s in Strategy])
    backtest.add_argument("--rebalance", default="monthly", choices=["monthly"], help="rebalance frequency")
    backtest.add_argument("--lookback-days", type=int, default=90)
    backtest.add_argument("--benchmark", default="BTC")
    backtest.add_argument("--min-coverage", type=float, default=0.8)
    backtest.add_argument("--market-mode", default=MarketMode.RAW.value, choices=[m.value for m in MarketMode])
    backtest.add_argument("--method", default="kmeans", choices=[m.value for m in ClusterMethod])
    backtest.add_argument("--k", type=_auto_or(int, "--k"), default=None, help="number of clusters or auto")
    backtest.add_argument("--eps", type=_auto_or(float, "--eps"), default=None, help="DBSCAN radius or auto")
    backtest.add_argument("--min-samples", type=int, default=3)
    backtest.add_argument("--exclude", nargs="*", default=[], choices=[f.value for f in Flag])
    backtest.add_argument("--cost-bps", type=float, default=10.0, help="cost in bps of turnover (default 10)")
    backtest.add_argument("--per-cluster", type=int, default=1, help="diversified: symbols per cluster")
    backtest.add_argument("--min-holdings", type=int, default=8,
                        help="diversified: hold at least this many symbols (default 8)")
    backtest.add_argument("--keep-top", type=float, default=BacktestConfig.keep_top,
                        help="diversified: keep a holding while in this top share of its cluster "
                               "(default 0.5: its better half; 0 = re-pick every month)")
    _add_smoothness(backtest)
    backtest.add_argument("--top-n", type=int, default=1, help="rotation: symbols held from the top cluster")
    backtest.add_argument("--rule", default="sharpe", choices=[r.value for r in PickRule])
    backtest.add_argument("--weighting", default="equal", choices=[w.value for w in Weighting])
    backtest.add_argument("--max-weight", type=float, default=DEFAULT_MAX_WEIGHT,
                          help="diversified: no holding above this weight (default 0.25; fewer picks than 1/max "
                               "leave the rest in cash)")
    backtest.add_argument("--include-pegged", action="store_true",
                        help="hold pegged coins too (flagged pegged, or in the stablecoin group); default: left out")
    _add_features(backtest)
    backtest.add_argument("--out", required=True, help="output CSV path")
    backtest.set_defaults(run=_backtest)

    stability = sub.add_parser("stability", help="month-to-month agreement of the clusters -> CSV")
    _add_common(stability, as_of=False)
    stability.add_argument("--months", type=int, default=12, help="last N month ends (default 12)")
    stability.add_argument("--method", default="kmeans", choices=[m.value for m in ClusterMethod])
    stability.add_argument("--k", type=_auto_or(int, "--k"), default=None, help="number of clusters or auto")
    stability.add_argument("--eps", type=_auto_or(float, "--eps"), default=None, help="DBSCAN radius or auto")
    stability.add_argument("--min-samples", type=int, default=3)
    stability.add_argument("--exclude", nargs="*", default=[], choices=[f.value for f in Flag])
    _add_smoothness(stability)
    _add_features(stability)
    stability.add_argument("--out", required=True, help="output CSV path")
    stability.add_argument("--tradeoff", default=None,
                           help="also write the smoothness trade-off (the Stability page's table) to this CSV")
    stability.set_defaults(run=_stability)

    sweep = sub.add_parser("sweep", help="the backtest over a grid of settings, on Dask -> CSV")
    sweep.add_argument("--data", required=True, help=DATA_HELP)
    sweep.add_argument("--lookback-days", default="30,60,90,180",
                       help="comma-separated lookbacks (default 30,60,90,180)")
    sweep.add_argument("--k", default="4,6,8,10,auto",
                       help="comma-separated k values or auto (default 4,6,8,10,auto)")
    sweep.add_argument("--features", default="behaviour,seed,all",
                       help="comma-separated feature presets (default behaviour,seed,all)")
    sweep.add_argument("--smoothness", default="0,0.6,0.9",
                       help="comma-separated smoothness values (default 0,0.6,0.9)")
    sweep.add_argument("--strategy", default="diversified,rotation",
                       help="comma-separated strategies (default diversified,rotation)")
    sweep.add_argument("--method", default="kmeans", choices=[m.value for m in ClusterMethod])
    sweep.add_argument("--min-samples", type=int, default=3)
    sweep.add_argument("--benchmark", default="BTC")
    sweep.add_argument("--min-coverage", type=float, default=0.8)
    sweep.add_argument("--market-mode", default=MarketMode.RAW.value, choices=[m.value for m in MarketMode])
    sweep.add_argument("--exclude", nargs="*", default=[], choices=[f.value for f in Flag])
    sweep.add_argument("--cost-bps", type=float, default=10.0)
    sweep.add_argument("--per-cluster", type=int, default=1)
    sweep.add_argument("--min-holdings", type=int, default=8)
    sweep.add_argument("--keep-top", type=float, default=BacktestConfig.keep_top)
    sweep.add_argument("--top-n", type=int, default=1)
    sweep.add_argument("--scheduler", default=None,
                       help="address of a running Dask scheduler, e.g. tcp://host:8786 (default: a LocalCluster "
                            "with one worker per core, started for the run)")
    sweep.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per core)")
    sweep.add_argument("--serial", action="store_true", help="run in this process, without Dask (for comparison)")
    sweep.add_argument("--out", required=True, help="output CSV path")
    sweep.set_defaults(run=_sweep)
    return parser


def _add_clustering(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", default="kmeans", choices=[m.value for m in ClusterMethod])
    parser.add_argument("--k", type=_auto_or(int, "--k"), default=None, help="number of clusters or auto")
    parser.add_argument("--eps", type=_auto_or(float, "--eps"), default=None, help="DBSCAN radius or auto")
    parser.add_argument("--min-samples", type=int, default=3,
                        help="DBSCAN/HDBSCAN core size (default 3); HDBSCAN's smallest cluster too, at least 1%% of "
                               "the symbols above 300")
    parser.add_argument("--linkage", default="ward", choices=[m.value for m in Linkage])
    parser.add_argument("--distance", default="features", choices=[m.value for m in Distance])
    parser.add_argument("--cut-distance", type=float, default=None,
                        help="hierarchical: cut the tree at this merge distance instead of into k clusters")
    parser.add_argument("--scaling", default=Scaling.ROBUST.value, choices=[m.value for m in Scaling])
    _add_features(parser)
    parser.add_argument("--exclude", nargs="*", default=[], choices=[f.value for f in Flag],
                        help="flagged groups to leave out")


def _add_smoothness(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoothness", type=float, default=DEFAULT_SMOOTHNESS,
                        help=f"weight of past months in each month's clusters, 0-{MAX_SMOOTHNESS:g} "
                             f"(default {DEFAULT_SMOOTHNESS:g}; 0 = every month clustered on its own)")


def _add_features(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--features", type=_feature_list, default=PrepConfig().features,
                        help="behaviour (default), seed, all, or a comma-separated list of features to cluster on")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], str] = args.run
    try:
        message = run(args)
    except ClusterCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc} ({exc.filename or ''})", file=sys.stderr)
        return 2
    print(message)
    return 0
