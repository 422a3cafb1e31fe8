"""Data page: what is loaded, how complete it is, and what was done to it."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_coverage, plot_prices
from cluster_core.data import SAMPLE_CREDIT, load_sectors, summary_table
from cluster_core.errors import ClusterCoreError
from pages._format import show_table
from pages._shared import download_csv, setup_page, show_messages

session = setup_page()
data = session.data

st.title("Data")
st.caption(
    f"Source: **{data.source}** · {data.start:%Y-%m-%d} → {data.end:%Y-%m-%d} (UTC)"
    + (f" · {SAMPLE_CREDIT}" if "bundled" in data.source else "") + " · formats and sources: docs/data.md"
)
show_messages(session.messages)

coverage = summary_table(data, load_sectors() if "bundled" in data.source else None)
cols = st.columns(5)
cols[0].metric("Symbols", f"{data.n_symbols}")
cols[1].metric("Bar interval", data.interval_label)
period = f"{data.start:%Y-%m-%d %H:%M} to {data.end:%Y-%m-%d %H:%M} UTC"
cols[2].metric("History", f"{data.span_days:,.0f} days", help=period)
cols[3].metric("Bars", f"{data.n_bars:,}")
cols[4].metric("Median coverage", f"{coverage['coverage'].median():.1%}")

try:
    data.require_history(session.features.lookback_days)
except ClusterCoreError as exc:
    st.error(str(exc))

status_counts = coverage["status"].value_counts()
st.markdown(
    f"**{status_counts.get('active', 0)}** active · **{status_counts.get('ended', 0)}** stopped trading "
    f"before the end (kept: no survivorship bias) · **{status_counts.get('late', 0)}** listed after the start."
)
if data.notes:
    with st.expander(f"What was done while loading ({len(data.notes)} note(s))", expanded=True):
        for note in data.notes:
            st.markdown(f"- {note}")

tab_cov, tab_table, tab_prices = st.tabs(["Coverage", "Summary table", "Prices"])
with tab_cov:
    st.plotly_chart(plot_coverage(data), width="stretch", key="data.coverage_chart")
    st.caption(
        "Share of bars with a price, per month. Blank cells: not listed, halted or delisted. Gaps are never filled."
    )
with tab_table:
    show_table(
        coverage,
        hide_index=True,
        column_config={
            "coverage": st.column_config.ProgressColumn("coverage", format="percent", min_value=0, max_value=1),
            "last_close": st.column_config.NumberColumn("last close (USD)", format="%.6g"),
        },
        key="data.summary",
    )
    download_csv(coverage, "data_summary.csv", "Download summary CSV", key="data.download_summary")
with tab_prices:
    default = [s for s in ("BTC", "ETH", "SOL", "LUNA", "LUNA_OLD") if s in data.symbols][:4] or list(data.symbols[:3])
    picked = st.multiselect("Symbols", list(data.symbols), default=default, key="data.price_symbols")
    log_scale = st.toggle("Log scale", value=True, key="data.log_scale")
    if picked:
        st.plotly_chart(plot_prices(data, picked, log_scale), width="stretch", key="data.price_chart")
    else:
        st.info("Pick at least one symbol to plot.")

with st.expander("File format for uploads"):
    st.markdown(
        "- **Long**: columns `timestamp` (UTC), `symbol`, `close` (USD), optional `volume_usd`.\n"
        "- **Wide**: a `timestamp` column plus one column of closes per symbol.\n"
        "- One bar interval for every symbol (hourly or daily are typical); missing bars stay missing.\n"
        "- Exact duplicate rows are collapsed; conflicting duplicates are rejected.\n"
        "- A price jump of 100x or more across a gap of 3+ days is treated as a relisting "
        "(the earlier life becomes `SYMBOL_OLD`)."
    )
