"""Robustness: the walk-forward over a grid of settings (on Dask), so one lucky setting cannot fool anyone."""

from __future__ import annotations

import streamlit as st

from cluster_core.charts import plot_overfitting, plot_sweep_heatmap, plot_sweep_spread
from cluster_core.errors import ClusterCoreError
from cluster_core.strategies import DSR_CONFIDENCE
from cluster_core.sweep import AXES, AXIS_LABELS, METRIC_INFO, sweep_pivot
from pages._format import show_table
from pages._shared import action_widgets, download_csv, setup_page, show_messages, sync_state
from pages._state import SWEEP_OTHERS
from pages._sweeps import current_setting, default_scheduler, find_sweep, grid_widgets, run_with_progress

session = setup_page()
st.title("Robustness")
st.caption("Would the backtest look the same with another lookback, k, feature preset, smoothness or strategy? "
           "Every setting of the grid runs the same monthly walk-forward as the Backtest page (bars up to each "
           "month end only); everything else comes from the sidebar and the strategy pages' controls. "
           "It runs on Dask: this machine's cores by default, or a scheduler you give.")
show_messages(session.messages)
config = action_widgets()
grid = grid_widgets()
st.text_input("Dask scheduler", value=default_scheduler(), key="robust.scheduler",
              placeholder="blank: a LocalCluster with one worker per core of this machine",
              help="Address of a running Dask scheduler (tcp://host:8786) whose workers can import cluster_core. "
                   "Unreachable: the sweep runs on this machine instead, with a note.")
try:
    sweep = find_sweep(session, grid, config)
except ClusterCoreError as exc:
    st.error(str(exc))
    st.stop()
groups = len({c.fits_key for c in sweep.grid.cells()})
run = st.button(f"Run the sweep: {sweep.grid.size} settings", type="primary", key="robust.run",
                help=f"{groups} group{'s' if groups != 1 else ''} of settings: the settings of a group share their "
                     "monthly fits and run as one task.")
result = sweep.result
if run:
    result = run_with_progress(session, sweep, st.session_state["robust.scheduler"])
elif st.session_state.get("robust.cancel") and (result is None or not result.complete):
    done = 0 if result is None else len(result.table)
    st.warning(f"Cancelled after {done} of {sweep.grid.size} settings"
               + ("; the results below cover those." if done else "."))
if result is None:
    st.info(f"Press **Run the sweep** to run {sweep.grid.size} settings ({groups} groups of shared monthly fits). "
            "On the bundled hourly data the default 360-setting grid takes a few minutes on 2 cores.")
    st.stop()
if not result.complete and not st.session_state.get("robust.cancel"):
    st.warning(f"This sweep was cancelled after {len(result.table)} of {sweep.grid.size} settings; "
               "run it again for the rest.")
for note in result.notes:
    st.info(note)

table = result.table
ran = table[table["cagr"].notna()]
here = current_setting(session, config)
position = [i for i, row in enumerate(table[list(AXES)].itertuples(index=False, name=None))
            if row == tuple(here[a] for a in AXES)]
cagr = ran["cagr"]
cols = st.columns(5)
cols[0].metric("Settings", f"{len(table)}", help=f"{result.where}, {result.seconds:.0f} s")
cols[1].metric("Beat BTC", f"{ran['beats_btc'].mean():.0%}", help="Share of settings whose CAGR beat BTC buy & hold "
               "over the same months.")
cols[2].metric("Beat equal weight", f"{ran['beats_equal_weight'].mean():.0%}",
               help="Share of settings that beat an equal-weight portfolio of each month's universe.")
cols[3].metric("CAGR median", f"{cagr.median():.1%}", f"10th-90th pct {cagr.quantile(0.1):.0%} to "
               f"{cagr.quantile(0.9):.0%}", delta_color="off", delta_arrow="off")
if position:
    mine = table.iloc[position[0]]
    cols[4].metric("Sidebar setting", f"{mine['cagr']:.1%}",
                   f"better than {(cagr < mine['cagr']).mean():.0%} of settings", delta_color="off", delta_arrow="off",
                   help="CAGR of the sidebar's own setting and its rank in the sweep.")
