"""Parameter checks used at the public boundary of the engine."""

from __future__ import annotations

import math
from enum import Enum
from typing import TypeVar

from cluster_core.errors import ParameterError

E = TypeVar("E", bound=Enum)


def check_int(name: str, value: object, low: int, high: int, hint: str = "") -> int:
    """Return ``value`` as an int in ``[low, high]`` or raise :class:`ParameterError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
        isinstance(value, float) and not value.is_integer()
    ):
        raise ParameterError(f"`{name}` must be an int in [{low}, {high}]; got {value!r}.{_hint(hint)}")
    ivalue = int(value)
    if not low <= ivalue <= high:
        raise ParameterError(f"`{name}` must be an int in [{low}, {high}]; got {ivalue}.{_hint(hint)}")
    return ivalue


def check_float(
    name: str, value: object, low: float, high: float, hint: str = ""
) -> float:
    """Return ``value`` as a finite float in ``[low, high]`` or raise :class:`ParameterError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"`{name}` must be a number in [{low}, {high}]; got {value!r}.{_hint(hint)}")
    fvalue = float(value)
    if not math.isfinite(fvalue) or not low <= fvalue <= high:
        raise ParameterError(f"`{name}` must be a number in [{low}, {high}]; got {fvalue}.{_hint(hint)}")
    return fvalue


def check_enum(name: str, value: object, enum: type[E]) -> E:
    """Return ``value`` converted to ``enum`` or raise :class:`ParameterError` listing the choices."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in enum)
        raise ParameterError(f"`{name}` must be one of {choices}; got {value!r}.") from None


def _hint(hint: str) -> str:
    return f" {hint}" if hint else ""
