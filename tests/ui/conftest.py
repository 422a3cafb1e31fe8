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
