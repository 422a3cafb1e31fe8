"""Sidebar state shared by every page: the URL parameters, their parsing, and session sync.

Every widget value lives under a stable key, survives page switches (re-assigned each run)
and is mirrored in ``st.query_params`` so a view can be shared and reloaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from cluster_core.clustering import DEFAULT_SMOOTHNESS, MAX_SMOOTHNESS, ClusterMethod, Distance, Linkage
from cluster_core.data import DEFAULT_YAHOO_TICKERS, DataSource
from cluster_core.features import DEFAULT_FEATURES, Feature, FeaturePreset, Flag, MarketMode, Scaling
from cluster_core.reduction import Reduction
from cluster_core.strategies import DEFAULT_MAX_WEIGHT, BacktestConfig, PickRule, Strategy, Weighting
from cluster_core.sweep import AXES, METRIC_INFO

_STORE = "_persisted"
_URL_LOADED = "_url_loaded"


@dataclass(frozen=True)
class Param:
    """A widget value kept across pages and mirrored in the URL."""

    key: str
    url: str
    default: object
    parse: Callable[[str], object]
    dump: Callable[[object], str] = str


def _clamp_int(low: int, high: int) -> Callable[[str], int]:
    return lambda text: min(high, max(low, int(text)))


def _parse_bool(text: str) -> bool:
    if text not in {"0", "1"}:
        raise ValueError(text)
    return text == "1"


def _dump_bool(value: object) -> str:
    return "1" if value else "0"


def _split_features(text: str) -> list[str]:
    return [Feature(part).value for part in text.split(",") if part] or [f.value for f in DEFAULT_FEATURES]


CUSTOM = "custom"


def _parse_preset(text: str) -> str:
    return CUSTOM if text == CUSTOM else FeaturePreset(text).value


def _split_flags(text: str) -> list[str]:
    return [Flag(part).value for part in text.split(",") if part]


FLAG_LABELS = {
    Flag.PEGGED.value: "Stablecoins / pegged",
    Flag.DUPLICATE.value: "Wrapped duplicates",
    Flag.LATE.value: "Late listings",
}
MODE_LABELS = {
    MarketMode.RAW.value: "Raw returns",
    MarketMode.BTC_RESIDUAL.value: "Residual after BTC beta",
    MarketMode.PC1_RESIDUAL.value: "Residual after 1st principal component",
}


PEER_VIEWS = ("This window", "Month by month")

# The Robustness page's grid: options offered and the default (the 360-setting grid).
SWEEP_LOOKBACKS = (14, 30, 60, 90, 120, 180, 270, 365)
SWEEP_KS = (*(str(k) for k in range(2, 13)), "auto")
SWEEP_SMOOTHNESS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
SWEEP_OTHERS = ("Average over the other axes", "Hold the other axes at the sidebar setting")


def _list_of(kind: Callable[[str], object], allowed: tuple) -> Callable[[str], list]:
    def parse(text: str) -> list:
        values = [kind(part) for part in text.split(",") if part]
        if not values or any(v not in allowed for v in values):
            raise ValueError(text)
        return values

    return parse


def _one_of(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(text)
        return text

    return parse


def _join(values: object) -> str:
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)  # type: ignore[union-attr]

PARAMS = (
    Param("data.source", "source", DataSource.SAMPLE_HOURLY.value, lambda t: DataSource(t).value),
    Param("data.tickers", "tickers", ", ".join(DEFAULT_YAHOO_TICKERS), str),
    Param("data.yahoo_days", "ydays", 365, _clamp_int(30, 3650)),
    Param("sidebar.lookback_days", "lookback", 90, _clamp_int(7, 3650)),
    Param("sidebar.as_of", "asof", None, dt.date.fromisoformat, lambda d: d.isoformat()),
    Param("features.min_coverage", "coverage", 0.8, lambda t: min(1.0, max(0.0, float(t)))),
    Param("features.market_mode", "mode", MarketMode.RAW.value, lambda t: MarketMode(t).value),
    Param("features.benchmark", "benchmark", "BTC", lambda t: t.strip().upper()),
    Param("features.exclude", "exclude", [], _split_flags, ",".join),
    Param("clusters.preset", "preset", FeaturePreset.BEHAVIOUR.value, _parse_preset),
    Param("clusters.features", "feats", [f.value for f in DEFAULT_FEATURES], _split_features, ",".join),
    Param("clusters.scaling", "scaling", Scaling.ROBUST.value, lambda t: Scaling(t).value),
    Param("clusters.method", "method", ClusterMethod.KMEANS.value, lambda t: ClusterMethod(t).value),
    Param("clusters.auto_k", "autok", True, _parse_bool, _dump_bool),
    Param("clusters.k", "k", 5, _clamp_int(2, 50)),
    Param("clusters.auto_eps", "autoeps", True, _parse_bool, _dump_bool),
    Param("clusters.eps", "eps", 1.5, lambda t: min(100.0, max(0.01, float(t)))),
    Param("clusters.min_samples", "minpts", 3, _clamp_int(2, 30)),
    Param("clusters.linkage", "linkage", Linkage.WARD.value, lambda t: Linkage(t).value),
    Param("clusters.cut_by_height", "cutheight", False, _parse_bool, _dump_bool),
    Param("clusters.cut_height", "height", 5.0, lambda t: min(1e6, max(1e-6, float(t)))),
    Param("clusters.distance", "distance", Distance.FEATURES.value, lambda t: Distance(t).value),
    Param("clusters.reduction", "map", Reduction.UMAP.value, lambda t: Reduction(t).value),
    Param("clusters.perplexity", "perplexity", 30, _clamp_int(2, 100)),
    Param("act.per_cluster", "pick", 1, _clamp_int(1, 3)),
    Param("act.min_holdings", "minhold", 8, _clamp_int(1, 50)),
    Param("act.rule", "rule", PickRule.SHARPE.value, lambda t: PickRule(t).value),
    Param("act.weighting", "weighting", Weighting.EQUAL.value, lambda t: Weighting(t).value),
    Param("act.max_weight", "maxw", DEFAULT_MAX_WEIGHT, lambda t: round(min(1.0, max(0.05, float(t))) * 20) / 20),
    Param("act.include_noise", "noise", False, _parse_bool, _dump_bool),
    Param("act.include_pegged", "pegged", False, _parse_bool, _dump_bool),
    Param("map.tiers", "tiers", 3, _clamp_int(2, 5)),
    Param("act.strategy", "strategy", Strategy.DIVERSIFIED.value, lambda t: Strategy(t).value),
    Param("act.cost_bps", "cost", 10.0, lambda t: min(1000.0, max(0.0, float(t)))),
    Param("act.top_n", "topn", 1, _clamp_int(1, 10)),
    Param("act.peer_z", "peerz", 1.5, lambda t: min(5.0, max(0.0, float(t)))),
    Param("act.smoothness", "smooth", DEFAULT_SMOOTHNESS, lambda t: min(MAX_SMOOTHNESS, max(0.0, float(t)))),
    Param("act.keep_top", "keep", BacktestConfig.keep_top, lambda t: min(1.0, max(0.0, float(t)))),
    Param("act.months", "months", 12, _clamp_int(2, 240)),
    Param("peers.view", "peerview", PEER_VIEWS[0], lambda t: t if t in PEER_VIEWS else PEER_VIEWS[0]),
    Param("coin.symbol", "symbol", "", lambda t: t.strip().upper()),
    Param("clusters.n_neighbors", "neighbors", 15, _clamp_int(2, 100)),
    Param("robust.lookbacks", "rlook", [30, 60, 90, 180], _list_of(int, SWEEP_LOOKBACKS), _join),
    Param("robust.ks", "rk", ["4", "6", "8", "10", "auto"], _list_of(str, SWEEP_KS), _join),
    Param("robust.presets", "rfeat", [p.value for p in FeaturePreset],
          _list_of(str, tuple(p.value for p in FeaturePreset)), _join),
    Param("robust.smoothness", "rsmooth", [0.0, 0.6, 0.9], _list_of(float, SWEEP_SMOOTHNESS), _join),
    Param("robust.strategies", "rstrat", [s.value for s in Strategy],
          _list_of(str, tuple(s.value for s in Strategy)), _join),
    Param("robust.metric", "rmetric", "cagr", _one_of(tuple(METRIC_INFO))),
    Param("robust.x", "rx", "lookback_days", _one_of(AXES)),
    Param("robust.y", "ry", "k", _one_of(AXES)),
    Param("robust.others", "rothers", SWEEP_OTHERS[0], lambda t: t if t in SWEEP_OTHERS else SWEEP_OTHERS[0]),
    Param("robust.by", "rby", "strategy", _one_of(AXES)),
)
PRESET_LABELS = {
    FeaturePreset.BEHAVIOUR.value: "Behaviour (persistent risk, liquidity)",
    FeaturePreset.SEED.value: "Seed 12 (behaviour + performance)",
    FeaturePreset.ALL.value: "All 17 features",
    CUSTOM: "Custom pick",
}
METHOD_LABELS = {method.value: method.label for method in ClusterMethod}
REDUCTION_LABELS = {Reduction.UMAP.value: "UMAP", Reduction.TSNE.value: "t-SNE", Reduction.PCA.value: "PCA"}


def init_state() -> None:
    store = st.session_state.setdefault(_STORE, {})
    if not st.session_state.get(_URL_LOADED):
        st.session_state[_URL_LOADED] = True
        for param in PARAMS:
            raw = st.query_params.get(param.url)
            if raw is None:
                continue
            try:
                store[param.key] = param.parse(raw)
            except (ValueError, TypeError):
                st.toast(f"Ignored URL parameter {param.url}={raw!r}: not a valid value.")
    for param in PARAMS:
        # Re-assigning detaches the value from the previous page's widget, so the same key on
        # this page's widget keeps it (Streamlit would otherwise reset it on a page switch).
        st.session_state[param.key] = st.session_state.get(param.key, store.get(param.key, param.default))


def sync_state() -> None:
    store = st.session_state[_STORE]
    for param in PARAMS:
        value = st.session_state.get(param.key, param.default)
        store[param.key] = value
        if value == param.default or value in (None, []):
            st.query_params.pop(param.url, None)
        else:
            st.query_params[param.url] = param.dump(value)
