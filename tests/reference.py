"""Slow, obvious per-symbol pandas implementations of the feature definitions (DESIGN.md).

Written from the definitions, not from the engine, to check the vectorised engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cluster_core.data import MarketData


def reference_features(data: MarketData, lookback_days: int, as_of=None, benchmark: str = "BTC") -> pd.DataFrame:
    idx = data.close.index
    as_of = idx[-1] if as_of is None else pd.Timestamp(as_of)
    window = idx[(idx > as_of - pd.Timedelta(days=lookback_days)) & (idx <= as_of)]
    P = data.bars_per_year
    bars_per_day = pd.Timedelta(days=1) / data.interval
    reach = max(1, int(bars_per_day))

    def returns(symbol: str) -> pd.Series:
        s = data.close[symbol]
        r = (s / s.shift(1) - 1).loc[window]  # shift(1) is the previous bar on the regular grid
        return r.mask(r.abs() < 1e-12, 0.0)  # rounding noise of an unchanged price counts as 0

    bench = returns(benchmark) if benchmark in data.symbols else None

    def last_seen(s: pd.Series, t: pd.Timestamp) -> float:
        pos = idx.searchsorted(t, side="right") - 1
        if pos < 0:
            return np.nan
        seen = s.iloc[max(0, pos - reach + 1) : pos + 1].dropna()
        return seen.iloc[-1] if len(seen) else np.nan

    rows = {}
    for symbol in data.symbols:
        r = returns(symbol)
        rv = r.dropna()
        mean, std = rv.mean(), rv.std(ddof=1)
        flat = bool(((rv - mean) ** 2).sum() <= 1e-14 * (rv**2).sum())  # zero variance up to rounding
        std = 0.0 if flat else std
        var95 = rv.quantile(0.05)
        w = data.close[symbol].loc[window]
        row = {
            "annualized_return": mean * P,
            "annualized_vol": std * np.sqrt(P),
            "sharpe": 0.0 if flat else mean / std * np.sqrt(P),
            "skewness": 0.0 if flat else rv.skew(),
            "kurtosis": 0.0 if flat else rv.kurt(),
            "var_95": var95,
            "cvar_95": rv[rv <= var95].mean(),
            "momentum_30d": last_seen(data.close[symbol], as_of)
            / last_seen(data.close[symbol], as_of - pd.Timedelta(days=30))
            - 1,
            "trend_strength": 0.0 if flat else abs(mean) / std,
            "max_drawdown": (w / w.cummax() - 1).min(),
            "avg_daily_volume_usd": data.volume_usd[symbol].loc[window].mean() * bars_per_day,
        }
        negative = np.minimum(rv, 0)
        downside = np.sqrt((negative**2).mean()) * np.sqrt(P)
        row["downside_vol"] = downside
        row["sortino"] = mean * P / downside if downside > 0 else 0.0
        lagged = pd.concat([r, r.shift(1)], axis=1).dropna()
        row["autocorr_1"] = _corr(lagged.iloc[:, 0], lagged.iloc[:, 1])
        if bench is not None:
            pair = pd.concat([r, bench], axis=1).dropna()
            x, y = pair.iloc[:, 0], pair.iloc[:, 1]
            row["btc_corr"] = _corr(x, y)
            row["beta_btc"] = np.nan if len(x) < 3 else 0.0 if _flat(x) or _flat(y) else x.cov(y) / y.var()
        else:
            row["btc_corr"] = row["beta_btc"] = np.nan
        volume = data.volume_usd[symbol].loc[window]
        traded = r.notna() & (volume > 0)
        row["amihud_illiquidity"] = (r[traded].abs() / volume[traded]).mean() * 1e6
        rows[symbol] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _flat(x: pd.Series) -> bool:
    return bool(((x - x.mean()) ** 2).sum() <= 1e-14 * (x**2).sum())


def _corr(x: pd.Series, y: pd.Series) -> float:
    if len(x) < 3:
        return np.nan
    if _flat(x) or _flat(y):
        return 0.0
    return float(np.corrcoef(x.to_numpy(), y.to_numpy())[0, 1])
