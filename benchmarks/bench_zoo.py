"""Automatic k on markets built unlike each other: the zoo of :mod:`cluster_core.synthetic`, on held-out seeds.

Every family at 300 and 1,000 symbols, on three seed sets: 0-9 (the seeds the thresholds of
:mod:`cluster_core.clustering._groups` were chosen on), 500-509 (held out, looked at once after
the choice) and 600-609 (held out, first seen in this benchmark). Quality rows, not timings:
``engine`` is the time the set took. Then calibration (mean confidence against the share of
symbols placed with their true group, Hungarian matching) and the 5,000-symbol grid market
through the CLI.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from benchmarks._harness import Row, run_cli
from benchmarks._synthetic import write_partitioned
from cluster_core.clustering import ClusterConfig, confidence
from cluster_core.features import FeatureConfig
from cluster_core.pipeline import cluster, prepare, run_features
from cluster_core.synthetic import Family, volume_continuum_market, zoo_market

SEED_SETS = {"tuning 0-9": range(10), "held-out 500-509": range(500, 510), "held-out 600-609": range(600, 610)}
SIZES = (300, 1000)
CALIBRATION_SEEDS = range(600, 610)


def _fit(family: Family, seed: int, n: int) -> tuple[pd.Series, object, pd.DataFrame]:
    """The product's path on one zoo market: the planted truth (scored symbols), the fit, the prepared features."""
    market = zoo_market(family, seed, n)
    view = run_features(market.data, FeatureConfig(lookback_days=int(market.data.span_days) - 1))
    prepared = prepare(view)
    fit = cluster(market.data, view, prepared, ClusterConfig(), with_confidence=False)
    scored = market.truth.index.intersection(fit.labels.index)
    return market.truth[scored], fit, prepared.Z


def _family_row(family: Family, n: int, label: str, seeds: range) -> Row:
    start = time.perf_counter()
    scores, right_k, verdicts = [], 0, 0
    for seed in seeds:
        truth, fit, _ = _fit(family, seed, n)
        scores.append(adjusted_rand_score(truth, fit.labels[truth.index]))
        found = fit.labels[truth.index].nunique()
        right_k += found == truth.nunique()
        verdicts += not fit.has_groups if family is Family.CONTINUUM else scores[-1] == 1.0
    seconds = time.perf_counter() - start
    note = f"ARI median {np.median(scores):.3f}, 10th pct {np.percentile(scores, 10):.3f}, worst {min(scores):.3f}"
    if family is Family.CONTINUUM:
        note += f"; 'no clear groups' in {verdicts}/{len(scores)} (target 9+)"
    elif family is Family.CONTINUUM_PEGGED:
        note += f"; the pegged coins isolated exactly in {verdicts}/{len(scores)} (target 9+)"
    else:
        note += f"; right k in {right_k}/{len(scores)} (target median >= 0.9, 10th pct >= 0.75)"
    size = "3-10 groups of 4-25" if family is Family.PLANTED else f"{n:,} symbols"
    return Row(f"zoo {family.value}, {label}", f"{size} x {len(scores)}", seconds, None, note=note)


def _placed(truth: pd.Series, labels: pd.Series) -> float:
    """Share of symbols in the cluster matched one-to-one (Hungarian) to their true group."""
    table = pd.crosstab(truth, labels)
    rows, cols = linear_sum_assignment(-table.to_numpy())
    return float(table.to_numpy()[rows, cols].sum() / len(truth))


def _calibration(family: Family, n: int = 300) -> Row:
    start = time.perf_counter()
    gaps, aris, confidences = [], [], []
    for seed in CALIBRATION_SEEDS:
        truth, fit, Z = _fit(family, seed, n)
        labels = fit.labels[truth.index]
        aris.append(adjusted_rand_score(truth, labels))
        confidences.append(float(confidence(Z, fit)[truth.index].mean()))
        gaps.append(abs(confidences[-1] - _placed(truth, labels)))
    seconds = time.perf_counter() - start
    poor = [c for a, c in zip(aris, confidences, strict=True) if a < 0.6]
    tail = f"; ARI < 0.6 in {len(poor)}, their mean confidence {max(poor):.2f} at most" if poor else \
        "; no market with ARI < 0.6"
    return Row(f"calibration, {family.value}", f"{n} symbols x {len(gaps)} (seeds 600-609)", seconds, None,
               note=f"|mean confidence - share placed with its true group|: median {np.median(gaps):.3f}, "
                    f"max {max(gaps):.3f} (target median <= 0.1); mean confidence {np.mean(confidences):.2f}{tail}")


def _grid_cli(folder: Path) -> Row:
    """The issue's case: 5,000 hourly symbols x 90 days, 4 betas x 3 idiosyncratic volatilities, volume a spread."""
    market = volume_continuum_market(0, 5000, grid=True)
    write_partitioned(market.data, folder / "grid", by="month")
    out = folder / "grid.csv"
    seconds, rss, status = run_cli("cluster", "--data", str(folder / "grid"), "--lookback-days", "89",
                                   "--reduction", "pca", "--out", str(out))
    if status != "ok":
        return Row("CLI cluster, zoo grid market", "5,000 hourly x 90 d", seconds, None, rss, status)
    table = pd.read_csv(out).set_index("symbol")
    scored = market.truth.index.intersection(table.index)
    ari = adjusted_rand_score(market.truth[scored], table.loc[scored, "cluster"])
    return Row("CLI cluster, automatic k + PCA + confidence, 12 groups in a volume spread", "5,000 hourly x 90 d",
               seconds, None, rss, f"ARI {ari:.3f}, {table['cluster'].nunique()} clusters for 12; a fresh process "
                                   "(imports, load, features, search, 2 refits); target <= 10 s, ARI >= 0.8")


def run() -> list[Row]:
    rows = []
    for label, seeds in SEED_SETS.items():
        print(f"  zoo, {label}", file=sys.stderr, flush=True)
        rows.append(_family_row(Family.PLANTED, 0, label, seeds))
        for family in Family:
            if family is Family.PLANTED:
                continue
            for n in SIZES:
                rows.append(_family_row(family, n, label, seeds))
    print("  calibration", file=sys.stderr, flush=True)
    rows.extend(_calibration(family) for family in Family)
    with tempfile.TemporaryDirectory() as tmp:
        print("  CLI on the 5,000-symbol grid market", file=sys.stderr, flush=True)
        rows.append(_grid_cli(Path(tmp)))
    return rows
