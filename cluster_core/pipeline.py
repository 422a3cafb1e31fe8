"""One entry point per view: a frozen, hashable config in, one result value out.

The UI caches these calls keyed on ``(data.fingerprint, config)``; the CLI calls them
directly. Nothing here draws anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from cluster_core._typing import ProgressCallback
from cluster_core.clustering import ClusterConfig, Clustering, ClusterMethod, Distance, confidence, fit_clusters
from cluster_core.data import MarketData
from cluster_core.errors import ClusterCoreError, DataError, ParameterError
from cluster_core.features import (
    FeatureConfig,
    FeatureSet,
    Flag,
    Prepared,
    PrepConfig,
    apply_hygiene,
    compute_features,
    prepare_features,
    screen_universe,
)
from cluster_core.interpretation import ClusterProfile, profile_clusters
from cluster_core.reduction import Embedding, ReductionConfig, reduce_2d
from cluster_core.strategies import (
    BacktestConfig,
    BacktestResult,
    equity_curves,
    performance_metrics,
    rebalance_dates,
    simulate,
    stability_over_time,
    target_weights,
)
from cluster_core.synthetic import PlantedMarket

__all__ = [
    "ClusterResult",
    "FeatureView",
    "UniverseConfig",
    "assemble",
    "cluster",
    "embed",
    "prepare",
    "run_backtest",
    "run_clustering",
    "run_features",
    "run_stability",
    "score_planted",
    "window_returns",
]


@dataclass(frozen=True)
class UniverseConfig:
    """Which flagged groups (:class:`Flag`) to leave out of the analysis."""

    exclude: tuple[Flag, ...] = field(default=())

    def validated(self) -> UniverseConfig:
        """Return a copy with known, sorted, unique flags; raise :class:`ParameterError` otherwise."""
        try:
            flags = sorted({Flag(f) for f in self.exclude}, key=list(Flag).index)
        except ValueError:
            raise ParameterError(
                f"`exclude` must hold pegged, duplicate or late; got {list(self.exclude)!r}."
            ) from None
        return UniverseConfig(tuple(flags))


@dataclass(frozen=True, eq=False)
class FeatureView:
    """Features after the universe choices.

    Attributes
    ----------
    features : FeatureSet
        Kept symbols only; excluded ones are in ``features.dropped`` with the reason.
    flags : DataFrame
        Every hygiene flag raised (``symbol``, ``flag``, ``detail``), excluded or not.
    universe : UniverseConfig
    """

    features: FeatureSet
    flags: pd.DataFrame
    universe: UniverseConfig


def run_features(
    data: MarketData, config: FeatureConfig | None = None, universe: UniverseConfig | None = None
) -> FeatureView:
    """Compute features, flag the universe, and drop the groups the user excluded.

    Raises
    ------
    ParameterError, DataError
        As :func:`cluster_core.features.compute_features` and
        :func:`cluster_core.features.apply_hygiene`.
    """
    chosen = (universe or UniverseConfig()).validated()
    features = compute_features(data, config or FeatureConfig())
    flags = screen_universe(data, features)
    return FeatureView(apply_hygiene(features, flags, chosen.exclude), flags, chosen)


def window_returns(data: MarketData, features: FeatureSet) -> pd.DataFrame:
    """Return the simple returns of the feature window's bars for the kept symbols (bars x symbols, NaN = missing)."""
    symbols = list(features.X.index)
    close = data.close.loc[: features.window_end, symbols]
    start = close.index.searchsorted(features.window_start)
    window = close.iloc[max(start - 1, 0) :]
    return (window / window.shift(1) - 1).loc[features.window_start :]


@dataclass(frozen=True, eq=False)
class ClusterResult:
    """Everything the cluster views show.

    Attributes
    ----------
    view : FeatureView
    prepared : Prepared
    clustering : Clustering
    profile : ClusterProfile
    embedding : Embedding
    """

    view: FeatureView
    prepared: Prepared
    clustering: Clustering
    profile: ClusterProfile
    embedding: Embedding

    def table(self) -> pd.DataFrame:
        """Build the ``clusters.csv`` contract: symbol, cluster, cluster_name, x, y, the raw features, confidence."""
        labels = self.clustering.labels
        X = self.view.features.X.loc[labels.index]
        out = pd.DataFrame(
            {
                "symbol": labels.index,
                "cluster": labels.to_numpy(),
                "cluster_name": self.profile.name_of(labels).to_numpy(),
                "x": self.embedding.coords.loc[labels.index, "x"].to_numpy(),
                "y": self.embedding.coords.loc[labels.index, "y"].to_numpy(),
            }
        )
        table = pd.concat([out, X.reset_index(drop=True)], axis=1)
        conf = self.clustering.confidence
        table["confidence"] = np.nan if conf is None else conf.reindex(labels.index).to_numpy()
        return table


