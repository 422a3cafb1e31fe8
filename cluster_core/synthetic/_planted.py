"""Synthetic markets with planted behaviour groups: the yardstick for automatic k and recovery.

A planted market is hourly prices of a BTC-like benchmark and of groups of symbols, each
group an *archetype*: a beta to the benchmark, an idiosyncratic volatility, a jump
intensity (fat tails), a volume level and a drift. Members scatter around their
archetype, so groups overlap a little as real ones do. Archetypes are drawn at random
(number of groups, sizes, every parameter) and must differ from each other by a clear
margin in at least one *observable* behaviour (total volatility, BTC correlation, jump
intensity, volume); drift is a nuisance (a window's return is
performance, not behaviour) and never what separates two groups. The *null* market has
one population whose parameters vary continuously: there is nothing to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cluster_core.data import MarketData

__all__ = ["PlantedMarket", "RegimeChange", "null_market", "planted_market", "regime_change_market"]

_BARS_PER_DAY = 24
_BTC_VOL = 0.55  # annualised
_HOURS_PER_YEAR = 8760
MARGIN = 1.25  # archetypes differ by at least this many "clear differences" in one behaviour


@dataclass(frozen=True, eq=False)
class PlantedMarket:
    """A synthetic market and its planted truth.

    Attributes
    ----------
    data : MarketData
        ``BTC`` (the benchmark, not part of any group) and the group members.
    truth : Series
        Planted group per member symbol (BTC excluded); all 0 in a null market.
    archetypes : DataFrame
        One row per group: ``beta``, ``idio_vol``, ``jumps_per_year``, ``volume_usd``,
        ``drift``, ``size``.
    """

    data: MarketData
    truth: pd.Series
    archetypes: pd.DataFrame


def _draw_archetype(rng: np.random.Generator) -> dict[str, float]:
    return {
        "beta": rng.uniform(0.1, 1.9),
        "idio_vol": float(np.exp(rng.uniform(np.log(0.15), np.log(1.6)))),
        "jumps_per_year": float(rng.choice([0.0, 0.0, 40.0, 150.0])),
        "volume_usd": float(10 ** rng.uniform(4.5, 9.0)),
        "drift": rng.uniform(-1.5, 1.5),
    }


_JUMP_SD = 0.08  # standard deviation of one jump (simple return)


def _coordinates(a: dict[str, float]) -> np.ndarray:
    """Where an archetype sits in *observable* behaviour, in units of a clear difference.

    Total volatility (market, idiosyncratic and jump variance together: 150 jumps a year
    swamp any idiosyncratic volatility, so two groups that differ only in the latter look
    alike), correlation with BTC, jump intensity and volume.
    """
    market_var = (a["beta"] * _BTC_VOL) ** 2
    total = np.sqrt(market_var + a["idio_vol"] ** 2 + a["jumps_per_year"] * _JUMP_SD**2)
    return np.array([
        np.log(total) / np.log(1.5),
        np.sqrt(market_var) / total / 0.2,
        np.log1p(a["jumps_per_year"]) / np.log1p(40.0),
        np.log10(a["volume_usd"]) / 1.2,
    ])


def _archetypes(rng: np.random.Generator, n_groups: int) -> list[dict[str, float]]:
    chosen: list[dict[str, float]] = []
    while len(chosen) < n_groups:
        candidate = _draw_archetype(rng)
        point = _coordinates(candidate)
        if all(np.abs(point - _coordinates(other)).max() >= MARGIN for other in chosen):
            chosen.append(candidate)
    return chosen


def _returns(rng: np.random.Generator, members: pd.DataFrame, btc: np.ndarray) -> np.ndarray:
    n, n_bars = len(members), len(btc)
    hourly = 1.0 / np.sqrt(_HOURS_PER_YEAR)
    beta = members["beta"].to_numpy()[:, None]
    idio = members["idio_vol"].to_numpy()[:, None] * hourly
    returns = beta * btc[None, :] + idio * rng.standard_normal((n, n_bars))
    jumps = rng.random((n, n_bars)) < members["jumps_per_year"].to_numpy()[:, None] / _HOURS_PER_YEAR
    size = members["jump_sd"].to_numpy()[:, None] if "jump_sd" in members else _JUMP_SD
    returns += jumps * rng.normal(0.0, 1.0, (n, n_bars)) * size
    return returns + members["drift"].to_numpy()[:, None] / _HOURS_PER_YEAR


def _market(
    rng, members: pd.DataFrame, days: int, start: str, after: pd.DataFrame | None = None, switch_day: int = 0
) -> MarketData:
    """Hourly prices and volumes; with ``after``, members follow its parameters from ``switch_day`` on."""
    n_bars = days * _BARS_PER_DAY
    index = pd.date_range(start, periods=n_bars, freq="1h", tz="UTC", name="timestamp")
    btc = rng.standard_t(5, n_bars) * np.sqrt(3 / 5) * _BTC_VOL * (1.0 / np.sqrt(_HOURS_PER_YEAR))
    n = len(members)
    returns = _returns(rng, members, btc)
    level = np.repeat(np.r_[3e10, members["volume_usd"].to_numpy()][:, None] / _BARS_PER_DAY, n_bars, axis=1)
    if after is not None:
        switch = switch_day * _BARS_PER_DAY
        returns[:, switch:] = _returns(rng, after, btc)[:, switch:]
        level[1:, switch:] = after["volume_usd"].to_numpy()[:, None] / _BARS_PER_DAY
    log_price = np.cumsum(np.log1p(np.clip(np.r_[btc[None, :], returns], -0.9, None)), axis=1)
    close = np.exp(log_price) * rng.uniform(0.5, 500.0, (n + 1, 1))
    volume = level * np.exp(rng.normal(0.0, 0.5, (n + 1, n_bars)))
    _punch_gaps(rng, members, close, volume)
    symbols = pd.Index(["BTC", *members.index], name="symbol")
    return MarketData(
        close=pd.DataFrame(close.T, index=index, columns=symbols),
        volume_usd=pd.DataFrame(volume.T, index=index, columns=symbols.copy()),
        source="synthetic planted market",
    )


def _punch_gaps(rng: np.random.Generator, members: pd.DataFrame, close: np.ndarray, volume: np.ndarray) -> None:
    """Late listings (``start_day``) and missing bars (``gap_share``, in runs of 1-12 bars), in place; row 0 is BTC."""
    n_bars = close.shape[1]
    if "start_day" in members:
        for row, day in enumerate(members["start_day"].to_numpy(), start=1):
            if day > 0:
                close[row, : int(day * _BARS_PER_DAY)] = np.nan
    if "gap_share" in members:
        for row, share in enumerate(members["gap_share"].to_numpy(), start=1):
            missing = int(share * n_bars)
            while missing > 0:
                run = int(min(missing, rng.integers(1, 13)))
                first = int(rng.integers(0, n_bars - run))
                close[row, first : first + run] = np.nan
                missing -= run
    volume[np.isnan(close)] = np.nan


def _members(rng: np.random.Generator, archetypes: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for g, a in archetypes.iterrows():
        for _ in range(int(a["size"])):
            rows.append({"group": g, **_scatter(rng, a)})
    members = pd.DataFrame(rows)
    members.index = pd.Index([f"G{g}_{i:03d}" for i, g in enumerate(members["group"])], name="symbol")
    return members


def _scatter(rng: np.random.Generator, a: pd.Series) -> dict[str, float]:
    """One member's parameters around its archetype."""
    return {
        "beta": a["beta"] + rng.normal(0, 0.06),
        "idio_vol": a["idio_vol"] * np.exp(rng.normal(0, 0.08)),
        "jumps_per_year": a["jumps_per_year"] * np.exp(rng.normal(0, 0.15)),
        "volume_usd": a["volume_usd"] * np.exp(rng.normal(0, 0.35)),
        "drift": a["drift"] + rng.normal(0, 0.5),
    }