else:
    cols[4].metric("Sidebar setting", "not in grid", help="Add the sidebar's lookback, k, preset, smoothness and "
                   "strategy to the grid to see where it ranks.")

overfit = result.overfitting()
st.subheader("Could the best setting be luck?")
cols = st.columns([1, 1, 3])
skilled = int((table["deflated_sharpe"] >= DSR_CONFIDENCE).sum())
cols[0].metric("Probability of overfitting", "–" if overfit is None else f"{overfit.pbo:.0%}",
               help="CSCV (Bailey et al., 2015): the months cut into blocks, every half of them picks the best "
                    "setting in sample, which is then ranked out of sample. The share of halves whose pick lands in "
                    "the bottom half. Near 50 %: picking the best setting is no better than picking at random.")
cols[1].metric("Deflated Sharpe ≥ 0.95", f"{skilled} of {len(ran)}",
               help="Settings whose Sharpe ratio is likely skill once the number of settings tried, their spread, "
                    "and the returns' skew and kurtosis are counted (Bailey and López de Prado, 2014). The "
                    "deflated_sharpe column has each setting's.")
with cols[2]:
    if overfit is None:
        st.info("Too few settings or shared months for CSCV (2+ settings, 4+ months they all cover).")
    else:
        st.plotly_chart(plot_overfitting(overfit.logits, overfit.pbo), width="stretch", key="robust.pbo")
        st.caption(f"{overfit.n_splits:,} splits of {overfit.n_blocks} blocks of the months every setting covers. "
                   "Method: docs/backtest-statistics.md.")

st.subheader("One metric over two settings")
axes = [a for a in AXES if len(getattr(sweep.grid, a)) > 1]
if len(axes) < 2:  # a heatmap needs two axes: a grid that varies one (or none) also offers the fixed ones
    axes += [a for a in AXES if a not in axes]
for key, fallback in (("robust.x", axes[0]), ("robust.y", axes[1]), ("robust.by", axes[-1])):
    if st.session_state[key] not in axes:
        st.session_state[key] = fallback
down = [a for a in axes if a != st.session_state["robust.x"]]  # never the same axis twice
if st.session_state["robust.y"] not in down:
    st.session_state["robust.y"] = down[0]
cols = st.columns(4)
cols[0].selectbox("Metric", list(METRIC_INFO), format_func=lambda m: METRIC_INFO[m].label, key="robust.metric")
cols[1].selectbox("Across", axes, format_func=AXIS_LABELS.get, key="robust.x")
cols[2].selectbox("Down", down, format_func=AXIS_LABELS.get, key="robust.y")
cols[3].radio("Other axes", SWEEP_OTHERS, key="robust.others")
sync_state()
metric, x, y = (st.session_state[k] for k in ("robust.metric", "robust.x", "robust.y"))
hold = st.session_state["robust.others"] == SWEEP_OTHERS[1]
try:
    pivot = sweep_pivot(ran, metric, x, y, {a: here[a] for a in AXES} if hold else None)
except ClusterCoreError as exc:
    st.error(f"{exc} The sidebar setting is not on the grid; showing the average over the other axes.")
    pivot = sweep_pivot(ran, metric, x, y)
st.plotly_chart(plot_sweep_heatmap(pivot, metric, x, y, (here[x], here[y])), width="stretch", key="robust.heatmap")
st.caption("Each cell: " + ("the setting with the other axes at the sidebar's values." if hold
                            else "the mean over the settings of the other axes.")
           + " The outlined cell is the sidebar's setting.")

st.subheader("The spread of outcomes")
st.selectbox("Split by", axes, format_func=AXIS_LABELS.get, key="robust.by")
sync_state()
st.plotly_chart(plot_sweep_spread(ran, metric, st.session_state["robust.by"],
                                  ran.index.get_loc(position[0]) if position and position[0] in ran.index else None),
                width="stretch", key="robust.spread")
st.subheader("Every setting")
show_table(table, key="robust.table", hide_index=True, column_config={
    name: st.column_config.NumberColumn(name, format="percent")
    for name in ("cagr", "max_drawdown", "volatility", "turnover", "cost_drag", "btc_cagr", "equal_weight_cagr",
                 "excess_vs_btc")
})
download_csv(table, "sweep.csv", "Download sweep CSV", key="robust.download")
