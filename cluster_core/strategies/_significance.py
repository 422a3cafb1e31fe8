"""How much a backtest can be believed: deflated Sharpe, PBO, bootstrap intervals, the JKM test, one verdict.

- **Probabilistic and deflated Sharpe ratio** (Bailey and López de Prado, 2012, 2014). The
  probability that the true Sharpe ratio exceeds a threshold ``SR*``, given ``T`` returns
  with skewness ``g3`` and kurtosis ``g4``::

      PSR(SR*) = Phi( (SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2) )

  (per-period Sharpe ratios). The *deflated* Sharpe ratio is ``PSR(SR0)``, where ``SR0`` is
  the Sharpe ratio the best of ``N`` unskilled trials with Sharpe variance ``V`` would show::

      SR0 = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e))),  gamma = 0.5772...

- **Probability of backtest overfitting** (Bailey, Borwein, López de Prado and Zhu, 2015),
  by combinatorially symmetric cross-validation (CSCV): the periods x settings matrix of
  returns is cut into ``S`` blocks of periods; for each of the ``C(S, S/2)`` halves, the
  setting with the best in-sample Sharpe ratio is ranked among all settings out of sample;
  ``lambda = logit(rank / (N + 1))``; PBO is the share of halves with ``lambda <= 0`` (the
  in-sample winner is at or below the out-of-sample median).
- **Block bootstrap** (circular blocks, Politis and Romano): intervals for CAGR and Sharpe
  that keep the months' short-range dependence.
- **Jobson-Korkie test with Memmel's correction** (2003) of the difference of two Sharpe
  ratios measured on the same periods::

      z = (SR_a - SR_b) / sqrt( (2 - 2 rho + (SR_a^2 + SR_b^2 - 2 SR_a SR_b rho^2) / 2) / T )
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from cluster_core._typing import FloatArray
from cluster_core.errors import DataError

__all__ = [
    "EULER_GAMMA",
    "Assessment",
    "assess_backtest",
    "BootstrapInterval",
    "Overfitting",
    "SharpeTest",
    "backtest_verdict",
    "block_bootstrap",
    "deflated_sharpe",
    "expected_max_sharpe",
    "jkm_test",
    "probabilistic_sharpe",
    "probability_of_overfitting",
]

EULER_GAMMA = 0.5772156649015329
SIGNIFICANCE = 0.05
DSR_CONFIDENCE = 0.95  # a deflated Sharpe ratio (a probability) must reach this for a setting to count as skilled


def probabilistic_sharpe(sharpe: float, threshold: float, n: int, skew: float, kurtosis: float) -> float:
    """Return ``PSR(threshold)``: the probability that the true per-period Sharpe ratio exceeds ``threshold``.

    Parameters
    ----------
    sharpe, threshold : float
        Per-period (not annualised) Sharpe ratios.
    n : int
        Number of returns.
    skew, kurtosis : float
        Of the returns; ``kurtosis`` is the plain (not excess) kurtosis, 3 for a normal.

    Examples
    --------
    >>> round(probabilistic_sharpe(0.0, 0.0, 60, 0.0, 3.0), 3)
    0.5
    """
    spread = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n < 2 or not spread > 0:
        return float("nan")
    return float(stats.norm.cdf((sharpe - threshold) * math.sqrt(n - 1) / math.sqrt(spread)))


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """Return ``SR0``, the expected maximum per-period Sharpe ratio of ``n_trials`` unskilled trials.

    ``variance`` is the variance of the trials' per-period Sharpe ratios. One trial: 0.
    """
    if n_trials < 2 or not variance > 0:
        return 0.0
    return float(math.sqrt(variance) * ((1 - EULER_GAMMA) * stats.norm.ppf(1 - 1 / n_trials)
                                        + EULER_GAMMA * stats.norm.ppf(1 - 1 / (n_trials * math.e))))


def deflated_sharpe(returns: pd.DataFrame) -> pd.Series:
    """Return each column's deflated Sharpe ratio, the trials being all the columns.

    Parameters
    ----------
    returns : DataFrame
        Periods x settings (e.g. the monthly returns of every setting of a sweep). A
        setting's own rows that are NaN are left out of its statistics; columns without
        two returns or without any spread get NaN and do not count as trials.

    Returns
    -------
    Series
        Index = the columns, values in [0, 1]: ``PSR(SR0)`` with ``N`` = the valid columns
        and ``V`` = the variance of their per-period Sharpe ratios.
    """
    moments = returns.agg(["mean", "std", "count", "skew"]).T
    moments["kurtosis"] = returns.kurt() + 3.0
    moments["sharpe"] = moments["mean"] / moments["std"].where(moments["std"] > 0)
    valid = moments["sharpe"].notna() & (moments["count"] >= 2)
    sr0 = expected_max_sharpe(int(valid.sum()), float(moments.loc[valid, "sharpe"].var(ddof=1))
                              if valid.sum() > 1 else 0.0)
    out = pd.Series(np.nan, index=returns.columns, name="deflated_sharpe")
    for column in moments.index[valid]:
        row = moments.loc[column]
        skew = 0.0 if np.isnan(row["skew"]) else row["skew"]
        kurtosis = 3.0 if np.isnan(row["kurtosis"]) else row["kurtosis"]
        out[column] = probabilistic_sharpe(row["sharpe"], sr0, int(row["count"]), skew, kurtosis)
    return out


@dataclass(frozen=True, eq=False)
class Overfitting:
    """CSCV's result.

    Attributes
    ----------
    pbo : float
        Share of the splits whose in-sample best setting ranks at or below the
        out-of-sample median.
    logits : array
        ``lambda`` of every split.
    n_blocks, n_splits, n_settings : int
    """

    pbo: float
    logits: FloatArray
    n_blocks: int
    n_splits: int
    n_settings: int


def probability_of_overfitting(returns: pd.DataFrame | FloatArray, n_blocks: int = 16) -> Overfitting:
    """Return the probability of backtest overfitting of a set of settings by CSCV.

    Parameters
    ----------
    returns : DataFrame or array of shape (n_periods, n_settings)
        Each setting's return per period (rows with a NaN anywhere are dropped: every
        setting must be measured on the same periods).
    n_blocks : int, default=16
        ``S``, even; lowered to the largest even number of periods available.

    Raises
    ------
    DataError
        Fewer than 2 settings or 4 complete periods.
    """
    M = np.asarray(returns, dtype=np.float64)
    M = M[~np.isnan(M).any(axis=1)]
    periods, n = M.shape
    if n < 2 or periods < 4:
        raise DataError(f"The probability of overfitting needs 2+ settings and 4+ periods they all cover; got {n} "
                        f"setting(s) and {periods} period(s).")
    s = min(n_blocks, periods) // 2 * 2
    block = np.array_split(np.arange(periods), s)
    sums = np.array([M[b].sum(axis=0) for b in block])
    squares = np.array([(M[b] ** 2).sum(axis=0) for b in block])
    counts = np.array([len(b) for b in block], dtype=np.float64)
    halves = np.array(list(combinations(range(s), s // 2)))
    splits = np.zeros((len(halves), s))
    splits[np.arange(len(halves))[:, None], halves] = 1.0

    def sharpe(weights: FloatArray) -> FloatArray:
        count = weights @ counts
        mean = (weights @ sums) / count[:, None]
        var = (weights @ squares) / count[:, None] - mean**2
        return mean / np.sqrt(np.clip(var * count[:, None] / (count[:, None] - 1), 1e-300, None))

    inside, outside = sharpe(splits), sharpe(1.0 - splits)
    best = inside.argmax(axis=1)
    chosen = outside[np.arange(len(best)), best][:, None]
    # its average rank among the settings out of sample (rankdata's "average" rule, without ranking every column)
    ranks = (outside < chosen).sum(axis=1) + ((outside == chosen).sum(axis=1) + 1) / 2.0
    omega = ranks / (n + 1.0)
    logits = np.log(omega / (1.0 - omega))
    return Overfitting(float((logits <= 0).mean()), logits, s, len(splits), n)


@dataclass(frozen=True)
class BootstrapInterval:
    """A statistic and its bootstrap interval."""

    value: float
    low: float
    high: float
    level: float

    @property
    def spans_zero(self) -> bool:
        """Whether the interval holds 0 (the sign is not established)."""
        return bool(self.low <= 0.0 <= self.high)


def _stat(name: str, r: FloatArray, periods_per_year: float) -> FloatArray:
    """``r``: (draws, periods) returns -> one statistic per draw (CAGR, Sharpe, or their difference to column 2)."""
    if name == "cagr":
        growth = np.prod(1.0 + r, axis=-1)
        return np.where(growth > 0, growth ** (periods_per_year / r.shape[-1]) - 1.0, -1.0)
    std = r.std(axis=-1, ddof=1)
    return np.where(std > 0, r.mean(axis=-1) / np.where(std > 0, std, 1.0) * math.sqrt(periods_per_year), 0.0)


def block_bootstrap(returns: pd.Series | FloatArray, statistic: str = "cagr", *, benchmark: FloatArray | None = None,
                    periods_per_year: float = 12.0, block: int = 3, n_draws: int = 4000, level: float = 0.95,
                    random_state: int = 0) -> BootstrapInterval:
    """Return a circular block bootstrap interval of a strategy's CAGR or Sharpe (or its excess over ``benchmark``).

    Parameters
    ----------
    returns : Series or array
        Period returns, in order.
    statistic : {"cagr", "sharpe"}
    benchmark : array, optional
        The benchmark's returns over the same periods, resampled with the same blocks: the
        interval is then of the difference (strategy's statistic minus the benchmark's).
    block : int, default=3
        Block length in periods (the months' dependence is short).

    Raises
    ------
    DataError
        Fewer than 4 returns.
    """
    r = np.asarray(returns, dtype=np.float64)
    if len(r) < 4 or np.isnan(r).any():
        raise DataError(f"A bootstrap interval needs 4+ complete returns; got {len(r)}.")
    rng = np.random.default_rng(random_state)
    n = len(r)
    starts = rng.integers(0, n, (n_draws, math.ceil(n / block)))
    index = ((starts[:, :, None] + np.arange(block)) % n).reshape(n_draws, -1)[:, :n]
    draws = _stat(statistic, r[index], periods_per_year)
    value = float(_stat(statistic, r[None, :], periods_per_year)[0])
    if benchmark is not None:
        b = np.asarray(benchmark, dtype=np.float64)
        draws = draws - _stat(statistic, b[index], periods_per_year)
        value -= float(_stat(statistic, b[None, :], periods_per_year)[0])
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return BootstrapInterval(value, float(low), float(high), level)


@dataclass(frozen=True)
class SharpeTest:
    """The Jobson-Korkie-Memmel test of ``SR_a - SR_b`` (annualised Sharpe ratios for display)."""

    sharpe_a: float
    sharpe_b: float
    z: float
    p_value: float
    n: int

    @property
    def significant(self) -> bool:
        """Whether the difference is significant at 5 % (two-sided)."""
        return bool(self.p_value < SIGNIFICANCE)


def jkm_test(a: pd.Series | FloatArray, b: pd.Series | FloatArray, periods_per_year: float = 12.0) -> SharpeTest:
    """Return the Jobson-Korkie-Memmel test of two return series' Sharpe ratios over the same periods.

    Raises
    ------
    DataError
        Fewer than 4 periods both cover.
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    t = len(x)
    if t < 4:
        raise DataError(f"The Jobson-Korkie-Memmel test needs 4+ periods both series cover; got {t}.")
    sx, sy = x.std(ddof=1), y.std(ddof=1)
    sr_a = x.mean() / sx if sx > 0 else 0.0
    sr_b = y.mean() / sy if sy > 0 else 0.0
    rho = float(np.corrcoef(x, y)[0, 1]) if sx > 0 and sy > 0 else 0.0
    theta = (2.0 - 2.0 * rho + 0.5 * (sr_a**2 + sr_b**2 - 2.0 * sr_a * sr_b * rho**2)) / t
    z = (sr_a - sr_b) / math.sqrt(theta) if theta > 0 else 0.0
    p = float(2.0 * stats.norm.sf(abs(z)))
    scale = math.sqrt(periods_per_year)
    return SharpeTest(float(sr_a * scale), float(sr_b * scale), float(z), p, t)


def backtest_verdict(name: str, test: SharpeTest, deflated: float | None = None) -> str:
    """Say in one line whether the strategy beats ``name``, as a pure function of the test (and the DSR).

    "beats" only when the Sharpe difference is positive and significant at 5 % *and* the
    deflated Sharpe ratio, when known, reaches :data:`DSR_CONFIDENCE`.
    """
    diff = f"Sharpe {test.sharpe_a:.2f} vs {test.sharpe_b:.2f}, p = {test.p_value:.2f} over {test.n} months"
    if test.significant and test.sharpe_a > test.sharpe_b:
        if deflated is None:
            return (f"Beats {name} on risk-adjusted return ({diff}); not yet deflated for the settings tried "
                    "(run a sweep on the Robustness page).")
        if deflated >= DSR_CONFIDENCE:
            return f"Beats {name} on risk-adjusted return ({diff}; deflated Sharpe {deflated:.2f})."
        return (f"Not shown to beat {name}: the difference is significant ({diff}) but the deflated Sharpe ratio "
                f"{deflated:.2f} is below {DSR_CONFIDENCE:.2f} once the settings tried are counted.")
    if test.significant:
        return f"Trails {name} on risk-adjusted return ({diff})."
    return f"Not distinguishable from {name} on risk-adjusted return ({diff}): the difference is within noise."


@dataclass(frozen=True, eq=False)
class Assessment:
    """What one backtest's headline numbers are worth.

    Attributes
    ----------
    cagr, sharpe : BootstrapInterval
        The strategy's CAGR and annualised Sharpe ratio with 95 % block-bootstrap intervals.
    excess_cagr : BootstrapInterval or None
        CAGR minus BTC's over the same months (paired resampling); None without BTC.
    vs_btc, vs_equal_weight : SharpeTest or None
        Jobson-Korkie-Memmel tests of the Sharpe difference.
    deflated_sharpe : float or None
        This setting's deflated Sharpe ratio in a sweep, when one ran.
    """

    cagr: BootstrapInterval
    sharpe: BootstrapInterval
    excess_cagr: BootstrapInterval | None
    vs_btc: SharpeTest | None
    vs_equal_weight: SharpeTest | None
    deflated_sharpe: float | None = None

    def verdicts(self) -> tuple[str, ...]:
        """One line per benchmark (:func:`backtest_verdict`)."""
        pairs = (("BTC buy & hold", self.vs_btc), ("the equal-weight universe", self.vs_equal_weight))
        return tuple(backtest_verdict(name, test, self.deflated_sharpe) for name, test in pairs if test is not None)


def assess_backtest(curves: pd.DataFrame, deflated: float | None = None, random_state: int = 0) -> Assessment:
    """Return the bootstrap intervals, the JKM tests and the verdicts of a backtest's equity curves.

    Parameters
    ----------
    curves : DataFrame
        :attr:`BacktestResult.curves`: ``strategy``, ``BTC``, ``equal_weight`` equity at
        each period end (the first row the start, 1).
    deflated : float, optional
        The setting's deflated Sharpe ratio from a sweep.

    Raises
    ------
    DataError
        Fewer than 4 months.
    """
    r = curves.pct_change().iloc[1:]
    years = (curves.index[-1] - curves.index[0]) / pd.Timedelta(days=365.25)
    per_year = len(r) / years if years > 0 else 12.0
    strategy = r["strategy"].to_numpy()

    def test(name: str) -> SharpeTest | None:
        if name not in r or r[name].isna().any():
            return None
        return jkm_test(strategy, r[name].to_numpy(), per_year)

    excess = None
    if "BTC" in r and not r["BTC"].isna().any():
        excess = block_bootstrap(strategy, "cagr", benchmark=r["BTC"].to_numpy(), periods_per_year=per_year,
                                 random_state=random_state)
    return Assessment(
        cagr=block_bootstrap(strategy, "cagr", periods_per_year=per_year, random_state=random_state),
        sharpe=block_bootstrap(strategy, "sharpe", periods_per_year=per_year, random_state=random_state),
        excess_cagr=excess, vs_btc=test("BTC"), vs_equal_weight=test("equal_weight"), deflated_sharpe=deflated,
    )
