"""Synthetic markets with known answers: the planted family, regime changes, a zoo of families breaking assumptions.

:mod:`._planted` holds the original planted family (groups that differ clearly in one
observable behaviour, a volume level per group), the regime-change market and the null
market; :mod:`._zoo` the families built unlike it (:class:`Family`).
"""

from cluster_core.synthetic._factors import factor_market
from cluster_core.synthetic._planted import (
    PlantedMarket,
    RegimeChange,
    null_market,
    planted_market,
    regime_change_market,
)
from cluster_core.synthetic._zoo import (
    FAMILIES,
    Family,
    continuum_market,
    gappy_market,
    jump_market,
    redundant_market,
    unequal_market,
    volume_continuum_market,
    zoo_market,
)

__all__ = [
    "FAMILIES",
    "Family",
    "PlantedMarket",
    "RegimeChange",
    "continuum_market",
    "factor_market",
    "gappy_market",
    "jump_market",
    "null_market",
    "planted_market",
    "redundant_market",
    "regime_change_market",
    "unequal_market",
    "volume_continuum_market",
    "zoo_market",
]
