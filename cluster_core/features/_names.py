"""Feature names, their definitions, and the default subset (DESIGN.md, "Feature definitions")."""

from __future__ import annotations

from enum import StrEnum


class Feature(StrEnum):
    """Behavioural features, one column each in ``FeatureSet.X``."""

    ANNUALIZED_RETURN = "annualized_return"
    ANNUALIZED_VOL = "annualized_vol"
    SHARPE = "sharpe"
    SKEWNESS = "skewness"
    KURTOSIS = "kurtosis"
    VAR_95 = "var_95"
    CVAR_95 = "cvar_95"
    MOMENTUM_30D = "momentum_30d"
    TREND_STRENGTH = "trend_strength"
    MAX_DRAWDOWN = "max_drawdown"
    BTC_CORR = "btc_corr"
    AVG_DAILY_VOLUME_USD = "avg_daily_volume_usd"
    BETA_BTC = "beta_btc"
    DOWNSIDE_VOL = "downside_vol"
    SORTINO = "sortino"
    AUTOCORR_1 = "autocorr_1"
    AMIHUD = "amihud_illiquidity"


class MarketMode(StrEnum):
    """How return-based features treat the common market factor."""

    RAW = "raw"
    BTC_RESIDUAL = "btc-residual"
    PC1_RESIDUAL = "pc1-residual"


# r: simple returns of the window's bars (|r| < 1e-12, float rounding of an unchanged
# price, counts as 0), P: bars per year (8,760 hourly, 365 daily), b: the benchmark's
# returns (BTC by default) on the same bars. "std(r) = 0" means a variance below 1e-14 of
# the mean square of r (rounding noise: a constant price, or a constant return).
FEATURE_INFO: dict[Feature, tuple[str, str]] = {
    Feature.ANNUALIZED_RETURN: ("mean(r) * P", "per year, simple"),
    Feature.ANNUALIZED_VOL: ("std(r, ddof=1) * sqrt(P)", "per sqrt(year)"),
    Feature.SHARPE: ("mean(r) / std(r) * sqrt(P); 0 when std(r) = 0", "ratio, risk-free rate 0"),
    Feature.SKEWNESS: ("sample skewness of r (pandas' bias-corrected G1); 0 when std(r) = 0", "unitless"),
    Feature.KURTOSIS: ("sample excess kurtosis of r (pandas' G2); 0 when std(r) = 0", "unitless"),
    Feature.VAR_95: ("5th percentile of r (linear interpolation)", "per bar, negative = loss"),
    Feature.CVAR_95: ("mean of r at or below var_95", "per bar"),
    Feature.MOMENTUM_30D: ("close(t) / close(t - 30 days) - 1, each the last close within one day before", "simple"),
    Feature.TREND_STRENGTH: ("|mean(r)| / std(r); 0 when std(r) = 0", "per bar"),
    Feature.MAX_DRAWDOWN: ("min(close / cummax(close) - 1) over the window's bars", "fraction, <= 0"),
    Feature.BTC_CORR: ("Pearson corr(r, b) on bars where both exist; 0 when either is constant", "[-1, 1]"),
    Feature.AVG_DAILY_VOLUME_USD: ("mean USD volume per bar with a known volume * bars per day", "USD per day"),
    Feature.BETA_BTC: ("cov(r, b) / var(b) on bars where both exist", "unitless"),
    Feature.DOWNSIDE_VOL: ("sqrt(mean(min(r, 0)^2)) * sqrt(P)", "per sqrt(year)"),
    Feature.SORTINO: ("mean(r) * P / downside_vol; 0 when downside_vol = 0", "ratio"),
    Feature.AUTOCORR_1: ("Pearson corr(r_t, r_t-1) on consecutive bars that both exist", "[-1, 1]"),
    Feature.AMIHUD: ("mean(|r| / volume_usd) over bars with volume > 0, * 1e6", "return per USD million"),
}

class FeatureFamily(StrEnum):
    """What a feature measures, and so whether it should decide which assets are alike."""

    BEHAVIOUR = "behaviour"  # persistent risk and structure: how the asset moves
    PERFORMANCE = "performance"  # what the window happened to return


FEATURE_FAMILY: dict[Feature, FeatureFamily] = {
    **{f: FeatureFamily.BEHAVIOUR for f in Feature},
    **{
        f: FeatureFamily.PERFORMANCE
        for f in (
            Feature.ANNUALIZED_RETURN,
            Feature.SHARPE,
            Feature.SORTINO,
            Feature.MOMENTUM_30D,
            Feature.TREND_STRENGTH,
            Feature.MAX_DRAWDOWN,
        )
    },
}

class Trait(StrEnum):
    """What a feature measures, finer than its family: near-duplicate measures of one trait count once.

    Volatility, downside volatility, VaR and CVaR are four estimates of one risk level
    (rank correlations 0.9+ across the bundled coins); counted column by column they
    would outvote beta four to one. :func:`cluster_core.features.prepare_features`
    weights each column by ``1 / sqrt(columns of its trait)``, so every trait carries the
    same total variance however many columns measure it.
    """

    RISK = "risk level"
    MARKET = "market link"
    LIQUIDITY = "liquidity"
    TAILS = "tails"
    MEMORY = "memory"
    RETURN = "window return"
    DRAWDOWN = "drawdown"


