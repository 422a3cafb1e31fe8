"""Cluster map: the 2-D scatter, named clusters, quality at a glance, selected symbols' rows."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_cluster_map
from pages._shared import METHOD_LABELS, REDUCTION_LABELS, cluster_result, download_csv, setup_page, show_messages

session = setup_page()
result = cluster_result(session)
fit, emb = result.clustering, result.embedding

st.title("Cluster map")
how = METHOD_LABELS[fit.config.method.value]
setting = f"k = {fit.n_clusters}" if fit.config.n_clusters else ""
if not fit.has_groups:
    setting = "(no clear groups)"
if fit.config.eps is not None and fit.config.method.value == "dbscan":
    setting = f"eps = {fit.config.eps:.3g}, min_samples = {fit.config.min_samples}"
st.caption(
    f"{how} {setting} on {len(result.prepared.Z.columns)} scaled features · "
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
cols[5].metric("Confidence", f"{fit.confidence.mean():.0%}",
               help="Mean share of 20 refits on 80 % of the symbols that keep a symbol in its cluster. "
                    "Faint, outlined markers are boundary symbols (< 60 %).")
cols[2].metric("Silhouette", _score(quality["silhouette"], 2), help="-1..1, higher = tighter, better separated groups.")
cols[3].metric("Calinski-Harabasz", _score(quality["calinski_harabasz"], 0), help="Higher = better separated.")
cols[4].metric("Davies-Bouldin", _score(quality["davies_bouldin"], 2), help="Lower = better separated.")

for note in no_groups:
    st.warning(note)
tentative = result.profile.table.query("cluster >= 0 and confidence < 0.5")
for _, row in tentative.iterrows():
    st.warning(f"**{row['name']}** is tentative: its members stay with it in only {row['confidence']:.0%} of "
               "resampled refits (faint markers); read it as the edge of its neighbours rather than a group.")
SIZES = {"avg_daily_volume_usd": "daily volume (log)", "momentum_30d": "30-day momentum (rank)",
         "annualized_return": "window return (rank)", "sharpe": "Sharpe (rank)", "max_drawdown": "max drawdown (rank)"}
size_by = st.selectbox("Marker size", list(SIZES), format_func=SIZES.get, key="map.size_by",
                       help="Clusters are formed on behaviour; size a performance measure on top of them.")
figure = plot_cluster_map(emb.coords, fit.labels, result.profile.names, result.view.features.X,
                          confidence=fit.confidence, size_by=size_by)
if emb.explained_variance is not None:
    figure.update_layout(xaxis_title=f"PC1 ({emb.explained_variance[0]:.0%})",
                         yaxis_title=f"PC2 ({emb.explained_variance[1]:.0%})")
event = st.plotly_chart(figure, width="stretch", key="map.chart", on_select="rerun",
                        selection_mode=("points", "box", "lasso"))

table = result.table()
picked = sorted({p.get("customdata") for p in (event.selection.points if event else []) if p.get("customdata")})
if picked:
    st.subheader(f"Selected ({len(picked)})")
    st.dataframe(table[table["symbol"].isin(picked)], hide_index=True, width="stretch", key="map.selected")
else:
    st.caption("Select points on the map (click, box or lasso) to see their rows here.")

st.subheader("Clusters")
summary = result.profile.table[["cluster", "name", "size", "reason", "members"]]
st.dataframe(summary, hide_index=True, width="stretch", key="map.summary")
download_csv(table, "clusters.csv", "Download clusters CSV", key="map.download")
