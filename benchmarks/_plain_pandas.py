"""The baseline of the CSV benchmark: the first specification's pipeline as a plain pandas script.

``python -m benchmarks._plain_pandas FILE.csv LOOKBACK_DAYS``: ``read_csv`` with the default C
engine, per-symbol features in a loop over the window, standard scaling, K-Means with an
elbow over k = 2..10, and a UMAP map. No validation, no hygiene screens, no confidence:
what a careful analyst's notebook does with the same file.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def main(path: str, lookback_days: int) -> None:
    import umap
    from kneed import KneeLocator
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    long = pd.read_csv(path)
    long["timestamp"] = pd.to_datetime(long["timestamp"], utc=True)
    end = long["timestamp"].max()
    window = long[long["timestamp"] > end - pd.Timedelta(days=lookback_days)]
    close = window.pivot_table(index="timestamp", columns="symbol", values="close")
    volume = window.pivot_table(index="timestamp", columns="symbol", values="volume_usd")
    btc = close["BTC"].pct_change()
    rows = {}
    month_ago = end - pd.Timedelta(days=30)
    for symbol in close.columns:
        prices = close[symbol].dropna()
        r = prices.pct_change().dropna()
        if len(r) < 0.8 * len(close):
            continue
        per_year = 24 * 365
        rows[symbol] = {
            "annualized_return": (prices.iloc[-1] / prices.iloc[0]) ** (per_year / len(r)) - 1,
            "annualized_vol": r.std() * np.sqrt(per_year),
            "sharpe": r.mean() / r.std() * np.sqrt(per_year),
            "skewness": r.skew(),
            "kurtosis": r.kurt(),
            "var_95": r.quantile(0.05),
            "cvar_95": r[r <= r.quantile(0.05)].mean(),
            "momentum_30d": prices.iloc[-1] / prices[prices.index <= month_ago].iloc[-1] - 1,
            "max_drawdown": (prices / prices.cummax() - 1).min(),
            "btc_corr": r.corr(btc),
            "avg_daily_volume_usd": (volume[symbol] * close[symbol]).sum() / lookback_days,
        }
    X = pd.DataFrame.from_dict(rows, orient="index").replace([np.inf, -np.inf], np.nan).fillna(0.0)
    Z = StandardScaler().fit_transform(X)
    ks = list(range(2, 11))
    inertia = [KMeans(k, n_init=10, random_state=0).fit(Z).inertia_ for k in ks]
    k = KneeLocator(ks, inertia, curve="convex", direction="decreasing").knee or 4
    labels = KMeans(k, n_init=10, random_state=0).fit_predict(Z)
    xy = umap.UMAP(random_state=0).fit_transform(Z)
    pd.DataFrame({"symbol": X.index, "cluster": labels, "x": xy[:, 0], "y": xy[:, 1]}).to_csv(
        path + ".plain.csv", index=False)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
