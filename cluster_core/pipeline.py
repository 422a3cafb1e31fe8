"""One entry point per view of one window: a frozen, hashable config in, one result value out.

The pages reach them through :mod:`cluster_core.views`, which keeps each step keyed on
``(data.fingerprint, configs)``; the CLI calls them directly. Nothing here draws anything.
The month-by-month views (backtest, stability, peers over time) are in
:mod:`cluster_core.walkforward`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from cluster_core.clustering import (
    ClusterConfig,
    Clustering,
    ClusterMethod,
    Distance,
    Tiers,
    confidence,
    continuum_tiers,
    fit_clusters,
)
from cluster_core.data import MarketData
from cluster_core.errors import ParameterError
from cluster_core.features import (
    FeatureConfig,
    FeatureSet,
    Flag,
    Prepared,
    PrepConfig,
    apply_hygiene,
    compute_features,
    prepare_features,
    residual_returns,
    screen_universe,
)
from cluster_core.interpretation import ClusterProfile, profile_clusters
from cluster_core.reduction import Embedding, ReductionConfig, reduce_2d
from cluster_core.synthetic import PlantedMarket

__all__ = [
    "ClusterResult",
    "FeatureView",
    "UniverseConfig",
    "assemble",
    "cluster",
    "embed",
    "prepare",
    "run_clustering",
    "run_features",
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

    @property
    def pegged(self) -> tuple[str, ...]:
        """Kept symbols flagged pegged (stablecoins, gold tokens at rest): out of risk portfolios by default."""
        flagged = set(self.flags.loc[self.flags["flag"] == Flag.PEGGED.value, "symbol"])
        return tuple(s for s in self.features.X.index if s in flagged)


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
    tiers : Tiers or None
        Automatic k only, when one cluster holds half the symbols or more: quantile tiers
        along that continuum's main axis (:func:`cluster_core.clustering.continuum_tiers`).
    """

    view: FeatureView
    prepared: Prepared
    clustering: Clustering
    profile: ClusterProfile
    embedding: Embedding
    tiers: Tiers | None = None

    def table(self) -> pd.DataFrame:
        """Build the ``clusters.csv`` contract: symbol, cluster, cluster_name, x, y, the raw features, tier, confidence.

        ``tier`` is 1..n for the members of the continuum that :attr:`tiers` cuts, empty
        otherwise.
        """
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
        tier = self.tiers.tier if self.tiers is not None else pd.Series(dtype="Int64")
        table["tier"] = tier.reindex(labels.index).astype("Int64").to_numpy()
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
        fc = view.features.config
        returns = residual_returns(window_returns(data, view.features), fc.market_mode, fc.benchmark)
    fitted = fit_clusters(prepared.Z, cfg, order_by=view.features.X["annualized_vol"], returns=returns)
    return replace(fitted, confidence=confidence(prepared.Z, fitted)) if with_confidence else fitted


def embed(prepared: Prepared, config: ReductionConfig | None = None) -> Embedding:
    """2-D map of the prepared features (:func:`cluster_core.reduction.reduce_2d`)."""
    return reduce_2d(prepared.Z, config)


def assemble(
    view: FeatureView, prepared: Prepared, clustering: Clustering, embedding: Embedding, n_tiers: int = 3
) -> ClusterResult:
    """Name and profile the clusters, cut a continuum into ``n_tiers`` tiers, and bundle the parts."""
    profile = profile_clusters(view.features.X, clustering.labels, clustering.confidence)
    tiers = continuum_tiers(prepared.Z, clustering.labels, n_tiers) if clustering.structure is not None else None
    return ClusterResult(view, prepared, clustering, profile, embedding, tiers)


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