def planted_market(
    seed: int, *, n_groups: int | None = None, days: int = 90, sizes: tuple[int, int] = (4, 25)
) -> PlantedMarket:
    """Generate a market with a random number of planted groups (3-10 unless given), sizes 4-25.

    Parameters
    ----------
    seed : int
        Everything (group count, archetypes, sizes, paths) follows from it.
    n_groups : int, optional
        Fix the number of groups instead of drawing it from 3..10.
    days : int, default=90
        Hourly bars for this many days.
    sizes : (int, int), default=(4, 25)
        Inclusive range of group sizes.

    Examples
    --------
    >>> market = planted_market(1, n_groups=3, days=10)
    >>> market.truth.nunique(), market.data.symbols[0]
    (3, 'BTC')
    """
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 11)) if n_groups is None else int(n_groups)
    archetypes = pd.DataFrame(_archetypes(rng, k))
    archetypes["size"] = rng.integers(sizes[0], sizes[1] + 1, k)
    members = _members(rng, archetypes)
    data = _market(rng, members, days, "2024-01-01")
    return PlantedMarket(data, members["group"].rename("truth"), archetypes)


@dataclass(frozen=True, eq=False)
class RegimeChange:
    """A planted market in which one group takes another group's behaviour on ``switch``.

    Attributes
    ----------
    market : PlantedMarket
        ``truth`` is the grouping before the switch.
    truth_after : Series
        The grouping after it: the movers belong to the target group.
    switch : Timestamp
        First bar of the new behaviour.
    movers, target : int
        The group that changes, and the group it comes to behave like.
    """

    market: PlantedMarket
    truth_after: pd.Series
    switch: pd.Timestamp
    movers: int
    target: int

    def regrouped(self, labels: pd.Series) -> bool:
        """Whether ``labels`` put most movers in the cluster holding most of the target group."""
        truth = self.market.truth
        movers, target = truth.index[truth == self.movers], truth.index[truth == self.target]
        return bool((labels[movers] == labels[target].mode()[0]).mean() > 0.5)

    def months_to_regroup(self, dates: list[pd.Timestamp], labels: list[pd.Series]) -> int | None:
        """Month ends from the switch until :meth:`regrouped` holds (1 = the first one after it); None = never."""
        after = [lab for date, lab in zip(dates, labels, strict=True) if date >= self.switch]
        return next((i for i, lab in enumerate(after, start=1) if self.regrouped(lab)), None)


