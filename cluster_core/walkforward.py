"""Month by month: every month end clustered on the bars up to it, then published, acted on, compared.

:func:`own_fits` fits each month end on its own (cached: every strategy, smoothness and
view reuses them); :func:`cluster_core.history.walk` publishes them (smoothed, aligned,
named); :func:`run_backtest`, :func:`run_stability` and :func:`run_peer_history` act on the
published months. A decision at a month end uses the bars up to it only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cluster_core._memo import Memo
from cluster_core._typing import ProgressCallback
from cluster_core.clustering import DEFAULT_SMOOTHNESS, ClusterConfig, continuum_tiers, validated_smoothness
from cluster_core.data import MarketData
from cluster_core.errors import ClusterCoreError, DataError, ParameterError
from cluster_core.features import FeatureConfig, PrepConfig
from cluster_core.history import Month, MonthFit, NameStatus, changes, tradeoff, walk
from cluster_core.interpretation import pegged_members, tiered_groups
from cluster_core.pipeline import UniverseConfig, cluster, prepare, run_features
from cluster_core.strategies import (
    BacktestConfig,
    BacktestResult,
    equity_curves,
    peer_laggards,
    performance_metrics,
    period_returns,
    rebalance_dates,
    simulate,
    target_weights,
)

__all__ = [
    "PEER_HISTORY_COLUMNS",
    "STABILITY_COLUMNS",
    "TRADEOFF_SMOOTHNESS",
    "PeerHistory",
    "StabilityResult",
    "Monthly",
    "clear_caches",
    "fit_as_of",
    "groups_to_act_on",
    "month_ends",
    "monthly",
    "own_fits",
    "run_backtest",
    "run_peer_history",
    "run_stability",
]


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
    walked = monthly(data, fcfg, universe, prep, clustering, cfg.smoothness, progress)
    published, notes = {m.date: m for m in walked.months}, list(walked.notes)
    decisions, held = [], pd.Index([])
    left_out: list[int] = []
    for date in walked.dates:
        month = published.get(date)
        target = pd.Series(dtype="float64")
        if month is not None:
            excluded = () if cfg.include_pegged else pegged_members(month.labels, month.names, month.own.pegged)
            left_out.append(len(excluded))
            labels, names = groups_to_act_on(month, cfg.tiers)
            try:
                target = target_weights(cfg, month.own.X, month.own.Z, labels, names, held, excluded)
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
                          tuple(sorted(notes)), tuple(left_out))


@dataclass(frozen=True, eq=False)
class Monthly:
    """A walk over every month end: the dates, the published months, what could not be clustered.

    Attributes
    ----------
    dates : list of Timestamp
        Every month end the lookback allows (:func:`month_ends`).
    months : list of Month
        The published months (:func:`cluster_core.history.walk`) of the month ends that
        could be clustered.
    notes : tuple of str
        One line per month end that could not ("2022-03-31: held cash (...)").
    smoothness : float
    """

    dates: list[pd.Timestamp]
    months: list[Month]
    notes: tuple[str, ...]
    smoothness: float

    @property
    def fits(self) -> list[MonthFit]:
        """The months' own fits."""
        return [m.own for m in self.months]


def monthly(
    data: MarketData,
    features: FeatureConfig | None = None,
    universe: UniverseConfig | None = None,
    prep: PrepConfig | None = None,
    clustering: ClusterConfig | None = None,
    smoothness: float = DEFAULT_SMOOTHNESS,
    progress: ProgressCallback | None = None,
    what: str = "A monthly walk-forward",
) -> Monthly:
    """Fit every month end on its own (:func:`own_fits`, cached) and publish them with ``smoothness``.

    Raises
    ------
    DataError
        Fewer than two month ends after the first lookback window (the message names ``what``).
    ParameterError
        ``smoothness`` outside [0, 0.9], or a clustering setting wrong whatever the month.
    """
    smoothness = validated_smoothness(smoothness)
    fcfg = features or FeatureConfig()
    dates = month_ends(data, fcfg, what)
    fits, notes = own_fits(data, dates, fcfg, universe, prep, clustering, progress)
    key = (data.fingerprint, fcfg, universe, prep, clustering, smoothness)
    return _WALKS.get(key, lambda: Monthly(dates, walk(fits, smoothness), tuple(notes), smoothness))


