"""Feature persistence: whether a feature ranks the assets the same way in the next window."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cluster_core._typing import ProgressCallback
from cluster_core.data import MarketData
from cluster_core.errors import DataError
from cluster_core.features._engine import FeatureConfig, compute_features
from cluster_core.features._names import DEFAULT_FEATURES, FEATURE_FAMILY, Feature

__all__ = ["Persistence", "feature_persistence"]


@dataclass(frozen=True, eq=False)
class Persistence:
    """Cross-sectional rank persistence of every feature.

    Attributes
    ----------
    table : DataFrame
        One row per feature, most persistent first: ``feature``, ``family``,
        ``in_default``, ``median_spearman``, ``min_spearman``, ``max_spearman``,
        ``pairs``.
    pairs : DataFrame
        Index the end of the later window, one column per feature: the Spearman rank
        correlation between that window's values and the previous window's, on the
        symbols present in both.
    window_ends : tuple of Timestamp
    """

    table: pd.DataFrame
    pairs: pd.DataFrame
    window_ends: tuple[pd.Timestamp, ...]


def feature_persistence(
    data: MarketData, config: FeatureConfig | None = None, progress: ProgressCallback | None = None
) -> Persistence:
    """Spearman correlation of each feature between consecutive, non-overlapping windows.

    The windows are ``lookback_days`` long and end at ``config.as_of`` (default: the
    last bar), one lookback before it, two before, ... as long as a whole window fits
    in the data. A feature whose ranks persist (volatility, liquidity) describes how an
    asset behaves; one whose ranks do not (a window's return) describes what happened.

    Raises
    ------
    DataError
        Fewer than 3 whole windows fit in the data (2 pairs).
    """
    cfg = (config or FeatureConfig()).validated()
    end = data.end if cfg.as_of is None else min(cfg.as_of, data.end)
    step = pd.Timedelta(days=cfg.lookback_days)
    ends = []
    while end - step >= data.start - data.interval:
        ends.append(end)
        end = end - step
    ends = ends[::-1]
    if len(ends) < 3:
        raise DataError(
            f"Feature persistence needs at least 3 whole {cfg.lookback_days}-day windows; the data hold {len(ends)}. "
            "Shorten the lookback or load more history."
        )
    frames = []
    for i, window_end in enumerate(ends):
        frames.append(compute_features(data, replace(cfg, as_of=window_end)).X)
        if progress is not None:
            progress(i + 1, len(ends), f"{window_end:%Y-%m-%d}", "")
    rows = {}
    for before, after, window_end in zip(frames, frames[1:], ends[1:], strict=False):
        common = before.index.intersection(after.index)
        rows[window_end] = {
            f.value: before.loc[common, f.value].corr(after.loc[common, f.value], method="spearman")
            if len(common) >= 3 else np.nan
            for f in Feature
        }
    pairs = pd.DataFrame.from_dict(rows, orient="index")
    pairs.index.name = "window_end"
    default = {f.value for f in DEFAULT_FEATURES}
    table = pd.DataFrame({
        "feature": pairs.columns,
        "family": [FEATURE_FAMILY[Feature(f)].value for f in pairs.columns],
        "in_default": [f in default for f in pairs.columns],
        "median_spearman": pairs.median().to_numpy(),
        "min_spearman": pairs.min().to_numpy(),
        "max_spearman": pairs.max().to_numpy(),
        "pairs": pairs.notna().sum().to_numpy(),
    }).sort_values("median_spearman", ascending=False, ignore_index=True)
    return Persistence(table, pairs, tuple(ends))
