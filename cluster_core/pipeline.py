"""One entry point per view: a frozen, hashable config in, one result value out.

The UI caches these calls keyed on ``(data.fingerprint, config)``; the CLI calls them
directly. Nothing here draws anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cluster_core.data import MarketData
from cluster_core.errors import ParameterError
from cluster_core.features import (
    FeatureConfig,
    FeatureSet,
    Flag,
    apply_hygiene,
    compute_features,
    screen_universe,
)

__all__ = ["FeatureView", "UniverseConfig", "run_features"]


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