def groups_to_act_on(month: Month, n_tiers: int = 3) -> tuple[pd.Series, pd.Series]:
    """Return a published month's groups as the strategies use them: a continuum replaced by its tiers."""
    tiers = continuum_tiers(month.own.Z, month.labels, n_tiers) if month.own.fit.structure is not None else None
    return tiered_groups(month.labels, month.names, tiers)


def month_ends(data: MarketData, features: FeatureConfig, what: str) -> list[pd.Timestamp]:
    """Rebalance dates of a walk-forward (:func:`rebalance_dates`); :class:`DataError` naming ``what`` if < 2."""
    dates = rebalance_dates(data, features.lookback_days)
    if len(dates) < 2:
        raise DataError(
            f"{what} needs at least 2 month ends after the first {features.lookback_days}-day window; "
            f"the data has {len(dates)}. Shorten the lookback or load more history."
        )
    return dates


# Bounded in bytes too: a month's fit is ~50 KB at 150 symbols but ~1.7 MB at 5,000, a walk 30x that.
_MONTH_FITS = Memo(size=1024, max_bytes=512 * 2**20)  # a month end's own fit: the same for every strategy
_WALKS = Memo(size=64, max_bytes=512 * 2**20)  # a walk's published months: the same for every strategy and view


def clear_caches() -> None:
    """Forget the cached monthly fits and walks (benchmarks measure from scratch)."""
    _MONTH_FITS.clear()
    _WALKS.clear()


