"""Suggestions: the next experiments to run."""

from __future__ import annotations

import streamlit as st

import ui

session = ui.require_session()
st.header("Suggestions")
st.info("Train a model on the Model page first.")
