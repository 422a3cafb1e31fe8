"""Exceptions raised by the engine.

Every error a user can cause derives from :class:`ClusterCoreError`, so the UI and
the CLI catch one type and show its message; anything else is a bug.
"""

from __future__ import annotations

__all__ = ["ClusterCoreError", "ClusterLost", "DataError", "ParameterError"]


class ClusterCoreError(Exception):
    """Root of every error the engine raises on purpose."""


class DataError(ClusterCoreError, ValueError):
    """The market data is unusable: malformed file, too few symbols, too little history."""


class ParameterError(ClusterCoreError, ValueError):
    """An argument is outside its documented domain."""


class ClusterLost(ClusterCoreError):
    """Dask workers died or the cluster failed under a computation: nothing wrong with the request itself."""
