"""A zoo of synthetic markets, each built to break a different assumption of a clustering method.

:func:`cluster_core.synthetic.planted_market` draws groups that differ clearly in one observable
behaviour, volume included, with a volume level per group. Real exchanges do not look like
that: size is a continuous spread, most behaviours are unimodal across coins, a handful of
pegged coins sits far from everything, groups come in very unequal sizes, several feature
columns measure the same thing, returns jump, and symbols list late or miss bars. Each family
here breaks one of those assumptions (:data:`FAMILIES`); every one takes a seed and a number
of symbols (50 to 5,000), so a method is judged on markets it was not tuned on.

Truth: ``PlantedMarket.truth`` is the planted group of every symbol (BTC, the benchmark,
excluded). In the two continuum families the bulk is one group (0) and pegged coins are
group 1: the right answer is "no clear groups", plus the pegged coins on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import numpy as np
import pandas as pd

from cluster_core.synthetic._planted import (
    _BTC_VOL,
    MARGIN,
    PlantedMarket,
    _archetypes,
    _coordinates,
    _market,
    _scatter,
    planted_market,
)

__all__ = [
    "FAMILIES",
    "Family",
    "continuum_market",
    "gappy_market",
    "jump_market",
    "redundant_market",
    "unequal_market",
    "volume_continuum_market",
    "zoo_market",
]

_DAYS = 90
JUMP_MARGIN = 1.75  # clear differences between jump-heavy archetypes (see jump_market)


class Family(StrEnum):
    """Families of generated markets (values are the ``make bench`` / test spelling)."""

    PLANTED = "planted"  # the original family: 3-10 groups of 4-25, a volume level per group
    VOLUME_CONTINUUM = "volume-continuum"  # behaviour groups; volume one continuous spread over 3 decades
    CONTINUUM = "continuum"  # no groups: every behaviour one unimodal spread
    CONTINUUM_PEGGED = "continuum-pegged"  # the same plus five pegged coins
    UNEQUAL = "unequal"  # one group of half the market and several of 5-10
    REDUNDANT = "redundant"  # groups differ in BTC correlation only; the four volatility columns are a spread
    JUMPS = "jumps"  # jump-heavy groups: fat-tailed, noisy features
    GAPPY = "gappy"  # late listings and missing bars


def _spread(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """``n`` values between ``low`` and ``high`` from a randomly chosen unimodal shape.

    Uniform, a normal, or a skewed beta (either direction): continua come in all shapes,
    and a method must not take a skewed one for two groups.
    """
    shape = rng.integers(0, 4)
    if shape == 0:
        unit = rng.uniform(0.0, 1.0, n)
    elif shape == 1:
        unit = np.clip(rng.normal(0.5, 0.18, n), 0.0, 1.0)
    else:
        unit = rng.beta(2.0, 5.0, n)
        unit = unit if shape == 2 else 1.0 - unit
    return low + (high - low) * unit


def _log_spread(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    return np.exp(_spread(rng, n, np.log(low), np.log(high)))


def _sizes(rng: np.random.Generator, n_symbols: int, k: int, smallest: int = 5) -> np.ndarray:
    """Group sizes summing to ``n_symbols``, each at least ``smallest``, otherwise Dirichlet-random."""
    spare = n_symbols - smallest * k
    if spare < 0:
        raise ValueError(f"{n_symbols} symbols cannot hold {k} groups of {smallest}")
    return smallest + rng.multinomial(spare, rng.dirichlet(np.full(k, 2.0)))


def _behaviour_archetypes(rng: np.random.Generator, k: int, margin: float = MARGIN) -> list[dict[str, float]]:
    """Archetypes that differ clearly (``margin`` clear differences) in total volatility or BTC correlation."""
    for _ in range(200):
        chosen: list[dict[str, float]] = []
        for _ in range(4000):
            candidate = {"beta": rng.uniform(0.1, 1.9), "idio_vol": float(np.exp(rng.uniform(np.log(0.15),
                                                                                           np.log(1.6))))}
            point = _observable(candidate)
            if all(np.abs(point - _observable(other)).max() >= margin for other in chosen):
                chosen.append(candidate)
                if len(chosen) == k:
                    return chosen
    raise RuntimeError(f"could not place {k} distinct archetypes")  # pragma: no cover - k <= 12 always fits


def _observable(a: dict[str, float]) -> np.ndarray:
    return _coordinates({**a, "jumps_per_year": 0.0, "volume_usd": 1.0})[:2]


def _group_members(rng: np.random.Generator, archetypes: list[dict[str, float]], sizes: np.ndarray) -> pd.DataFrame:
    """Members scattered around their archetype's beta and idiosyncratic volatility."""
    group = np.repeat(np.arange(len(sizes)), sizes)
    beta = np.array([a["beta"] for a in archetypes])[group] + rng.normal(0, 0.06, len(group))
    idio = np.array([a["idio_vol"] for a in archetypes])[group] * np.exp(rng.normal(0, 0.08, len(group)))
    return pd.DataFrame({"group": group, "beta": beta, "idio_vol": idio})


