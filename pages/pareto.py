"""Pareto: the trade-off between two or more objectives, measured and predicted, and picking a point by a target."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist.errors import AlchemistError
from alchemist.objectives import PickReason, PickRule, pick_on_front
from alchemist.objectives.campaign import MEETS_LIMITS, ON_FRONT, ROW, predicted_objectives
from ui import words
from ui.constraint_words import objectives_text, pick_text
from ui.pareto_chart import pareto_plot

session = ui.require_session()
st.header("Pareto")
ui.require_variables(session, "the trade-off is between results of experiments over them.")

optimized = [o for o in session.objectives if o.is_optimized]
if len(optimized) < 2:
    st.info("The Pareto plot needs two or more objectives. Choose them under 🎯 Objectives on the Suggestions page.")
    st.page_link("pages/suggestions.py", label="Go to Suggestions", icon="🎯")
    st.stop()

st.caption(words.plain("Objectives: " + objectives_text(session.objectives) + "."))
measured = session.pareto_front()
st.markdown(f"**{int(measured[ON_FRONT].sum())}** of {len(measured)} measured experiments are on the front "
            "(no other experiment is at least as good in every objective and better in one).")

names = [o.name for o in optimized]
x_col, y_col = st.columns(2)
x_name = x_col.selectbox("Horizontal axis", names, index=0, key="pareto_x")
y_name = y_col.selectbox("Vertical axis", [n for n in names if n != x_name], index=0, key="pareto_y")
chart_slot = st.container()  # drawn last, once the pick below is known

# The predicted front costs a model per objective: drawn on request, kept per data and objectives.
predicted_key = ("pareto_predicted", session.id, session.experiments.fingerprint(session.variables),
                 repr([o.to_state() for o in session.objectives]), repr([c.to_state() for c in session.constraints]))
predicted = st.session_state.get("pareto_predicted", {}).get(predicted_key)
if predicted is None and st.button("Show the models' predicted trade-off"):
    with st.spinner("Training a model per objective and predicting over the allowed points…"):
        def predict() -> None:
            st.session_state["pareto_predicted"] = {predicted_key: predicted_objectives(session)}

        if ui.run_action(predict):
            st.rerun()

# -- pick by a target -------------------------------------------------------------------------------
st.subheader("Pick a point by a target")
by_name = {o.name: o for o in optimized}
target = st.selectbox("Best in", names, index=len(names) - 1, key="pareto_target",
                      format_func=lambda n: f"{'lowest' if by_name[n].direction == 'minimize' else 'highest'} {n}")
at_least: dict[str, float] = {}
at_most: dict[str, float] = {}
others = [o for o in optimized if o.name != target]
for column, objective in zip(st.columns(len(others)), others):
    word = "at least" if objective.direction == "maximize" else "at most"
    value = column.number_input(f"{objective.name} {word}", value=None, format="%g", placeholder="no limit",
                                key=f"pareto_limit_{objective.name}")
    if value is not None:
        (at_least if objective.direction == "maximize" else at_most)[objective.name] = float(value)
source = st.radio("Among", ["Measured experiments", "Predicted front"], horizontal=True, key="pareto_source",
                  disabled=predicted is None)
table = predicted[predicted[ON_FRONT]] if source == "Predicted front" and predicted is not None else measured
picked = None
try:
    pick = pick_on_front(table, session.objectives, PickRule(target, at_least=at_least, at_most=at_most))
except AlchemistError as error:
    st.error(words.plain(error.message))
else:
    st.markdown(words.plain(pick_text(pick, target, by_name[target].direction)))
    if pick.reason is PickReason.PICKED:
        picked = table.loc[[pick.index]]
        shown = picked.drop(columns=[ON_FRONT, MEETS_LIMITS], errors="ignore")
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={ROW: st.column_config.NumberColumn("Row", format="%d")})

chart_slot.altair_chart(pareto_plot(measured, predicted, x_name, y_name, picked), width="stretch")
chart_slot.caption("Measured: the experiments' results (excluded and pending ones are left out). "
           "Predicted front: the models' means over a space-filling set of allowed points.")
