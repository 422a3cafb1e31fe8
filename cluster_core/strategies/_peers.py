"""Peer laggards: when a symbol surges, the peers of its cluster that have not (yet)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cluster_core._validation import check_float

__all__ = ["LAGGARD_COLUMNS", "peer_laggards"]

LAGGARD_COLUMNS = ("cluster", "cluster_name", "leader", "leader_momentum", "leader_z", "peer", "peer_momentum", "gap")


def peer_laggards(
    X: pd.DataFrame, labels: pd.Series, names: pd.Series, z_threshold: float = 1.5, exclude: Iterable[str] = ()
) -> pd.DataFrame:
    """Leaders (30-day momentum z-score within their cluster above ``z_threshold``) and their lagging peers.

    Peers are the other members whose momentum is below the cluster's median; ``gap`` =
    leader momentum - peer momentum. Noise, clusters of fewer than 3 members and the
    symbols in ``exclude`` (pegged coins: a stablecoin's momentum is noise around its peg)
    are skipped.

    Returns
    -------
    DataFrame
        Columns :data:`LAGGARD_COLUMNS`, largest gaps first.
    """
    z_threshold = check_float("z_threshold", z_threshold, 0.0, 10.0)
    labels = labels.drop(list(exclude), errors="ignore")
    momentum = X["momentum_30d"].reindex(labels.index)
    rows = []
    for cluster in sorted(c for c in set(labels) if c >= 0):
        m = momentum[labels == cluster].dropna()
        if len(m) < 3 or m.std(ddof=0) == 0:
            continue
        z = (m - m.mean()) / m.std(ddof=0)
        lagging = m[m < m.median()]
        for leader in z.index[z > z_threshold]:
            for peer, value in lagging.items():
                rows.append((int(cluster), names.get(cluster, str(cluster)), leader, float(m[leader]),
                             float(z[leader]), peer, float(value), float(m[leader] - value)))
    table = pd.DataFrame(rows, columns=list(LAGGARD_COLUMNS))
    return table.sort_values("gap", ascending=False, kind="stable").reset_index(drop=True) if len(table) else table


