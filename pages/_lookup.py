"""The sidebar's coin look-up: pick a symbol, land on its Coin page (the symbol in the session and the URL)."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from cluster_core.data import MarketData

_GO_TO_COIN = "_go_to_coin"
COIN_PAGE = "pages/coin.py"


def _looked_up() -> None:
    state = st.session_state
    if state.get("coin.lookup"):
        state["coin.symbol"] = state["coin.lookup"]
        state[_GO_TO_COIN] = True
    state["coin.lookup"] = None


def lookup_widget(data: MarketData) -> None:
    st.selectbox("Look up a coin", sorted(data.symbols), index=None, key="coin.lookup", on_change=_looked_up,
                 placeholder="Type a symbol, e.g. SOL",
                 help="Opens the Coin page: its group now and month by month, what behaves like it and what "
                      "moves with it. The map rings it.")


def open_coin_page_if_asked() -> None:
    """Go to the Coin page when the look-up just picked a symbol (it is in the session and the URL)."""
    if not st.session_state.pop(_GO_TO_COIN, False):
        return
    try:
        st.switch_page(COIN_PAGE)
    except StreamlitAPIException:
        # A page run on its own (AppTest) has no navigation: say where the coin is shown.
        st.info(f"Open the Coin page for {st.session_state['coin.symbol']}.")
