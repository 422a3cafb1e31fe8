"""CSV export that a spreadsheet cannot execute."""

from __future__ import annotations

import pandas as pd

__all__ = ["neutralise_formulas", "to_csv_bytes"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Return a copy where text cells starting with ``= + - @`` (or a tab/CR) get a leading ``'``.

    Numbers are left alone (a negative number is not a formula); only text cells,
    which a spreadsheet could evaluate as a formula (CSV injection), are changed.
    """
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_numeric_dtype(out[col].dtype) or pd.api.types.is_datetime64_any_dtype(out[col].dtype):
            continue
        values = out[col]
        text = values.astype("string")
        risky = text.str.startswith(_FORMULA_STARTS).fillna(False).astype(bool)
        if risky.any():
            out[col] = values.astype(object).where(~risky, "'" + text.astype(object))
    return out


def to_csv_bytes(table: pd.DataFrame, index: bool = False) -> bytes:
    """Formula-safe UTF-8 CSV of ``table``."""
    return neutralise_formulas(table).to_csv(index=index).encode("utf-8")
