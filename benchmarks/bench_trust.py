"""Can an analyst trust the clusters? Planted-group recovery, the null market, month-to-month agreement.

Quality rows, not timings: ``engine`` is the time the whole measurement took; the
figures are in the note. Reproduce the bundled-data rows with
``python -m cluster_core stability --data sample --lookback-days 90 --months 12 --out stability.csv``
(add ``--features seed`` for the baseline).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks._harness import Row
from cluster_core.clustering import ClusterConfig, _fit, confidence
from cluster_core.data import load_sample
from cluster_core.features import PRESETS, FeaturePreset, PrepConfig
from cluster_core.pipeline import cluster, prepare, run_features, run_stability, score_planted
from cluster_core.synthetic import null_market, planted_market

PLANTED_SEEDS = range(48)
NULL_SEEDS = range(8)
SEED_PREP = PrepConfig(features=tuple(f.value for f in PRESETS[FeaturePreset.SEED]))


def _planted(prep: PrepConfig | None, label: str, oracle_k: bool = False) -> Row:
    start = time.perf_counter()
    scores, exact = [], 0
    for seed in PLANTED_SEEDS:
        market = planted_market(seed)
        k = int(market.truth.nunique()) + 1 if oracle_k else None  # + BTC, the benchmark
        ari, fit = score_planted(market, prep, ClusterConfig(n_clusters=k))
        scores.append(ari)
        exact += fit.n_clusters - 1 == market.truth.nunique() or fit.n_clusters == market.truth.nunique()
    seconds = time.perf_counter() - start
    return Row(f"planted groups, {label}", f"{len(scores)} markets, 3-10 groups", seconds, None,
               note=f"ARI median {np.median(scores):.3f}, 10th pct {np.percentile(scores, 10):.3f}, worst "
                    f"{np.min(scores):.3f}; right k in {exact}/{len(scores)}; target median >= 0.95, worst >= 0.85")


def _null() -> Row:
    start = time.perf_counter()
    verdicts = [score_planted(null_market(seed))[1] for seed in NULL_SEEDS]
    said = sum(not fit.has_groups for fit in verdicts)
    seconds = time.perf_counter() - start
    sil = np.median([fit.structure.silhouette for fit in verdicts])
    ref = np.median([fit.structure.reference for fit in verdicts])
    stab = np.median([fit.structure.stability for fit in verdicts])
    return Row("null market (one population)", f"{len(verdicts)} markets x 120", seconds, None,
               note=f"'no clear groups' in {said}/{len(verdicts)}; median silhouette {sil:.2f} vs reference {ref:.2f}, "
                    f"stability {stab:.2f}")


def _months(sample: str, prep: PrepConfig | None, label: str) -> Row:
    data = load_sample(sample)
    start = time.perf_counter()
    table = run_stability(data, prep=prep, months=12)
    seconds = time.perf_counter() - start
    ari = table["ari_vs_previous"]
    both = table["clear_groups"] & table["clear_groups"].shift(1, fill_value=False)
    ks = "/".join(map(str, table["k"]))
    return Row(f"month-to-month ARI, {label}", f"{sample}, last 12 month ends, 90 d", seconds, None,
               note=f"median {ari.median():.2f} over 11 pairs ({ari[both].median():.2f} where both months have "
                    f"groups); median silhouette {table['silhouette'].median():.2f}; k {ks}")


def _confidence() -> list[Row]:
    data = load_sample("hourly")
    view = run_features(data)
    prepared = prepare(view)
    rows = []
    for label, config in [("auto k", ClusterConfig()), ("k=6", ClusterConfig(n_clusters=6))]:
        fit = cluster(data, view, prepared, config, with_confidence=False)
        _fit._CONFIDENCE.clear()  # time the resampling itself, not an earlier suite's cached result
        start = time.perf_counter()
        values = confidence(prepared.Z, fit)
        first = time.perf_counter() - start
        start = time.perf_counter()
        confidence(prepared.Z, fit)
        cached = time.perf_counter() - start
        rows.append(Row(f"confidence (20 resamples), {label}", f"hourly sample, {len(values)} symbols", cached, first,
                        note=f"baseline: first computation; engine: cached. mean {values.mean():.2f}, "
                             f"{int((values < 0.6).sum())} boundary symbols"))
    return rows


def run() -> list[Row]:
    return [
        _planted(None, "defaults (behaviour, auto k)"),
        _planted(SEED_PREP, "seed-12 features, auto k"),
        _planted(None, "behaviour, told the true k", oracle_k=True),
        _null(),
        _months("hourly", None, "defaults (behaviour)"),
        _months("hourly", SEED_PREP, "seed-12 features"),
        _months("daily", None, "defaults (behaviour)"),
        *_confidence(),
    ]