def prepare(view: FeatureView, config: PrepConfig | None = None) -> Prepared:
    """Prepare the features of the kept symbols (:func:`cluster_core.features.prepare_features`)."""
    return prepare_features(view.features.X, config)


def cluster(
    data: MarketData,
    view: FeatureView,
    prepared: Prepared,
    config: ClusterConfig | None = None,
    *,
    with_confidence: bool = True,
) -> Clustering:
    """Fit the clustering (labels ordered by mean annualised volatility) and each symbol's confidence."""
    cfg = config or ClusterConfig()
    returns = None
    if ClusterMethod(cfg.method) is ClusterMethod.HIERARCHICAL and Distance(cfg.distance) is not Distance.FEATURES:
        returns = window_returns(data, view.features)
    fitted = fit_clusters(prepared.Z, cfg, order_by=view.features.X["annualized_vol"], returns=returns)
    return replace(fitted, confidence=confidence(prepared.Z, fitted)) if with_confidence else fitted


def embed(prepared: Prepared, config: ReductionConfig | None = None) -> Embedding:
    """2-D map of the prepared features (:func:`cluster_core.reduction.reduce_2d`)."""
    return reduce_2d(prepared.Z, config)


def assemble(view: FeatureView, prepared: Prepared, clustering: Clustering, embedding: Embedding) -> ClusterResult:
    """Name and profile the clusters and bundle the parts."""
    profile = profile_clusters(view.features.X, clustering.labels, clustering.confidence)
    return ClusterResult(view, prepared, clustering, profile, embedding)


def run_clustering(
    data: MarketData,
    features: FeatureConfig | None = None,
    universe: UniverseConfig | None = None,
    prep: PrepConfig | None = None,
    clustering: ClusterConfig | None = None,
    reduction: ReductionConfig | None = None,
) -> ClusterResult:
    """Features -> universe -> preparation -> clustering -> 2-D map -> names, in one call."""
    view = run_features(data, features, universe)
    prepared = prepare(view, prep)
    fitted = cluster(data, view, prepared, clustering)
    return assemble(view, prepared, fitted, embed(prepared, reduction))


