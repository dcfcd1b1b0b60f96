"""Suggestions: which experiments to run next, and how the campaign is going."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

import ui
from alchemist.acquisition import ACQUISITIONS, AUTO, GOALS, MAX_BETA, scheduled_acquisition
from alchemist.analysis.stopping import Margin, model_best, settled_verdict, stopping_history
from alchemist.design import DESIGNS, MAX_POINTS
from alchemist.errors import AlchemistError
from alchemist.display import display_step, rounded, rounded_points
from alchemist.landscape import best_so_far, default_fixed_values, prediction_grid, slice_anchor
from alchemist.optimize import MAX_BATCH, MAX_BUDGET
from alchemist.session import ModelState
from ui import charts, words
from ui.objectives_form import objectives_section
from ui.plurals import counted

# Above this many measured experiments the landscape starts without their dots (they would hide it).
MANY_POINTS = 300

session = ui.require_session()
st.header("Suggestions")

ui.require_variables(session, "suggestions are values of them.")

X, y, _ = session.training_data()
labels = {v.name: v.label for v in session.variables}

# -- initial design ---------------------------------------------------------------------------
with st.expander("🎲 Initial design: the first experiments, before a model can help", expanded=len(y) < 2):
    method_col, n_col, seed_col = st.columns(3)
    method = method_col.selectbox("Method", list(DESIGNS), index=list(DESIGNS).index("lhs"), format_func=DESIGNS.get)
    n_points = n_col.number_input("Number of experiments", min_value=1, max_value=MAX_POINTS, value=max(2 * len(session.variables), 5))
    design_seed = seed_col.number_input("Random seed", min_value=0, value=0, step=1, key="design_seed")
    if st.button("Add initial design as pending experiments"):
        def add_design() -> None:
            design = session.initial_design(int(n_points), method=method, seed=int(design_seed))
            session.add_pending(design, note=f"Initial design ({DESIGNS[method]})")

        if ui.run_action(add_design, f"Added {int(n_points)} pending experiments. Fill in their results on the Experiments page."):
            st.rerun()

# -- settings ---------------------------------------------------------------------------------
settings = session.suggestion_settings
st.subheader("Next experiments")
objectives_section(session)
# Two rows, so that every label keeps to one line and the acquisition's name shows whole at 900 px.
goal_col, acq_col = st.columns([1, 2])
beta_col, n_col, seed_col, budget_col = st.columns([1.3, 1, 1, 2])
goal = goal_col.radio(
    "Goal", GOALS, index=GOALS.index(settings.goal), format_func=lambda g: g.capitalize() + " " + session.target,
    key=f"suggest_goal_{session.id}", disabled=bool(session.objectives), help="Set by the objectives when they are chosen.",
)
acquisition = acq_col.selectbox(
    "Acquisition", list(ACQUISITIONS), index=list(ACQUISITIONS).index(settings.acquisition),
    format_func=ACQUISITIONS.get, key=f"suggest_acquisition_{session.id}",
)
beta = beta_col.number_input(
    "β (confidence bound)", min_value=0.0, max_value=MAX_BETA, value=settings.beta, step=0.5,
    disabled=acquisition != "ucb", help="Larger values favour uncertain regions.", key=f"suggest_beta_{session.id}",
)
batch = n_col.number_input("How many", min_value=1, max_value=MAX_BATCH, value=settings.batch_size, step=1, key=f"suggest_n_{session.id}")
seed = seed_col.number_input("Seed", min_value=0, value=settings.seed, step=1, key=f"suggest_seed_{session.id}")
budget = budget_col.number_input(
    "Experiments planned in total (optional)", min_value=1, max_value=MAX_BUDGET, value=settings.budget, step=1,
    placeholder="not stated", disabled=acquisition != AUTO, key=f"suggest_budget_{session.id}",
    help="With a budget, the automatic choice refines the best conditions over the last 10% of it.",
)
if acquisition == AUTO:
    st.caption(words.policy_sentence(None if budget is None else int(budget)))
if len(y) < 2:
    st.info("Suggestions need a model, and a model needs at least 2 experiments with a result. "
            "Start with an initial design above.")
else:
    if st.button("Suggest next experiments", type="primary"):
        untrained = session.model_status().state is not ModelState.TRAINED
        had_suggestions = session.suggestions is not None and len(session.suggestions) > 0
        kept = ("the suggestions below are the previous ones" if had_suggestions and not untrained
                else "no new experiments were suggested")
        with ui.cancellable("Suggesting the next experiments…", f"Suggesting cancelled; {kept}.") as bar:
            # The long parts, shown and open to Cancel: training (kept once done, as on the Model page),
            # then the search, one suggested experiment after another.
            ok = not untrained or ui.run_action(lambda: session.train(progress=bar), f"Model trained on {len(y)} experiments.")

            def run_suggest() -> None:
                # None clears a budget stated before, which session.suggest's "None keeps it" cannot.
                session.suggestion_settings = replace(session.suggestion_settings, budget=None if budget is None else int(budget))
                session.suggest(n=int(batch), acquisition=acquisition, goal=goal, beta=float(beta), seed=int(seed),
                                progress=bar.steps(words.search_progress))

            ok = ok and ui.run_action(run_suggest, f"Suggested {counted(int(batch), 'experiment')} to run next; see the table below.")
        if ok:
            st.rerun()

suggestions = session.suggestions
if suggestions is not None and len(suggestions):
    shown = suggestions.rename(columns=labels).drop(columns=["Policy"], errors="ignore")
    shown.insert(0, "#", range(1, len(shown) + 1))
    # Why each one was chosen goes below the table, in full: a column of sentences scrolled sideways at 900 px.
    reasons = list(shown.pop("Reason")) if "Reason" in shown else []  # absent from sessions saved before
    for variable in session.variables:  # each to its own precision, also in the table's copy for screen readers
        if variable.kind != "categorical":
            shown[variable.label] = [rounded(variable, value) for value in shown[variable.label]]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Predicted mean": st.column_config.NumberColumn(f"Predicted {session.target}", format="%.4g"),
            "Predicted std": st.column_config.NumberColumn("± std", format="%.2g"),
            "Acquisition": st.column_config.NumberColumn("Acquisition value", format="%.4g"),
            **{v.label: st.column_config.NumberColumn(v.label, format=words.number_format(v))
               for v in session.variables if v.kind != "categorical"},
        },
    )
    if reasons:
        st.markdown("**Why these experiments** (by number in the table)  \n" + "  \n".join(words.reason_lines(reasons)))
    for note in words.reason_notes(reasons):
        st.info(note)
    st.caption(
        f"Predicted {session.target} is the model's mean ± one standard deviation. "
        "Pending experiments are never suggested again."
    )
    if st.button("Add as pending experiments", icon="➕"):
        def add_pending() -> None:
            label = ACQUISITIONS[session.suggestion_settings.acquisition]
            # Values a chemist can set, as the table shows them; a constrained search rounds and
            # repairs its points itself.
            planned = suggestions if session.input_constraints else rounded_points(session.variables, suggestions)
            session.add_pending(planned, note=f"Suggested ({label})")
            session.suggestions = None

        if ui.run_action(add_pending, f"Added {len(suggestions)} pending experiments. Enter their results on the Experiments page."):
            st.rerun()

# -- plots ------------------------------------------------------------------------------------
st.subheader("Progress")
progress = best_so_far(pd.to_numeric(session.experiments.frame[session.target], errors="coerce"), goal)
if progress["Result"].notna().sum() == 0:
    st.caption("No results yet.")
else:
    st.altair_chart(charts.convergence(progress, session.target), width="stretch")

model = session.model
model_current = model is not None and session.model_status().state is ModelState.TRAINED
# The model's best mean at a measured experiment: shown beside the best reading, and the incumbent
# the landscape's improvement map improves on, as the search does (a lucky reading is discounted).
best = model_best(model, X, y, goal=goal) if model is not None and len(y) and model.variables == tuple(session.variables) else None
if model_current and best is not None:
    best_cols = st.columns(2)
    best_cols[0].metric("Best observed", words.measured(best.best_observed))
    best_cols[1].metric(
        "Best by the model", words.measured(best.best_by_model),
        help="The model's mean at the measured experiment it rates best: a lucky noisy reading counts less.",
    )
    best_cols[1].caption(f"± {words.spread(best.std)} (one standard deviation)")

# -- when to stop -------------------------------------------------------------------------------
st.subheader("When to stop")
margin_percent = st.number_input(
    f"Smallest improvement worth an experiment (% of the observed range of {session.target})",
    min_value=0.01, max_value=100.0, value=1.0, step=0.5, key=f"stop_margin_{session.id}",
)
stop_key = (
    "stopping", session.id, session.model_fingerprint, None if model is None else model.theta.tobytes(),
    goal, float(margin_percent),
)
if not model_current:
    st.caption("Train the model on the current experiments to assess whether more experiments are worth it.")
elif st.button("Assess when to stop"):
    with st.spinner("Searching the space for the best chance of a worthwhile improvement…"):
        def assess() -> None:
            history = stopping_history(model, X, y, goal=goal, margin=Margin(float(margin_percent) / 100, relative=True))
            st.session_state["stopping"] = (stop_key, history)

        ui.run_action(assess)
cached = st.session_state.get("stopping")
if model_current and cached is not None and cached[0] == stop_key:  # computed for exactly these data
    history = cached[1]
    now = history[-1]
    verdict = settled_verdict([r.verdict for r in history])
    stop_cols = st.columns(2)
    stop_cols[0].metric(
        "Chance to beat the best", f"{now.probability:.0%}",
        help=f"The chance that the best next experiment improves on the best so far by more than {words.measured(now.margin)}.",
    )
    stop_cols[1].metric("Expected improvement left", words.measured(now.expected_improvement))
    st.info(words.stopping_reading(verdict.value, now.margin, session.target, goal))
    if len(history) > 1:
        moved = pd.DataFrame({
            "Experiments": [r.n_experiments for r in history],
            "Chance of beating the best by the margin": [r.probability for r in history],
            "Expected improvement left (share of margin)": [r.expected_improvement / r.margin for r in history],
        })
        st.altair_chart(charts.stopping_history(moved), width="stretch")
        st.caption("How both moved as the last experiments came in (the model as trained now, on the data of each round). "
                   "The advice says stop only when it held for two rounds.")

numeric = [v for v in session.variables if v.kind != "categorical"]
st.subheader("Model landscape")
if model is None:
    st.caption("Train a model (here or on the Model page) to see its predictions.")
elif len(numeric) < 2:
    st.caption("The landscape needs two numeric variables.")
elif model.variables != tuple(session.variables):
    st.caption("The variables changed since the model was trained; train it again to see its landscape.")
else:
    x_col, y_col, q_col = st.columns(3)
    names = [v.name for v in numeric]
    x_name = x_col.selectbox("Horizontal axis", names, index=0, format_func=labels.get, key="land_x")
    y_name = y_col.selectbox("Vertical axis", [n for n in names if n != x_name], index=0, format_func=labels.get, key="land_y")
    quantity = q_col.radio("Show", ["Predicted mean", "Predicted std", "Acquisition"], horizontal=True, key="land_q")
    others = [v for v in session.variables if v.name not in (x_name, y_name)]
    incumbent = session.incumbent(goal)
    anchor, source = slice_anchor(suggestions, None if incumbent is None else incumbent.values)
    fixed = default_fixed_values(session.variables, anchor)
    pin_col, points_col = st.columns(2)
    pinned = pin_col.toggle(
        "Pin this slice", key=f"land_pin_{session.id}",
        help="Keep the values below as they are. Unpinned, the map follows the newest suggestion, "
        "or the best experiment when there is none.",
    )
    show_measured = points_col.toggle(
        "Show measured experiments", value=len(X) <= MANY_POINTS, key=f"land_points_{session.id}",
        help="The dots of the measured experiments; with many experiments they hide the map.",
    )
    # The controls keep what the user set; when the slice's anchor moves (a new suggestion round,
    # a new best), they are set to it again, unless pinned.
    anchor_mark = (source.value, tuple(sorted((k, str(fixed[k])) for k in fixed)))
    follow = not pinned and st.session_state.get(f"land_anchor_{session.id}") != anchor_mark
    st.session_state[f"land_anchor_{session.id}"] = anchor_mark
    if others:
        st.caption(words.slice_caption(source, pinned))
        columns = st.columns(min(len(others), 4))
        for i, variable in enumerate(others):
            box = columns[i % len(columns)]
            key = f"fix_{session.id}_{variable.name}"
            if variable.kind == "categorical":
                options = list(variable.levels)
            elif variable.kind == "discrete":
                options = list(variable.values)
            else:
                options = None
            value = fixed[variable.name]
            if variable.kind == "integer":
                value = int(round(value))
            elif options is None:
                value = rounded(variable, value)
            # A value kept from before the variable changed would not fit the control: take the anchor's.
            kept_fits = key in st.session_state and variable.check(st.session_state[key]) is None
            if follow or not kept_fits:
                st.session_state[key] = value
            if options is not None:
                fixed[variable.name] = box.selectbox(
                    variable.label, options, key=key,
                    format_func=str if variable.kind == "categorical" else (lambda v, f=words.number_format(variable): f % v),
                )
            elif variable.kind == "integer":
                fixed[variable.name] = box.slider(
                    variable.label, min_value=int(variable.low), max_value=int(variable.high), step=1, format="%d", key=key,
                )
            else:
                fixed[variable.name] = box.slider(
                    variable.label, min_value=float(variable.low), max_value=float(variable.high),
                    step=display_step(variable), format=words.number_format(variable), key=key,
                )
    best_result = best.best_by_model if best is not None else None
    try:
        grid = prediction_grid(
            model, x_name, y_name, fixed, goal=goal, beta=float(beta), best=best_result,
            # The map shows what the automatic choice would use for the next experiment.
            acquisition=scheduled_acquisition(acquisition, len(y), None if budget is None else int(budget))[0],
            constraints=session.constraints,
        )
    except AlchemistError as error:
        st.error(error.message)
    else:
        points = [X[[x_name, y_name]].assign(Kind="Measured")] if show_measured else []
        if suggestions is not None and len(suggestions):
            points.append(suggestions[[x_name, y_name]].assign(Kind="Suggested"))
        shown_quantity = quantity if quantity in grid else "Predicted mean"
        st.altair_chart(
            charts.landscape(grid, x_name, y_name, shown_quantity, labels[x_name], labels[y_name],
                             pd.concat(points) if points else None),
            width="stretch",
        )
        st.caption(
            ("Measured points are drawn wherever the other variables were; " if show_measured else "")
            + "the map is a slice at the values above."
            + (" Grey: excluded by the constraints at these values." if "Feasible" in grid and not grid["Feasible"].all() else "")
        )
