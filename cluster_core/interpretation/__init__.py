"""What each cluster *is*: statistics, z-score profiles, names true of their members, tiers of a continuum."""

from cluster_core.interpretation._profile import ClusterProfile, cluster_names, profile_clusters
from cluster_core.interpretation._rules import MEMBER_SHARE, NAMING_RULES, NOISE_NAME, PEGGED_NAME, NamingRule, Traits
from cluster_core.interpretation._tiers import TIER_COLUMNS, describe_tiers, pegged_members, tier_axis, tiered_groups
from cluster_core.interpretation._words import (
    BOUNDARY,
    CONFIDENCE_MEANS,
    STABILITY_MEANS,
    TENTATIVE,
    TENTATIVE_MEANS,
)

__all__ = [
    "BOUNDARY",
    "CONFIDENCE_MEANS",
    "STABILITY_MEANS",
    "TENTATIVE",
    "TENTATIVE_MEANS",
    "MEMBER_SHARE",
    "NAMING_RULES",
    "NOISE_NAME",
    "PEGGED_NAME",
    "TIER_COLUMNS",
    "ClusterProfile",
    "cluster_names",
    "NamingRule",
    "Traits",
    "describe_tiers",
    "pegged_members",
    "profile_clusters",
    "tier_axis",
    "tiered_groups",
]
