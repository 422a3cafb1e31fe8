"""cluster_core: the engine of the crypto behaviour clustering dashboard (no UI code)."""

from cluster_core.errors import ClusterCoreError, DataError, ParameterError

__all__ = ["ClusterCoreError", "DataError", "ParameterError"]
__version__ = "0.1.0"
