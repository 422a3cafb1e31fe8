"""Acting on clusters: diversified picks, walk-forward backtests, peer laggards, stability, sectors."""

from cluster_core.strategies._backtest import (
    BACKTEST_COLUMNS,
    BacktestConfig,
    BacktestResult,
    Strategy,
    equity_curves,
    performance_metrics,
    period_returns,
    rebalance_dates,
    simulate,
    target_weights,
)
from cluster_core.strategies._peers import LAGGARD_COLUMNS, peer_laggards
from cluster_core.strategies._portfolio import (
    DEFAULT_MAX_WEIGHT,
    PickRule,
    Weighting,
    cap_weights,
    compare_portfolios,
    diversified_picks,
)
from cluster_core.strategies._stability import (
    align_labels,
    compare_with_sectors,
    label_changes,
    stability_over_time,
)

__all__ = [
    "BACKTEST_COLUMNS",
    "DEFAULT_MAX_WEIGHT",
    "LAGGARD_COLUMNS",
    "BacktestConfig",
    "BacktestResult",
    "PickRule",
    "Strategy",
    "Weighting",
    "align_labels",
    "cap_weights",
    "compare_portfolios",
    "compare_with_sectors",
    "diversified_picks",
    "equity_curves",
    "label_changes",
    "peer_laggards",
    "performance_metrics",
    "period_returns",
    "rebalance_dates",
    "simulate",
    "stability_over_time",
    "target_weights",
]