def _finish(rng: np.random.Generator, members: pd.DataFrame, prefix: str = "") -> PlantedMarket:
    """Name the members, fill the nuisance columns that are missing, simulate 90 days of hourly bars."""
    n = len(members)
    members = members.copy()
    if "volume_usd" not in members:
        members["volume_usd"] = 10 ** _spread(rng, n, 4.5, 7.5)
    if "jumps_per_year" not in members:
        members["jumps_per_year"] = rng.uniform(0.0, 20.0, n)
    if "drift" not in members:
        members["drift"] = rng.normal(0.0, 0.8, n)
    order = rng.permutation(n)  # symbol names say nothing about the group
    members = members.iloc[order].reset_index(drop=True)
    members.index = pd.Index([f"{prefix}S{i:04d}" for i in range(n)], name="symbol")
    archetypes = members.groupby("group")[["beta", "idio_vol", "jumps_per_year", "volume_usd", "drift"]].mean()
    archetypes["size"] = members.groupby("group").size()
    data = _market(rng, members, _DAYS, "2024-01-01")
    return PlantedMarket(data, members["group"].rename("truth"), archetypes)


def volume_continuum_market(seed: int, n_symbols: int = 300, *, n_groups: int | None = None,
                            grid: bool = False) -> PlantedMarket:
    """4-12 behaviour groups (BTC beta and idiosyncratic volatility); daily volume a continuum over 3 decades.

    With ``grid``, the 12 archetypes are 4 beta levels x 3 idiosyncratic volatilities
    (the issue's 5,000-symbol case).
    """
    rng = np.random.default_rng([seed, 1])
    if grid:
        archetypes = [{"beta": b, "idio_vol": v} for b in (0.3, 0.8, 1.3, 1.8) for v in (0.2, 0.5, 1.2)]
    else:
        archetypes = _behaviour_archetypes(rng, int(rng.integers(4, 13)) if n_groups is None else n_groups)
    sizes = _sizes(rng, n_symbols, len(archetypes))
    return _finish(rng, _group_members(rng, archetypes, sizes))


def continuum_market(seed: int, n_symbols: int = 300, *, pegged: int = 0) -> PlantedMarket:
    """No groups: beta, idiosyncratic volatility, jumps and volume each one unimodal spread; plus ``pegged`` coins.

    Pegged coins (truth 1) move about 1 % a year around a fixed price, with no beta, and
    trade a lot (10^7.5-10^9 USD a day), as stablecoins do.
    """
    rng = np.random.default_rng([seed, 2])
    n = n_symbols - pegged
    members = pd.DataFrame({
        "group": 0,
        "beta": _spread(rng, n, 0.2, 1.8),
        "idio_vol": _log_spread(rng, n, 0.2, 1.6),
        "jumps_per_year": _spread(rng, n, 0.0, 60.0),
    })
    if pegged:
        pegs = pd.DataFrame({
            "group": 1, "beta": rng.normal(0.0, 0.003, pegged), "idio_vol": 0.01 * np.exp(rng.normal(0, 0.2, pegged)),
            "jumps_per_year": 0.0, "volume_usd": 10 ** rng.uniform(7.5, 9.0, pegged), "drift": 0.0,
        })
        members["volume_usd"] = 10 ** _spread(rng, n, 4.5, 7.5)
        members["drift"] = rng.normal(0.0, 0.8, n)
        members = pd.concat([members, pegs], ignore_index=True)
    return _finish(rng, members)


def unequal_market(seed: int, n_symbols: int = 300) -> PlantedMarket:
    """One group of half the market, 3-5 groups of 5-10, the rest in 1-3 middle-sized groups.

    Archetypes as :func:`cluster_core.synthetic.planted_market` draws them (beta, idiosyncratic
    volatility, jumps and a volume level per group, clearly apart in one observable).
    """
    rng = np.random.default_rng([seed, 3])
    n_small, n_mid = int(rng.integers(3, 6)), int(rng.integers(1, 4))
    small = rng.integers(5, 11, n_small)
    big = n_symbols // 2
    mid = _sizes(rng, n_symbols - big - int(small.sum()), n_mid, smallest=5)
    sizes = np.r_[big, mid, small]
    archetypes = pd.DataFrame(_archetypes(rng, len(sizes)))
    rows = [{"group": g, **_scatter(rng, archetypes.loc[g])} for g, size in enumerate(sizes) for _ in range(size)]
    return _finish(rng, pd.DataFrame(rows))


