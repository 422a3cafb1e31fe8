"""Cluster map: the 2-D scatter, named clusters, quality at a glance, selected symbols' rows."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_cluster_map, plot_tiers
from cluster_core.interpretation import CONFIDENCE_MEANS, STABILITY_MEANS, TENTATIVE_MEANS, describe_tiers, tier_axis
from pages._format import show_table
from pages._shared import (
    COIN_PAGE,
    REDUCTION_LABELS,
    cluster_result,
    download_csv,
    setup_page,
    show_messages,
    sync_state,
)

session = setup_page()
result = cluster_result(session)
fit, emb = result.clustering, result.embedding

st.title("Cluster map")
st.caption(
    f"{fit.describe(session.clustering)} on {len(result.prepared.Z.columns)} scaled features · "
    f"{REDUCTION_LABELS[emb.config.method.value]} map · window {result.view.features.window_start:%Y-%m-%d} → "
    f"{result.view.features.window_end:%Y-%m-%d} · {session.data.source}"
)
show_messages(session.messages)
no_groups = [note for note in fit.notes if note.startswith("No clear groups")]
notes = [*(n for n in fit.notes if n not in no_groups), *emb.notes, *result.prepared.notes]
if notes:
    st.info("\n".join(f"- {note}" for note in notes))



def _score(value: float, digits: int) -> str:
    return "–" if value != value else f"{value:.{digits}f}"  # NaN: one cluster has no separation to score


quality = fit.quality
cols = st.columns(6)
cols[0].metric("Clusters", fit.n_clusters)
cols[1].metric("Noise", fit.n_noise)
cols[5].metric("Mean confidence", f"{fit.confidence.mean():.0%}",
               help=f"The mean over symbols of their confidence: {CONFIDENCE_MEANS}. Faint, outlined markers are "
                    "boundary symbols.")
cols[2].metric("Silhouette", _score(quality["silhouette"], 2), help="-1..1, higher = tighter, better separated groups.")
cols[3].metric("Calinski-Harabasz", _score(quality["calinski_harabasz"], 0), help="Higher = better separated.")
cols[4].metric("Davies-Bouldin", _score(quality["davies_bouldin"], 2), help="Lower = better separated.")

for note in no_groups:
    st.warning(note)
for _, row in result.profile.table.query("tentative").iterrows():
    st.warning(f"**{row['name']}** is tentative: its stability is {row['stability']:.0%} ({STABILITY_MEANS}; "
               f"{TENTATIVE_MEANS}). Read it as the edge of its neighbours rather than a group.")
SIZES = {"avg_daily_volume_usd": "daily volume (log)", "momentum_30d": "30-day momentum (rank)",
         "annualized_return": "window return (rank)", "sharpe": "Sharpe (rank)", "max_drawdown": "max drawdown (rank)"}
tiers = result.tiers
if tiers is not None:
    bulk = result.profile.names[tiers.cluster]
    st.info(f"**{bulk}** ({len(tiers.tier)} symbols) is one continuum: no view of it has separate modes, so any "
            f"split of it would be a cut, not a group. To act on it anyway it is drawn in {tiers.n_tiers} tiers "
            f"along its main axis ({tier_axis(tiers)}; {tiers.explained:.0%} of its spread): quantile cuts, "
            "labelled as such, with their boundaries below the map.")
cols = st.columns([2, 1])
size_by = cols[0].selectbox("Marker size", list(SIZES), format_func=SIZES.get, key="map.size_by",
                            help="Clusters are formed on behaviour; size a performance measure on top of them.")
if tiers is not None:
    cols[1].number_input("Tiers of the continuum", 2, 5, key="map.tiers",
                         help="Quantile cuts along the continuum's main axis (equal counts per tier).")
looked_up = st.session_state.get("coin.symbol") or None
figure = plot_cluster_map(emb.coords, fit.labels, result.profile.names, result.view.features.X,
                          confidence=fit.confidence, size_by=size_by, tiers=tiers, highlight=looked_up)
if emb.explained_variance is not None:
    figure.update_layout(xaxis_title=f"PC1 ({emb.explained_variance[0]:.0%})",
                         yaxis_title=f"PC2 ({emb.explained_variance[1]:.0%})")
event = st.plotly_chart(figure, width="stretch", key="map.chart", on_select="rerun",
                        selection_mode=("points", "box", "lasso"))

table = result.table()
picked = sorted({p.get("customdata") for p in (event.selection.points if event else []) if p.get("customdata")})
if picked:
    st.subheader(f"Selected ({len(picked)})")
    show_table(table[table["symbol"].isin(picked)], key="map.selected", hide_index=True, link="symbol")
    if st.button(f"Open {picked[0]}'s coin page" if len(picked) == 1 else f"Open the coin page of {picked[0]}",
                 key="map.open_coin", help="Its group month by month, what behaves like it and what moves with it."):
        st.session_state["coin.symbol"] = picked[0]
        sync_state()
        st.switch_page(COIN_PAGE)
else:
    st.caption("Select points on the map (click one; for a box or lasso pick the tool in the chart's toolbar) to see "
               "their rows here. The sidebar's "
               "look-up rings a coin on the map.")

st.subheader("Clusters")
summary = result.profile.table[["cluster", "name", "size", "stability", "reason", "members"]]
show_table(summary, key="map.summary", hide_index=True)
download_csv(table, "clusters.csv", "Download clusters CSV", key="map.download",
             summary=f"{fit.n_clusters} cluster{'s' if fit.n_clusters != 1 else ''}, {len(table)} symbols")

if tiers is not None:
    st.subheader(f"Tiers of {bulk}: cuts of a spread, not groups")
    described = describe_tiers(tiers, result.view.features.X)
    st.plotly_chart(plot_tiers(tiers, result.view.features.X, tier_axis(tiers)), width="stretch", key="map.tiers_chart")
    show_table(described, key="map.tiers_table", hide_index=True, column_config={
        **{c: st.column_config.NumberColumn(c, format="percent")
           for c in ("volatility_from", "volatility_to", "median_volatility")},
        "median_volume_usd": st.column_config.NumberColumn("median volume (USD/day)", format="%,.0f"),
        "members": st.column_config.TextColumn("members (along the axis)", width="large")})
    download_csv(described, "tiers.csv", "Download tiers CSV", key="map.tiers_download")
