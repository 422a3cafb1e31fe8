"""Features page: the behavioural features of every symbol, the universe checks, the definitions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cluster_core.charts import plot_feature_scatter
from cluster_core.data import load_sectors, sectors_for
from cluster_core.features import FEATURE_INFO, VOLUME_LIKE, Feature, describe_preparation
from pages._format import show_table
from pages._shared import (
    FLAG_LABELS,
    MODE_LABELS,
    download_csv,
    feature_view,
    persistence,
    setup_page,
    show_messages,
)

session = setup_page()
view = feature_view(session)
fs = view.features

st.title("Features")
st.caption(
    f"Window {fs.window_start:%Y-%m-%d %H:%M} → {fs.window_end:%Y-%m-%d %H:%M} UTC · {fs.n_bars:,} bars · "
    f"annualised with {fs.bars_per_year:,.0f} bars per year · {session.data.source} · definitions: "
    "docs/methodology.md"
)
show_messages(session.messages)
for warning in fs.warnings:
    st.warning(warning)

excluded = fs.dropped["reason"].str.startswith("excluded as")
cols = st.columns(4)
cols[0].metric("Symbols analysed", len(fs.X))
cols[1].metric("Left out (coverage)", int((~excluded).sum()), help="Too few returns; see Universe checks.")
cols[2].metric("Excluded by you", int(excluded.sum()))
cols[3].metric("Market mode", fs.config.market_mode.value, help=MODE_LABELS[fs.config.market_mode.value])

tab_table, tab_persist, tab_weights, tab_scatter, tab_checks, tab_defs = st.tabs(
    ["Table", "Persistence", "Weights", "Scatter", "Universe checks", "Definitions"]
)
with tab_table:
    show_table(fs.X, key="features.table", height=520)
    download_csv(fs.X.reset_index(), "features.csv", "Download features CSV", key="features.download")

with tab_persist:
    st.markdown(
        f"Does a feature rank the coins the same way in the next window? Spearman rank correlation of each "
        f"feature across symbols between consecutive, non-overlapping {fs.config.lookback_days}-day windows. "
        "Behaviour (volatility, beta, correlation, liquidity) persists; performance (return, Sharpe, momentum) "
        "does not, which is why clusters are formed on behaviour by default."
    )
    persisted = persistence(session)
    if persisted is not None:
        show_table(persisted.table, key="features.persistence", hide_index=True,
                     column_config={"median_spearman": st.column_config.ProgressColumn(
                         "median_spearman", min_value=-1, max_value=1, format="%.2f")})
        st.caption(f"{len(persisted.window_ends)} windows ending {persisted.window_ends[0]:%Y-%m-%d} → "
                   f"{persisted.window_ends[-1]:%Y-%m-%d}; in_default = part of the default Behaviour preset.")
        download_csv(persisted.table, "feature_persistence.csv", "Download persistence CSV",
                     key="features.download_persistence")

with tab_weights:
    st.markdown(
        "What the clustering sees: each feature of **Cluster on**, its transform and its weight. Near-duplicate "
        "measures of one trait (volatility, downside volatility, VaR and CVaR all measure risk level) share one "
        "trait's weight, `1 / sqrt(columns of the trait)`, so four volatility columns weigh as much as beta and "
        "correlation together. Scaling: " + session.prep.scaling.value + "."
    )
    preparation = describe_preparation(session.prep)
    show_table(preparation, key="features.weights", hide_index=True,
                 column_config={"weight": st.column_config.ProgressColumn("weight", min_value=0, max_value=1,
                                                                          format="%.2f")})
    download_csv(preparation, "feature_weights.csv", "Download weights CSV", key="features.download_weights")

with tab_scatter:
    names = list(fs.X.columns)
    left, mid, right = st.columns(3)
    x = left.selectbox("x", names, index=names.index(Feature.ANNUALIZED_VOL.value), key="features.x")
    y = mid.selectbox("y", names, index=names.index(Feature.BTC_CORR.value), key="features.y")
    colour_by = right.selectbox("Colour", ["sector", "universe flag", "none"], key="features.colour")
    colour = None
    if colour_by == "sector":
        colour = sectors_for(fs.X.index, load_sectors()) if "bundled" in session.data.source else None
    elif colour_by == "universe flag":
        flags = view.flags.drop_duplicates("symbol").set_index("symbol")["flag"].map(FLAG_LABELS)
        colour = flags.reindex(fs.X.index).fillna("not flagged")
    volume_like = {f.value for f in VOLUME_LIKE}
    figure = plot_feature_scatter(fs.X, x, y, colour, log_x=x in volume_like, log_y=y in volume_like)
    st.plotly_chart(figure, width="stretch", key="features.scatter")

with tab_checks:
    st.markdown(
        "Flagged groups can distort a behavioural clustering. Exclude them in the sidebar "
        "(**Universe and features**); nothing is excluded silently."
    )
    flags = view.flags.assign(
        group=view.flags["flag"].map(FLAG_LABELS),
        excluded=view.flags["flag"].isin([f.value for f in view.universe.exclude]),
    )[["symbol", "group", "detail", "excluded"]]
    if flags.empty:
        st.success("No symbol flagged in this window.")
    else:
        show_table(flags, key="features.flags", hide_index=True)
    st.subheader(f"Left out ({len(fs.dropped)})")
    show_table(fs.dropped, key="features.dropped", hide_index=True)
    download_csv(fs.dropped, "left_out.csv", "Download left-out symbols CSV", key="features.download_dropped")

with tab_defs:
    definitions = pd.DataFrame(
        [(f.value, formula, unit) for f, (formula, unit) in FEATURE_INFO.items()],
        columns=["feature", "definition", "unit"],
    )
    show_table(definitions, key="features.definitions", hide_index=True)
    st.caption(
        "r = simple returns of the window's bars (the first one from the bar before the window); "
        "a missing bar gives a missing return, never a zero one. P = bars per year (8,760 hourly, 365 daily)."
    )