def redundant_market(seed: int, n_symbols: int = 300) -> PlantedMarket:
    """3-5 groups that differ in BTC correlation only; total volatility and volume are continua.

    Four of the Behaviour preset's eight columns (volatility, downside volatility, VaR,
    CVaR) then measure one spread that says nothing about the groups, and beta mixes
    correlation with that spread: counted column by column they outvote the one feature
    that separates the groups.
    """
    rng = np.random.default_rng([seed, 4])
    k = int(rng.integers(3, 6))
    levels = np.sort(rng.choice(np.arange(0.1, 0.95, 0.2), size=k, replace=False)) + rng.uniform(-0.03, 0.03, k)
    group = np.repeat(np.arange(k), _sizes(rng, n_symbols, k))
    rho = np.clip(levels[group] + rng.normal(0, 0.03, len(group)), 0.02, 0.97)
    total = _log_spread(rng, len(group), 0.3, 2.0)
    members = pd.DataFrame({"group": group, "beta": rho * total / _BTC_VOL, "idio_vol": total * np.sqrt(1 - rho**2),
                            "jumps_per_year": 0.0})
    return _finish(rng, members)


def jump_market(seed: int, n_symbols: int = 300) -> PlantedMarket:
    """4-7 behaviour groups, every one jumping often (40-400 jumps of 5-12 % a year): fat-tailed, noisy features.

    Ninety days of such returns measure volatility to about +/-15 % and BTC correlation to
    +/-0.1 (against +/-3 % and +/-0.02 without jumps), so the archetypes differ by
    :data:`JUMP_MARGIN` clear differences instead of 1.25 (1.75 leaves room for 7): groups that the noise alone
    would merge are not groups an analyst could act on.
    """
    rng = np.random.default_rng([seed, 5])
    archetypes = _behaviour_archetypes(rng, int(rng.integers(4, 8)), JUMP_MARGIN)
    sizes = _sizes(rng, n_symbols, len(archetypes))
    members = _group_members(rng, archetypes, sizes)
    rate = rng.choice([40.0, 150.0, 400.0], size=len(archetypes))[members["group"]]
    members["jumps_per_year"] = rate * np.exp(rng.normal(0, 0.3, len(members)))
    members["jump_sd"] = rng.uniform(0.05, 0.12, len(archetypes))[members["group"]]
    # jump variance adds to the idiosyncratic part: keep each archetype's total volatility where it was drawn
    jump_var = members["jumps_per_year"] * members["jump_sd"] ** 2
    members["idio_vol"] = np.sqrt(np.maximum(members["idio_vol"] ** 2 - jump_var, (0.3 * members["idio_vol"]) ** 2))
    return _finish(rng, members)


def gappy_market(seed: int, n_symbols: int = 300) -> PlantedMarket:
    """Behaviour groups in a volume continuum, a quarter of them listed late, every symbol missing bars.

    Late listings start 1-30 days into the 90 (those after day 18 miss the 80 % coverage
    floor and are left out, as the product reports); every symbol misses 0-4 % of its bars
    in runs of up to 12 hours.
    """
    rng = np.random.default_rng([seed, 6])
    archetypes = _behaviour_archetypes(rng, int(rng.integers(4, 11)))
    members = _group_members(rng, archetypes, _sizes(rng, n_symbols, len(archetypes)))
    late = rng.random(len(members)) < 0.25
    members["start_day"] = np.where(late, rng.uniform(1, 30, len(members)), 0.0)
    members["gap_share"] = rng.uniform(0.0, 0.04, len(members))
    return _finish(rng, members)


FAMILIES: dict[Family, Callable[[int, int], PlantedMarket]] = {
    Family.VOLUME_CONTINUUM: volume_continuum_market,
    Family.CONTINUUM: continuum_market,
    Family.CONTINUUM_PEGGED: lambda seed, n: continuum_market(seed, n, pegged=5),
    Family.UNEQUAL: unequal_market,
    Family.REDUNDANT: redundant_market,
    Family.JUMPS: jump_market,
    Family.GAPPY: gappy_market,
}


def zoo_market(family: Family | str, seed: int, n_symbols: int = 300) -> PlantedMarket:
    """Generate one market of ``family`` (:class:`Family`); the planted family ignores ``n_symbols``.

    Examples
    --------
    >>> market = zoo_market("continuum-pegged", 0, 60)
    >>> market.truth.value_counts().to_dict()
    {0: 55, 1: 5}
    """
    family = Family(family)
    if family is Family.PLANTED:
        return planted_market(seed)
    return FAMILIES[family](seed, n_symbols)
