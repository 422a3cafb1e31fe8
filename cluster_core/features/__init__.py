"""Behavioural features: vectorised computation, universe hygiene and preparation for clustering."""

from cluster_core.features._engine import FeatureConfig, FeatureSet, compute_features, window_bounds
from cluster_core.features._hygiene import HYGIENE_COLUMNS, Flag, apply_hygiene, screen_universe
from cluster_core.features._names import (
    BEHAVIOUR_FEATURES,
    DEFAULT_FEATURES,
    FEATURE_FAMILY,
    FEATURE_INFO,
    PRESETS,
    RETURN_BASED,
    SEED_FEATURES,
    VOLUME_LIKE,
    Feature,
    FeatureFamily,
    FeaturePreset,
    MarketMode,
    preset_of,
    resolve_features,
)
from cluster_core.features._persistence import Persistence, feature_persistence
from cluster_core.features._prepare import Prepared, PrepConfig, Scaling, prepare_features

__all__ = [
    "BEHAVIOUR_FEATURES",
    "DEFAULT_FEATURES",
    "FEATURE_FAMILY",
    "FEATURE_INFO",
    "PRESETS",
    "SEED_FEATURES",
    "FeatureFamily",
    "FeaturePreset",
    "preset_of",
    "resolve_features",
    "HYGIENE_COLUMNS",
    "RETURN_BASED",
    "VOLUME_LIKE",
    "Feature",
    "FeatureConfig",
    "FeatureSet",
    "Flag",
    "MarketMode",
    "Persistence",
    "PrepConfig",
    "Prepared",
    "Scaling",
    "apply_hygiene",
    "compute_features",
    "feature_persistence",
    "prepare_features",
    "screen_universe",
    "window_bounds",
]
