"""Type aliases shared by the engine."""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike
from typing import Union

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.integer]
BoolArray = npt.NDArray[np.bool_]
PathArg = Union[str, "PathLike[str]"]
ProgressCallback = Callable[[int, int, str, str], None]
"""``progress(done, total, item, status)``: called after each unit of work."""
