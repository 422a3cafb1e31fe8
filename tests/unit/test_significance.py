"""Deflated Sharpe, PBO, bootstrap intervals, the JKM test and the verdict: known answers and slow references."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster_core.errors import DataError
from cluster_core.strategies import (
    SharpeTest,
    assess_backtest,
    backtest_verdict,
    block_bootstrap,
    deflated_sharpe,
    expected_max_sharpe,
    jkm_test,
    probabilistic_sharpe,
    probability_of_overfitting,
)


def test_the_deflated_sharpe_ratio_of_the_papers_worked_example():
    """Bailey and López de Prado (2014), section 5: 100 trials, annualised SR 2.5 and variance 0.5, 5 years daily."""
    sr0 = expected_max_sharpe(100, 0.5 / 250)
    assert sr0 == pytest.approx(0.1132, abs=1e-4)
    assert probabilistic_sharpe(2.5 / math.sqrt(250), sr0, 1250, -3.0, 10.0) == pytest.approx(0.9004, abs=1e-3)


def test_deflated_sharpe_counts_every_column_as_a_trial():
    rng = np.random.default_rng(0)
    returns = pd.DataFrame(rng.normal(0.01, 0.05, (60, 20)))
    sharpe = returns.mean() / returns.std()
    sr0 = expected_max_sharpe(20, float(sharpe.var(ddof=1)))
    best = int(sharpe.idxmax())
    column = returns[best]
    expected = probabilistic_sharpe(sharpe[best], sr0, 60, column.skew(), column.kurt() + 3)
    assert deflated_sharpe(returns)[best] == pytest.approx(expected, rel=1e-12)
    assert deflated_sharpe(returns)[best] < probabilistic_sharpe(sharpe[best], 0.0, 60, column.skew(),
                                                                 column.kurt() + 3)  # deflation only lowers it


def _slow_pbo(M: np.ndarray, s: int) -> np.ndarray:
    """CSCV as the paper writes it: a loop over the halves, the Sharpe ratio of the rows each half holds."""
    blocks = np.array_split(np.arange(len(M)), s)
    logits = []
    for half in combinations(range(s), s // 2):
        inside = np.concatenate([blocks[i] for i in half])
        outside = np.concatenate([blocks[i] for i in range(s) if i not in half])
        sr_in = M[inside].mean(axis=0) / M[inside].std(axis=0, ddof=1)
        sr_out = pd.Series(M[outside].mean(axis=0) / M[outside].std(axis=0, ddof=1))
        rank = sr_out.rank().iloc[int(np.argmax(sr_in))]
        omega = rank / (M.shape[1] + 1)
        logits.append(math.log(omega / (1 - omega)))
    return np.array(logits)


def test_pbo_equals_the_papers_loop():
    M = np.random.default_rng(4).normal(0.0, 0.05, (30, 12))
    fast = probability_of_overfitting(M, n_blocks=8)
    np.testing.assert_allclose(fast.logits, _slow_pbo(M, 8), atol=1e-9)
    assert fast.n_splits == math.comb(8, 4)


def test_pbo_of_pure_noise_is_near_one_half_over_seeds():
    pbos = [probability_of_overfitting(np.random.default_rng(seed).normal(0, 0.05, (120, 50))).pbo
            for seed in range(20)]
    assert abs(np.mean(pbos) - 0.5) <= 0.1


@pytest.mark.parametrize("seed", range(10))
def test_pbo_with_one_skilled_strategy_among_noise_is_low(seed):
    M = np.random.default_rng(100 + seed).normal(0, 0.05, (120, 50))
    M[:, 7] += 0.03  # a monthly Sharpe ratio of 0.6 for one setting
    assert probability_of_overfitting(M).pbo < 0.2


def test_pbo_needs_settings_and_shared_periods():
    with pytest.raises(DataError, match="2\\+ settings"):
        probability_of_overfitting(np.zeros((10, 1)))
    M = np.ones((10, 3))
    M[:8, 0] = np.nan  # only two periods every setting covers
    with pytest.raises(DataError, match="4\\+ periods"):
        probability_of_overfitting(M)


def _reference_jkm(x: np.ndarray, y: np.ndarray) -> float:
    """Memmel (2003): the test in means, deviations and covariance (not Sharpe ratios), with sample moments."""
    t = len(x)
    mu1, mu2, s1, s2 = x.mean(), y.mean(), x.std(ddof=1), y.std(ddof=1)
    s12 = np.cov(x, y)[0, 1]
    var = (2 * s1**2 * s2**2 - 2 * s1 * s2 * s12 + 0.5 * mu1**2 * s2**2 + 0.5 * mu2**2 * s1**2
           - mu1 * mu2 * s12**2 / (s1 * s2)) / t
    return (s2 * mu1 - s1 * mu2) / math.sqrt(var)


def test_jkm_matches_memmels_formula_and_holds_its_size_under_the_null():
    rng = np.random.default_rng(1)
    x, y = rng.normal(0.02, 0.1, 48), rng.normal(0.0, 0.1, 48)
    assert jkm_test(x, y).z == pytest.approx(_reference_jkm(x, y), rel=1e-9)
    rejections = np.mean([jkm_test(*rng.normal(0.01, 0.1, (2, 60))).significant for _ in range(2000)])
    assert 0.03 <= rejections <= 0.08  # a 5 % test rejects about 5 % of equal-Sharpe pairs


def test_bootstrap_intervals_hold_the_estimate_and_tell_signal_from_noise():
    rng = np.random.default_rng(2)
    noise = rng.normal(0.0, 0.1, 36)
    strong = rng.normal(0.08, 0.02, 36)
    for statistic in ("cagr", "sharpe"):
        interval = block_bootstrap(noise, statistic)
        assert interval.low <= interval.value <= interval.high and interval.spans_zero
        assert not block_bootstrap(strong, statistic).spans_zero
    paired = block_bootstrap(strong, "cagr", benchmark=strong)
    assert paired.value == 0.0 and paired.low == paired.high == 0.0  # the same months resampled together
    with pytest.raises(DataError):
        block_bootstrap(noise[:3])


@settings(max_examples=200, deadline=None)
@given(sa=st.floats(-3, 3), sb=st.floats(-3, 3), p=st.floats(0, 1), dsr=st.one_of(st.none(), st.floats(0, 1)))
def test_the_verdict_says_beats_only_with_a_significant_positive_difference_and_skill(sa, sb, p, dsr):
    line = backtest_verdict("BTC", SharpeTest(sa, sb, 0.0, p, 36), dsr)
    if line.startswith("Beats"):
        assert p < 0.05 and sa > sb and (dsr is None or dsr >= 0.95)
        assert dsr is not None or "not yet deflated" in line


def test_on_pure_noise_markets_the_best_of_a_sweep_never_beats_its_benchmark():
    """200 noise markets: 50 settings of pure-noise monthly returns, the best one by Sharpe, as an analyst picks it."""
    significant = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        settings_ = pd.DataFrame(rng.normal(0.01, 0.2, (36, 50)))
        benchmark = rng.normal(0.01, 0.2, 36)
        best = (settings_.mean() / settings_.std()).idxmax()
        test = jkm_test(settings_[best], benchmark)
        significant += test.significant
        assert not backtest_verdict("BTC", test, deflated_sharpe(settings_)[best]).startswith("Beats")
    assert significant > 10  # the best of 50 noise settings often *looks* significant: the deflation is what saves us


@pytest.fixture(scope="module")
def hourly_backtest(hourly):
    from cluster_core.walkforward import run_backtest

    return run_backtest(hourly)


def test_the_assessment_of_the_bundled_default_backtest(hourly_backtest):
    a = assess_backtest(hourly_backtest.curves)
    metrics = hourly_backtest.metrics
    assert a.cagr.value == pytest.approx(metrics.loc["strategy", "CAGR"], rel=1e-9)
    assert a.excess_cagr.value == pytest.approx(metrics.loc["strategy", "CAGR"] - metrics.loc["BTC", "CAGR"],
                                                rel=1e-9)
    assert a.vs_btc.n == len(hourly_backtest.rows)
    assert len(a.verdicts()) == 2 and all("Beats" not in v for v in a.verdicts())