FEATURE_TRAIT: dict[Feature, Trait] = {
    Feature.ANNUALIZED_VOL: Trait.RISK,
    Feature.DOWNSIDE_VOL: Trait.RISK,
    Feature.VAR_95: Trait.RISK,
    Feature.CVAR_95: Trait.RISK,
    Feature.BETA_BTC: Trait.MARKET,
    Feature.BTC_CORR: Trait.MARKET,
    Feature.AVG_DAILY_VOLUME_USD: Trait.LIQUIDITY,
    Feature.AMIHUD: Trait.LIQUIDITY,
    Feature.SKEWNESS: Trait.TAILS,
    Feature.KURTOSIS: Trait.TAILS,
    Feature.AUTOCORR_1: Trait.MEMORY,
    Feature.ANNUALIZED_RETURN: Trait.RETURN,
    Feature.SHARPE: Trait.RETURN,
    Feature.SORTINO: Trait.RETURN,
    Feature.TREND_STRENGTH: Trait.RETURN,
    Feature.MOMENTUM_30D: Trait.RETURN,
    Feature.MAX_DRAWDOWN: Trait.DRAWDOWN,
}

# Scale measures whose spread across coins is multiplicative (a coin at 150 % volatility
# differs from one at 50 % as one at 30 % differs from one at 10 %): clustered on their
# logarithm, VaR and CVaR on the logarithm of their magnitude.
RISK_SCALES: frozenset[Feature] = frozenset(
    {Feature.ANNUALIZED_VOL, Feature.DOWNSIDE_VOL, Feature.VAR_95, Feature.CVAR_95}
)

# The default: the behaviour features whose cross-sectional ranks persist from one
# window to the next on both bundled data sets (median Spearman >= 0.36 daily, >= 0.62
# hourly; docs/methodology.md, "Feature persistence"). Skewness, kurtosis and lag-1 autocorrelation
# are behaviour too but barely persist (median Spearman 0.04-0.32), so they are opt-in;
# jump risk still reaches the clusters through VaR and CVaR.
BEHAVIOUR_FEATURES: tuple[Feature, ...] = (
    Feature.ANNUALIZED_VOL,
    Feature.DOWNSIDE_VOL,
    Feature.VAR_95,
    Feature.CVAR_95,
    Feature.BETA_BTC,
    Feature.BTC_CORR,
    Feature.AVG_DAILY_VOLUME_USD,
    Feature.AMIHUD,
)

# The twelve features of the product's first specification, mixing both families.
SEED_FEATURES: tuple[Feature, ...] = (
    Feature.ANNUALIZED_RETURN,
    Feature.ANNUALIZED_VOL,
    Feature.SHARPE,
    Feature.SKEWNESS,
    Feature.KURTOSIS,
    Feature.VAR_95,
    Feature.CVAR_95,
    Feature.MOMENTUM_30D,
    Feature.TREND_STRENGTH,
    Feature.MAX_DRAWDOWN,
    Feature.BTC_CORR,
    Feature.AVG_DAILY_VOLUME_USD,
)

DEFAULT_FEATURES: tuple[Feature, ...] = BEHAVIOUR_FEATURES


class FeaturePreset(StrEnum):
    """Named feature sets offered in the sidebar and the CLI."""

    BEHAVIOUR = "behaviour"
    SEED = "seed"
    ALL = "all"


PRESETS: dict[FeaturePreset, tuple[Feature, ...]] = {
    FeaturePreset.BEHAVIOUR: BEHAVIOUR_FEATURES,
    FeaturePreset.SEED: SEED_FEATURES,
    FeaturePreset.ALL: tuple(Feature),
}


def preset_of(features: tuple[str, ...] | list[str]) -> FeaturePreset | None:
    """Return the preset with exactly these features (any order), or ``None`` for a custom pick."""
    chosen = {Feature(f) for f in features}
    return next((p for p, fs in PRESETS.items() if set(fs) == chosen), None)


# Computed from returns, so replaced by their residual version in a market mode.
RETURN_BASED: frozenset[Feature] = frozenset(
    {
        Feature.ANNUALIZED_RETURN,
        Feature.ANNUALIZED_VOL,
        Feature.SHARPE,
        Feature.SKEWNESS,
        Feature.KURTOSIS,
        Feature.VAR_95,
        Feature.CVAR_95,
        Feature.TREND_STRENGTH,
        Feature.DOWNSIDE_VOL,
        Feature.SORTINO,
        Feature.AUTOCORR_1,
    }
)

VOLUME_LIKE: frozenset[Feature] = frozenset({Feature.AVG_DAILY_VOLUME_USD, Feature.AMIHUD})


def resolve_features(preset: str, custom: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """Return the features of a preset name, or ``custom`` for any other name (the default set when empty).

    Examples
    --------
    >>> resolve_features("custom", ["btc_corr", "annualized_vol"])
    ('btc_corr', 'annualized_vol')
    >>> len(resolve_features("seed"))
    12
    """
    if preset in {p.value for p in FeaturePreset}:
        return tuple(f.value for f in PRESETS[FeaturePreset(preset)])
    return tuple(custom) or tuple(f.value for f in DEFAULT_FEATURES)
