from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

TIMEOUT = 120


@pytest.fixture
def app() -> AppTest:
    """The real entry point, as ``streamlit run app.py`` starts it."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def page(name: str) -> AppTest:
    """A page file run directly (as AppTest's legacy multipage mode does)."""
    return AppTest.from_file(str(ROOT / "pages" / name), default_timeout=TIMEOUT)


def frame_with(at: AppTest, *columns: str):
    """The first st.dataframe whose table has all ``columns`` (AppTest finds data frames by content)."""
    for element in at.dataframe:
        table = element.value
        if set(columns) <= set(table.columns) | {table.index.name}:
            return table
    raise AssertionError(f"no dataframe with columns {columns}")


def numbers(column):
    """A displayed column's values as floats: "12.5%" -> 0.125, "$1,234" -> 1234, "–" -> NaN (numbers unchanged)."""
    import numpy as np
    import pandas as pd

    def one(value):
        if not isinstance(value, str):
            return float(value)
        text = value.replace(",", "").replace("$", "").strip()
        if text in ("–", ""):
            return np.nan
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)

    return pd.Series([one(v) for v in column], index=column.index, dtype=float)
