"""Planted *factor* markets: sectors that co-move, with behaviour that does not tell them apart.

Every member's hourly return is ``beta * BTC + loading * sector factor + idiosyncratic``.
Betas, loadings and idiosyncratic volatilities are drawn from the same ranges in every
sector, so the behaviour features (volatility, BTC correlation, tails, volume) see one
population; only who moves with whom separates the sectors. After removing BTC's beta, the
correlation matrix has exactly ``n_sectors`` eigenvalues above the Marchenko-Pastur edge
(each sector's is about ``1 + (size - 1) * rho`` with a within-sector residual correlation
``rho`` of at least 0.13 and at least 10 members).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cluster_core.data import MarketData
from cluster_core.synthetic._planted import PlantedMarket

__all__ = ["factor_market"]

_HOURLY = 1.0 / np.sqrt(8760)
_SMALLEST_SECTOR = 10


def factor_market(seed: int, n_symbols: int = 150, *, n_sectors: int | None = None, days: int = 90) -> PlantedMarket:
    """Simulate a BTC benchmark and ``n_symbols`` members in ``n_sectors`` unequal sectors (3-6 by default).

    Returns
    -------
    PlantedMarket
        ``truth`` is the sector per member; ``archetypes`` one row per sector with its
        ``factor_vol`` and ``size``.
    """
    rng = np.random.default_rng(seed)
    m = int(n_sectors or rng.integers(3, 7))
    sizes = _SMALLEST_SECTOR + rng.multinomial(n_symbols - m * _SMALLEST_SECTOR, rng.dirichlet(np.ones(m) * 2))
    sector = np.repeat(np.arange(m), sizes)[rng.permutation(n_symbols)]
    n_bars = days * 24
    btc = rng.standard_t(5, n_bars) * np.sqrt(3 / 5) * 0.55 * _HOURLY
    factor_vol = rng.uniform(0.35, 0.6, m)
    factors = rng.standard_normal((m, n_bars)) * factor_vol[:, None] * _HOURLY
    beta = rng.uniform(0.5, 1.5, n_symbols)
    loading = rng.uniform(0.8, 1.2, n_symbols)
    idio = rng.uniform(0.4, 0.9, n_symbols)
    returns = (beta[:, None] * btc + loading[:, None] * factors[sector]
               + idio[:, None] * _HOURLY * rng.standard_normal((n_symbols, n_bars)))
    log_price = np.cumsum(np.log1p(np.r_[btc[None, :], returns]), axis=1)
    close = np.exp(log_price) * rng.uniform(0.5, 500.0, (n_symbols + 1, 1))
    level = np.r_[3e10, 10 ** rng.uniform(5.0, 8.0, n_symbols)][:, None] / 24
    volume = level * np.exp(rng.normal(0.0, 0.5, (n_symbols + 1, n_bars)))
    symbols = pd.Index(["BTC", *(f"F{i:04d}" for i in range(n_symbols))], name="symbol")
    index = pd.date_range("2024-01-01", periods=n_bars, freq="1h", tz="UTC", name="timestamp")
    data = MarketData(close=pd.DataFrame(close.T, index=index, columns=symbols),
                      volume_usd=pd.DataFrame(volume.T, index=index, columns=symbols.copy()),
                      source="synthetic factor market")
    truth = pd.Series(sector, index=symbols[1:], name="truth")
    archetypes = pd.DataFrame({"factor_vol": factor_vol, "size": sizes}, index=pd.RangeIndex(m, name="group"))
    return PlantedMarket(data, truth, archetypes)