def own_fits(
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
            fit = _MONTH_FITS.get(key, lambda date=date: fit_as_of(data, date, features, universe, prep, clustering))
            fits.append(fit)
            status = f"{fit.fit.n_clusters} clusters"
        except ClusterCoreError as exc:
            notes.append(f"{date:%Y-%m-%d}: held cash ({exc})")
            status = "no clustering"
        if progress is not None:
            progress(i + 1, len(dates), f"{date:%Y-%m}", status)
    return fits, notes


def fit_as_of(
    data: MarketData, date: pd.Timestamp, features: FeatureConfig, universe: UniverseConfig | None,
    prep: PrepConfig | None, clustering: ClusterConfig | None,
) -> MonthFit:
    """Fit one month end: features, preparation and clustering from the bars up to ``date`` only (no confidence)."""
    view = run_features(data, replace(features, as_of=date), universe)
    prepared = prepare(view, prep)
    fitted = cluster(data, view, prepared, clustering, with_confidence=False)
    return MonthFit(date, view.features.X, prepared.Z, fitted, view.pegged)


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
    walked = monthly(data, features, universe, prep, clustering, smoothness, progress, "Month-to-month stability")
    fits = walked.fits
    if len(fits) < 2:
        raise DataError("Month-to-month stability needs at least 2 month ends that can be clustered; "
                        f"{len(fits)} can ({'; '.join(walked.notes)}).")
    last = len(fits) if months is None else min(months, len(fits))
    published = walked.months[-last:]
    smoothness = walked.smoothness
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


PEER_HISTORY_COLUMNS = ("date", "period_end", "cluster", "cluster_name", "leader", "leader_momentum", "leader_z",
                        "peer", "peer_momentum", "gap", "leader_next_return", "peer_next_return",
                        "group_next_return", "peer_vs_group")


@dataclass(frozen=True, eq=False)
class PeerHistory:
    """Peer laggards at every month end, and what they did the month after.

    Attributes
    ----------
    table : DataFrame
        :data:`PEER_HISTORY_COLUMNS`: one row per (month end, leader, lagging peer), as
        :func:`cluster_core.strategies.peer_laggards` finds them in that month's published
        groups (bars up to the month end only); then each symbol's return to the next
        month end (``period_end``; the last month runs to the last bar), the mean return
        of the peer's whole group, and ``peer_vs_group`` = peer minus group.
    summary : Series
        ``months``, ``months_with_signals``, ``laggards`` (distinct month-peer pairs),
        ``mean_peer_vs_group``, ``median_peer_vs_group``, ``peer_beat_group`` (share),
        ``mean_leader_vs_group``: over distinct month-peer (and month-leader) pairs.
    smoothness : float
    z_threshold : float
    """

    table: pd.DataFrame
    summary: pd.Series
    smoothness: float
    z_threshold: float


def run_peer_history(
    data: MarketData,
    features: FeatureConfig | None = None,
    universe: UniverseConfig | None = None,
    prep: PrepConfig | None = None,
    clustering: ClusterConfig | None = None,
    smoothness: float = DEFAULT_SMOOTHNESS,
    z_threshold: float = 1.5,
    progress: ProgressCallback | None = None,
    include_pegged: bool = False,
) -> PeerHistory:
    """Find the lagging peers of every month end's leaders and measure whether they caught up.

    The laggards of a month end come from that month's published groups and 30-day
    momentum (bars up to it); the returns that follow are the evaluation, over the month
    to the next month end, as a backtest's holding period. Pegged coins are left out
    unless ``include_pegged``.

    Raises
    ------
    DataError
        Fewer than two month ends after the first lookback window.
    ParameterError
        ``smoothness`` outside [0, 0.9], ``z_threshold`` outside [0, 10].
    """
    published = monthly(data, features, universe, prep, clustering, smoothness, progress, "Peers over time").months
    ends = [m.date for m in published[1:]] + [data.end]
    tables = []
    for month, end in zip(published, ends, strict=True):
        excluded = () if include_pegged else pegged_members(month.labels, month.names, month.own.pegged)
        labels, names = groups_to_act_on(month)
        found = peer_laggards(month.own.X, labels, names, z_threshold, excluded)
        if found.empty:
            continue
        members = labels[labels >= 0]
        growth = period_returns(data.close, list(members.index), month.date, end)
        group = growth.groupby(members).mean()
        found.insert(0, "date", month.date)
        found.insert(1, "period_end", end)
        found["leader_next_return"] = found["leader"].map(growth)
        found["peer_next_return"] = found["peer"].map(growth)
        found["group_next_return"] = found["cluster"].map(group)
        found["peer_vs_group"] = found["peer_next_return"] - found["group_next_return"]
        tables.append(found)
    table = (pd.concat(tables, ignore_index=True) if tables
             else pd.DataFrame(columns=list(PEER_HISTORY_COLUMNS)))[list(PEER_HISTORY_COLUMNS)]
    return PeerHistory(table, _peer_summary(table, len(published)), validated_smoothness(smoothness),
                       float(z_threshold))


def _peer_summary(table: pd.DataFrame, months: int) -> pd.Series:
    peers = table.drop_duplicates(["date", "peer"])
    leaders = table.drop_duplicates(["date", "leader"])
    edge = peers["peer_vs_group"].astype(float)
    return pd.Series({
        "months": months,
        "months_with_signals": int(table["date"].nunique()),
        "laggards": len(peers),
        "mean_peer_vs_group": float(edge.mean()) if len(edge) else np.nan,
        "median_peer_vs_group": float(edge.median()) if len(edge) else np.nan,
        "peer_beat_group": float((edge > 0).mean()) if len(edge) else np.nan,
        "mean_leader_vs_group": float((leaders["leader_next_return"] - leaders["group_next_return"]).mean())
        if len(leaders) else np.nan,
    })
