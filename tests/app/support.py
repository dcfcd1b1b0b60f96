"""Driving the app through Streamlit's AppTest: start it, find a button, read the header."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def start_app(**query: str) -> AppTest:
    # Model fits take longer than AppTest's default 3 s.
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def button(at: AppTest, label: str):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button '{label}' among {[b.label for b in at.button]}"
    return matches[0]


def header(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**ID**"))


def texts(elements) -> str:
    return " | ".join(e.value for e in elements)


def open_example(at: AppTest) -> AppTest:
    button(at, "Open example").click().run()
    assert not at.exception
    return at


def add_variable(at: AppTest, prefix: str, kind: str, name: str, **fields) -> AppTest:
    at.selectbox(key=f"{prefix}_kind").set_value(kind).run()
    at.text_input(key=f"{prefix}_name").set_value(name)
    for key, value in fields.items():
        widget_key = f"{prefix}_{key}_{kind}" if key in ("low", "high") else f"{prefix}_{key}"
        if key == "levels":
            at.text_area(key=widget_key).set_value(value)
        elif key in ("low", "high"):
            at.number_input(key=widget_key).set_value(value)
        else:
            at.text_input(key=widget_key).set_value(value)
    button(at, "Add variable").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def new_session_with(at: AppTest, categorical: str, levels: str) -> AppTest:
    """A new session with a continuous Temperature and one categorical variable."""
    button(at, "New Session").click().run()
    add_variable(at, "add0", "continuous", "Temperature", unit="°C", low=300.0, high=500.0)
    return add_variable(at, "add1", "categorical", categorical, levels=levels)
