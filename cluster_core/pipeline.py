"""One entry point per view: a frozen, hashable config in, one result value out.

The UI caches these calls keyed on ``(data.fingerprint, config)``; the CLI calls them
directly. Nothing here draws anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from cluster_core._memo import Memo
from cluster_core._typing import ProgressCallback
from cluster_core.clustering import (
    DEFAULT_SMOOTHNESS,
    ClusterConfig,
    Clustering,
    ClusterMethod,
    Distance,
    confidence,
    fit_clusters,
    validated_smoothness,
)
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
from cluster_core.history import Month, MonthFit, NameStatus, changes, tradeoff, walk
from cluster_core.interpretation import ClusterProfile, profile_clusters
from cluster_core.reduction import Embedding, ReductionConfig, reduce_2d
from cluster_core.strategies import (
    BacktestConfig,
    BacktestResult,
    equity_curves,
    performance_metrics,
    rebalance_dates,
    simulate,
    target_weights,
)
from cluster_core.synthetic import PlantedMarket

__all__ = [
    "ClusterResult",
    "FeatureView",
    "StabilityResult",
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
    are computed with ``as_of`` = that bar, the universe choices applied and the
    clustering refitted with the current settings (the month's own fit); the published
    clusters are that fit smoothed with the months before (``config.smoothness``,
    :func:`cluster_core.history.walk`), and the holdings are chosen from them
    (:func:`cluster_core.strategies.target_weights`, keeping holdings that are still
    good picks of their group); they are held until the next month end, net of costs
    (:func:`cluster_core.strategies.simulate`). A month where no clustering is possible
    is held in cash, with a note.

    Raises
    ------
    DataError
        Fewer than two month ends after the first lookback window.
    """
    cfg = (config or BacktestConfig()).validated()
    fcfg = features or FeatureConfig()
    dates = _month_ends(data, fcfg, "A monthly walk-forward")
    fits, notes = _own_fits(data, dates, fcfg, universe, prep, clustering, progress)
    published = {m.date: m for m in walk(fits, cfg.smoothness)}
    decisions, held = [], pd.Index([])
    for date in dates:
        month = published.get(date)
        target = pd.Series(dtype="float64")
        if month is not None:
            try:
                target = target_weights(cfg, month.own.X, month.own.Z, month.labels, month.names, held)
            except ClusterCoreError as exc:
                notes.append(f"{date:%Y-%m-%d}: held cash ({exc})")
        decisions.append((date, target))
        held = target.index
    rows = simulate(data.close, decisions, data.end, cfg.cost_bps)
    rows["n_clusters"] = [published[d].k if d in published else 0 for d in rows["date"]]
    universes = {d: list(m.own.X.index) for d, m in published.items()}
    curves = equity_curves(data, rows, universes)
    return BacktestResult(rows, curves, performance_metrics(curves, rows),
                          {d: m.labels for d, m in published.items()}, {d: m.names for d, m in published.items()},
                          tuple(sorted(notes)))


def _month_ends(data: MarketData, features: FeatureConfig, what: str) -> list[pd.Timestamp]:
    dates = rebalance_dates(data, features.lookback_days)
    if len(dates) < 2:
        raise DataError(
            f"{what} needs at least 2 month ends after the first {features.lookback_days}-day window; "
            f"the data has {len(dates)}. Shorten the lookback or load more history."
        )
    return dates


_MONTH_FITS = Memo(size=1024)  # a month end's own fit is the same for every strategy and smoothness


def _own_fits(
    data: MarketData, dates: list[pd.Timestamp], features: FeatureConfig, universe: UniverseConfig | None,
    prep: PrepConfig | None, clustering: ClusterConfig | None, progress: ProgressCallback | None,
) -> tuple[list[MonthFit], list[str]]:
    """Each month end's own fit (cached); months that cannot be clustered are noted and left out.

    A setting that is wrong whatever the month (k < 2, a negative eps) is raised at once.
    """
    (clustering or ClusterConfig()).validated(n_samples=2**31)
    fits, notes = [], []
    for i, date in enumerate(dates):
        key = (data.fingerprint, date, features, universe, prep, clustering)
        try:
            fit = _MONTH_FITS.get(key, lambda date=date: _fit_as_of(data, date, features, universe, prep, clustering))
            fits.append(fit)
            status = f"{fit.fit.n_clusters} clusters"
        except ClusterCoreError as exc:
            notes.append(f"{date:%Y-%m-%d}: held cash ({exc})")
            status = "no clustering"
        if progress is not None:
            progress(i + 1, len(dates), f"{date:%Y-%m}", status)
    return fits, notes