def regime_change_market(
    seed: int, *, n_groups: int | None = None, days: int = 240, switch_day: int = 121,
    sizes: tuple[int, int] = (6, 20),
) -> RegimeChange:
    """Generate a planted market (3-6 groups unless given) in which one group changes behaviour mid-sample.

    From ``switch_day`` on (day 121 = 1 May 2024, a month start), every member of one
    random group draws its parameters around another random group's archetype (volume
    included): the right answer before is the planted grouping, after it the movers
    belong with the target group. The yardstick for "a real regime change still shows
    through the smoothing" (:func:`cluster_core.clustering.evolve`).

    Examples
    --------
    >>> change = regime_change_market(3, n_groups=3, days=60, switch_day=31)
    >>> change.switch.isoformat(), change.movers != change.target
    ('2024-02-01T00:00:00+00:00', True)
    """
    rng = np.random.default_rng(seed)
    k = int(rng.integers(3, 7)) if n_groups is None else int(n_groups)
    archetypes = pd.DataFrame(_archetypes(rng, k))
    archetypes["size"] = rng.integers(sizes[0], sizes[1] + 1, k)
    members = _members(rng, archetypes)
    movers, target = (int(g) for g in rng.choice(k, size=2, replace=False))
    after = members.copy()
    for symbol in members.index[members["group"] == movers]:
        drawn = _scatter(rng, archetypes.loc[target])
        after.loc[symbol, list(drawn)] = list(drawn.values())
    data = _market(rng, members, days, "2024-01-01", after=after, switch_day=switch_day)
    truth = members["group"].rename("truth")
    return RegimeChange(PlantedMarket(data, truth, archetypes), truth.replace(movers, target),
                        pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=switch_day), movers, target)


def null_market(seed: int, n_symbols: int = 120, days: int = 90) -> PlantedMarket:
    """One homogeneous population: every parameter drawn from one unimodal distribution.

    Examples
    --------
    >>> null_market(0, n_symbols=10, days=10).truth.nunique()
    1
    """
    rng = np.random.default_rng(seed)
    members = pd.DataFrame({
        "group": 0,
        "beta": rng.normal(1.0, 0.25, n_symbols),
        "idio_vol": 0.6 * np.exp(rng.normal(0, 0.25, n_symbols)),
        "jumps_per_year": 20.0 * np.exp(rng.normal(0, 0.3, n_symbols)),
        "volume_usd": 10 ** rng.normal(7.0, 0.6, n_symbols),
        "drift": rng.normal(0, 0.8, n_symbols),
    })
    members.index = pd.Index([f"S{i:03d}" for i in range(n_symbols)], name="symbol")
    archetypes = members.drop(columns="group").mean().to_frame().T.assign(size=n_symbols)
    data = _market(rng, members, days, "2024-01-01")
    return PlantedMarket(data, members["group"].rename("truth"), archetypes)

