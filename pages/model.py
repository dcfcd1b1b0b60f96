"""Model: train a Gaussian process on the valid experiments and see what it learnt."""

from __future__ import annotations

import streamlit as st

import ui
from alchemist.model import KERNELS, ModelSettings

session = ui.require_session()
st.header("Model")

status = session.model_status()
X, y, _ = session.training_data()
st.caption(f"A Gaussian process trained on the {len(y)} valid experiment(s) that have a result.")

settings = session.model_settings
kernel_col, restarts_col, seed_col = st.columns(3)
kernel = kernel_col.selectbox(
    "Kernel", list(KERNELS), index=list(KERNELS).index(settings.kernel), format_func=KERNELS.get, key="model_kernel"
)
restarts = restarts_col.number_input(
    "Optimiser restarts", min_value=0, max_value=50, value=settings.n_restarts, step=1, key="model_restarts"
)
seed = seed_col.number_input("Random seed", min_value=0, value=settings.seed, step=1, key="model_seed")

if st.button("Train model", type="primary", disabled=len(y) < 2):
    with st.spinner(f"Fitting a Gaussian process to {len(y)} experiments…"):
        ok = ui.run_action(
            lambda: session.train(ModelSettings(kernel=kernel, n_restarts=int(restarts), seed=int(seed))),
            f"Model trained on {len(y)} experiments.",
        )
    if ok:
        st.rerun()
if len(y) < 2:
    st.info("A model needs at least 2 valid experiments with a result. Add them on the Experiments page.")

if session.model is None:
    st.info("No model yet.")
    st.stop()

if status.state == "stale":
    st.warning(f"{status.text}: the variables or experiments changed since it was trained. Train again to update it.")
else:
    st.success(f"{status.text} · kernel {KERNELS[session.model.settings.kernel]}")

st.subheader("Fitted hyperparameters")
st.dataframe(session.model.hyperparameters(), hide_index=True, width="stretch")