def _fit_as_of(
    data: MarketData, date: pd.Timestamp, features: FeatureConfig, universe: UniverseConfig | None,
    prep: PrepConfig | None, clustering: ClusterConfig | None,
) -> MonthFit:
    """Features, preparation and clustering from the bars up to ``date`` only (no confidence: not shown)."""
    view = run_features(data, replace(features, as_of=date), universe)
    prepared = prepare(view, prep)
    return MonthFit(date, view.features.X, prepared.Z, cluster(data, view, prepared, clustering, with_confidence=False))


TRADEOFF_SMOOTHNESS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
STABILITY_COLUMNS = ("date", "k", "ari_vs_previous", "n_changed", "changed", "silhouette",
                     "independent_silhouette", "clear_groups", "carried", "new_groups", "renamed_groups")


@dataclass(frozen=True, eq=False)
class StabilityResult:
    """Month-to-month stability of the published clusters.

    Attributes
    ----------
    table : DataFrame
        One row per reported month end (:data:`STABILITY_COLUMNS`): ``k``,
        ``ari_vs_previous`` (adjusted Rand index with the month before, on the symbols
        present both months), ``n_changed`` / ``changed`` (symbols whose group changed),
        ``silhouette`` (published clusters) and ``independent_silhouette`` (the month's
        own fit), ``clear_groups`` (the own fit found groups), ``carried`` (groups kept
        from last month because it did not), ``new_groups`` / ``renamed_groups``
        ("name" or "old → new", ``; ``-separated).
    tradeoff : DataFrame
        :func:`cluster_core.history.tradeoff` over the same months for a few smoothness
        values, the chosen one included.
    months : list of Month
        The reported months (labels aligned month to month, names, name status).
    smoothness : float
    """

    table: pd.DataFrame
    tradeoff: pd.DataFrame
    months: list[Month]
    smoothness: float


def run_stability(
    data: MarketData,
    features: FeatureConfig | None = None,
    universe: UniverseConfig | None = None,
    prep: PrepConfig | None = None,
    clustering: ClusterConfig | None = None,
    months: int | None = 12,
    progress: ProgressCallback | None = None,
    smoothness: float = DEFAULT_SMOOTHNESS,
) -> StabilityResult:
    """Cluster as of every month end, publish with ``smoothness``, and compare each month with the one before.

    Every month end is fitted on its bars only, as the walk-forward does; the history
    behind the smoothing starts at the first month end the lookback allows, and the
    last ``months`` (all when ``None``) are reported.

    Raises
    ------
    DataError
        Fewer than two month ends after the first lookback window, or fewer than two
        that can be clustered.
    ParameterError
        ``months`` below 2, ``smoothness`` outside [0, 0.9].
    """
    if months is not None and (not isinstance(months, int) or isinstance(months, bool) or months < 2):
        raise ParameterError(f"`months` must be an integer >= 2; got {months!r}.")
    smoothness = validated_smoothness(smoothness)
    fcfg = features or FeatureConfig()
    dates = _month_ends(data, fcfg, "Month-to-month stability")
    fits, notes = _own_fits(data, dates, fcfg, universe, prep, clustering, progress)
    if len(fits) < 2:
        raise DataError("Month-to-month stability needs at least 2 month ends that can be clustered; "
                        f"{len(fits)} can ({'; '.join(notes)}).")
    last = len(fits) if months is None else min(months, len(fits))
    published = walk(fits, smoothness)[-last:]
    moved = [changes(before, now) if before is not None else (np.nan, [])
             for before, now in zip([None, *published[:-1]], published, strict=True)]
    table = pd.DataFrame({"date": [m.date for m in published], "k": [m.k for m in published],
                          "ari_vs_previous": [ari for ari, _ in moved],
                          "n_changed": [len(symbols) for _, symbols in moved],
                          "changed": [", ".join(symbols) for _, symbols in moved]})
    table["silhouette"] = [m.silhouette for m in published]
    table["independent_silhouette"] = [m.own_silhouette for m in published]
    table["clear_groups"] = [m.own.fit.has_groups for m in published]
    table["carried"] = [m.carried for m in published]
    table["new_groups"] = ["; ".join(m.names[c] for c in m.status.index[m.status == NameStatus.NEW])
                           for m in published]
    table["renamed_groups"] = ["; ".join(f"{m.previous_names[c]} → {m.names[c]}"
                                         for c in m.status.index[m.status == NameStatus.RENAMED]) for m in published]
    values = sorted({*TRADEOFF_SMOOTHNESS, smoothness})
    return StabilityResult(table[list(STABILITY_COLUMNS)], tradeoff(fits, values, last), published, smoothness)


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