def run_backtest(
    data: MarketData,
    features: FeatureConfig | None = None,
    universe: UniverseConfig | None = None,
    prep: PrepConfig | None = None,
    clustering: ClusterConfig | None = None,
    config: BacktestConfig | None = None,
    progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Walk forward month by month, deciding at each month end from bars up to it only.

    At every month end (see :func:`cluster_core.strategies.rebalance_dates`) the features
    are computed with ``as_of`` = that bar, the universe choices applied, the clustering
    refitted with the current settings and the holdings chosen
    (:func:`cluster_core.strategies.target_weights`); they are held until the next month
    end, net of costs (:func:`cluster_core.strategies.simulate`). A month where no
    clustering is possible is held in cash, with a note.

    Raises
    ------
    DataError
        Fewer than two month ends after the first lookback window.
    """
    cfg = (config or BacktestConfig()).validated()
    fcfg = features or FeatureConfig()
    dates = _month_ends(data, fcfg, "A monthly walk-forward")
    decisions, labels, names, universes, notes = [], {}, {}, {}, []
    for i, date in enumerate(dates):
        try:
            view, prepared, fit = _fit_as_of(data, date, fcfg, universe, prep, clustering)
            profile = profile_clusters(view.features.X, fit.labels)
            target = target_weights(cfg, view.features.X, prepared.Z, fit.labels, profile.names)
            labels[date], names[date], universes[date] = fit.labels, profile.names, list(view.features.X.index)
        except ClusterCoreError as exc:
            target = pd.Series(dtype="float64")
            notes.append(f"{date:%Y-%m-%d}: held cash ({exc})")
        decisions.append((date, target))
        if progress is not None:
            progress(i + 1, len(dates), f"{date:%Y-%m}", f"{len(target)} holding(s)")
    rows = simulate(data.close, decisions, data.end, cfg.cost_bps)
    rows["n_clusters"] = [int(labels[d][labels[d] >= 0].nunique()) if d in labels else 0 for d in rows["date"]]
    curves = equity_curves(data, rows, universes)
    return BacktestResult(rows, curves, performance_metrics(curves, rows), labels, names, tuple(notes))


def _month_ends(data: MarketData, features: FeatureConfig, what: str) -> list[pd.Timestamp]:
    dates = rebalance_dates(data, features.lookback_days)
    if len(dates) < 2:
        raise DataError(
            f"{what} needs at least 2 month ends after the first {features.lookback_days}-day window; "
            f"the data has {len(dates)}. Shorten the lookback or load more history."
        )
    return dates


def _fit_as_of(
    data: MarketData, date: pd.Timestamp, features: FeatureConfig, universe: UniverseConfig | None,
    prep: PrepConfig | None, clustering: ClusterConfig | None,
) -> tuple[FeatureView, Prepared, Clustering]:
    """Features, preparation and clustering from the bars up to ``date`` only (no confidence: not shown)."""
    view = run_features(data, replace(features, as_of=date), universe)
    prepared = prepare(view, prep)
    return view, prepared, cluster(data, view, prepared, clustering, with_confidence=False)


def run_stability(
    data: MarketData,
    features: FeatureConfig | None = None,
    universe: UniverseConfig | None = None,
    prep: PrepConfig | None = None,
    clustering: ClusterConfig | None = None,
    months: int = 12,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Cluster as of each of the last ``months`` month ends and compare each with the month before.

    Each month is fitted from scratch on the bars up to its month end (as the
    walk-forward does), so this measures how far the groups hold from month to month.

    Returns
    -------
    DataFrame
        One row per month end: ``date``, ``k`` (clusters found), ``ari_vs_previous``
        (adjusted Rand index on the symbols present both months), ``n_changed`` and
        ``changed`` (symbols whose aligned cluster changed), ``silhouette``,
        ``clear_groups`` (False when automatic k found no structure).

    Raises
    ------
    DataError
        Fewer than two month ends after the first lookback window.
    ParameterError
        ``months`` below 2.
    """
    if not isinstance(months, int) or months < 2:
        raise ParameterError(f"`months` must be an integer >= 2; got {months!r}.")
    fcfg = features or FeatureConfig()
    dates = _month_ends(data, fcfg, "Month-to-month stability")[-months:]
    labels, quality = {}, {}
    for i, date in enumerate(dates):
        _, _, fit = _fit_as_of(data, date, fcfg, universe, prep, clustering)
        labels[date], quality[date] = fit.labels, (fit.quality["silhouette"], fit.has_groups)
        if progress is not None:
            progress(i + 1, len(dates), f"{date:%Y-%m}", f"{fit.n_clusters} clusters")
    table, _ = stability_over_time(labels)
    table = table.rename(columns={"clusters": "k"})
    table["silhouette"] = [quality[d][0] for d in table["date"]]
    table["clear_groups"] = [quality[d][1] for d in table["date"]]
    return table[["date", "k", "ari_vs_previous", "n_changed", "changed", "silhouette", "clear_groups"]]


def score_planted(
    market: PlantedMarket, prep: PrepConfig | None = None, clustering: ClusterConfig | None = None
) -> tuple[float, Clustering]:
    """Cluster a planted market through the product's pipeline; ARI against the planted groups.

    Features over the whole market, the universe as is, then :func:`prepare` and
    :func:`cluster` with the given settings (defaults: the product's). BTC, the
    benchmark, is clustered with the rest but not scored.

    Returns
    -------
    (ari, clustering)
    """
    view = run_features(market.data, FeatureConfig(lookback_days=int(market.data.span_days) - 1))
    fit = cluster(market.data, view, prepare(view, prep), clustering, with_confidence=False)
    scored = market.truth.index.intersection(fit.labels.index)
    return float(adjusted_rand_score(market.truth[scored], fit.labels[scored])), fit
