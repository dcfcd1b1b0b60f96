"""Model: train a Gaussian process on the valid experiments and see what it learnt."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist import limits
from alchemist.analysis.sensitivity import sensitivity
from alchemist.diagnostics import DEFAULT_FOLDS, LOO_MAX_POINTS
from alchemist.model import KERNELS, MAX_RESTARTS, ModelSettings
from alchemist.session import ModelState
from ui import charts, words
from ui.plurals import counted

session = ui.require_session()
st.header("Model")

status = session.model_status()
X, y, _ = session.training_data()
st.caption(f"A Gaussian process trained on the {counted(len(y), 'valid experiment')} with a result.")

settings = session.model_settings
kernel_col, restarts_col, seed_col = st.columns([2, 1.3, 1.3], vertical_alignment="bottom")
kernel = kernel_col.selectbox(
    "Kernel", list(KERNELS), index=list(KERNELS).index(settings.kernel), format_func=KERNELS.get, key=f"model_kernel_{session.id}"
)
restarts = restarts_col.number_input(
    "Optimiser restarts", min_value=0, max_value=MAX_RESTARTS, value=settings.n_restarts, step=1, key=f"model_restarts_{session.id}"
)
seed = seed_col.number_input("Random seed", min_value=0, value=settings.seed, step=1, key=f"model_seed_{session.id}")
warp = st.checkbox(
    "Transform skewed results", value=settings.warp_outputs, key=f"model_warp_{session.id}",
    help="A power transform (Yeo-Johnson) of the results before fitting; helps when a few results are far larger "
    "than the rest. It never changes which result is best.",
)

shown_settings = ModelSettings(kernel=kernel, n_restarts=int(restarts), seed=int(seed), warp_outputs=warp)
if st.button("Train model", type="primary", disabled=len(y) < 2):
    # The fit reports its progress to the bar; Cancel (any click) stops it and keeps the model there was.
    with ui.cancellable(f"Training the model on {len(y)} experiments…", "Training cancelled; the previous model is kept.") as bar:
        ok = ui.run_action(lambda: session.train(shown_settings, progress=bar), f"Model trained on {len(y)} experiments.")
    if ok:
        st.rerun()
if len(y) < 2:
    st.info("A model needs at least 2 valid experiments with a result. Add them on the Experiments page.")

if session.model is None:
    st.info("No model yet.")
    st.stop()

status_text = words.model_status_text(status)
trained_with = session.model.settings
if status.state is ModelState.STALE:
    st.warning(f"{status_text}: the variables or experiments changed since it was trained. Train again to update it.")
else:
    st.success(status_text)
st.caption(f"**Current model:** {words.model_settings_text(trained_with)}")
changes = words.settings_changes(trained_with, shown_settings)
if changes:
    st.warning("The settings above differ from the ones the current model was trained with ("
               + "; ".join(changes) + "). Train the model to use them.", icon="✏️")
approximation = session.model.approximation
for note in words.model_notes(session.model.fit_stopped_early, approximation.reduced_on_load,
                              approximation.points_used, approximation.points_total, limits.current().fit_seconds):
    st.info(note)

st.subheader("Fitted hyperparameters")
rows = words.hyperparameter_rows(session.model.hyperparameters(), session.target)
# Tall enough for every row (a 6-variable model has a dozen): the table never hides its last one.
st.dataframe(rows, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3)
st.caption("A length scale is how far a variable must change, in its own units, before the result changes "
           "noticeably: a large one means the variable matters little.")

st.subheader("Which variables matter")
# Keyed by the model itself (its data and fitted hyperparameters), so a rerun shows the figures
# computed before and never computes them again; a new model needs the button again.
sensitivity_key = ("sensitivity", session.id, session.model_fingerprint, session.model.theta.tobytes())
if st.button("Compute variable importance", disabled=status.state is ModelState.STALE):
    with st.spinner("Sampling the model's predictions over the whole space…"):
        def compute_sensitivity() -> None:
            st.session_state["sensitivity"] = (sensitivity_key, sensitivity(session.model))

        ui.run_action(compute_sensitivity)
cached = st.session_state.get("sensitivity")
if cached is not None and cached[0] == sensitivity_key:
    result = cached[1]
    st.altair_chart(
        charts.sensitivity_bars(result.to_frame(), {v.name: v.label for v in session.variables}), width="stretch"
    )
    st.caption(words.sensitivity_note(result.subsets))

st.subheader("How well does it predict? (cross-validation)")
st.caption(f"Each experiment is predicted by a model fitted without it. Up to {LOO_MAX_POINTS} experiments: "
           f"leave-one-out; more: {DEFAULT_FOLDS}-fold.")
if st.button("Cross-validate", disabled=status.state is ModelState.STALE or len(y) < 3):
    kept = ("the figures below are the previous ones" if session.validation is not None else "nothing was changed")
    # The current model lends its fitted parameters: no refit, only one prediction per fold.
    with ui.cancellable(f"Predicting each of the {len(y)} experiments from the others…",
                        f"Cross-validation cancelled; {kept}.") as bar:
        ok = ui.run_action(lambda: session.validate(progress=bar.steps(words.fold_progress)),
                           "Cross-validated the model; the figures are below.")
    if ok:
        st.rerun()
validation = session.validation
if validation is not None:
    metrics = st.columns(4)
    metrics[0].metric("RMSE", f"{validation.rmse:.3g}", help=f"Root mean squared error, in units of {session.target}")
    metrics[1].metric("MAE", f"{validation.mae:.3g}", help=f"Mean absolute error, in units of {session.target}")
    metrics[2].metric("R²", f"{validation.r2:.3f}", help="1 is perfect; 0 is no better than the mean")
    metrics[3].metric("Inside 95% interval", f"{validation.coverage95:.0%}", help="Should be near 95%")
    st.altair_chart(charts.parity(validation.table, session.target), width="content")
    st.caption(f"{validation.method.capitalize()} with {validation.n_folds} folds. Bars: 95% prediction intervals.")
