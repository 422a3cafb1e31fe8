"""Behavioural features: vectorised computation, universe hygiene and preparation for clustering."""

from cluster_core.features._engine import FeatureConfig, FeatureSet, compute_features, window_bounds
from cluster_core.features._hygiene import HYGIENE_COLUMNS, Flag, apply_hygiene, screen_universe
from cluster_core.features._names import (
    DEFAULT_FEATURES,
    FEATURE_INFO,
    RETURN_BASED,
    VOLUME_LIKE,
    Feature,
    MarketMode,
)
from cluster_core.features._prepare import Prepared, PrepConfig, Scaling, prepare_features

__all__ = [
    "DEFAULT_FEATURES",
    "FEATURE_INFO",
    "HYGIENE_COLUMNS",
    "RETURN_BASED",
    "VOLUME_LIKE",
    "Feature",
    "FeatureConfig",
    "FeatureSet",
    "Flag",
    "MarketMode",
    "PrepConfig",
    "Prepared",
    "Scaling",
    "apply_hygiene",
    "compute_features",
    "prepare_features",
    "screen_universe",
    "window_bounds",
]
