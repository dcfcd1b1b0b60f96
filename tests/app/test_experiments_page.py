"""The Experiments page through AppTest: uploads, problem rows, unreadable files, parsing once per content."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.support import button, new_session_with, open_example, start_app, texts


def test_upload_experiments_and_see_problem_rows(cache: Path) -> None:
    at = new_session_with(start_app(), "Catalyst", "A\nB")
    at.switch_page("pages/experiments.py").run()
    csv = (
        b"Temperature,Catalyst,Yield,Comment,Operator\n350,A,0.4,first,AB\n900,A,0.5,hot,AB\n"
        b"400,C,0.6,,CD\nabc,B,0.7,,CD\n,,,,\n420,B,,pending,CD\n"
    )
    at.file_uploader(key="experiments_file0").set_value(("runs.csv", csv, "text/csv")).run()
    mapping = {box.label: box.value for box in at.selectbox if box.key.startswith("experiments_map0_")}
    assert mapping == {"Temperature": "variable:Temperature", "Catalyst": "variable:Catalyst", "Yield": "result",
                       "Comment": "note", "Operator": "ignored"}
    assert "1 completely empty row in the file is skipped" in texts(at.caption)
    button(at, "Import experiments").click().run()
    assert not at.exception
    session = at.session_state["session"]
    assert len(session.experiments) == 5 and session.target == "Yield"
    problems = texts(at.markdown)
    assert "Row 2: Temperature: 900 is outside 300 to 500" in problems
    assert "Row 3: Catalyst: unknown level 'C'" in problems
    assert "Row 4: Temperature: 'abc' is not a number" in problems
    assert "**1** usable for the model · **1** pending · **3** need attention" in problems
    assert "Columns not used: Operator." in texts(at.success)  # named, not dropped silently
    assert session.experiments.frame["Note"].tolist() == ["first", "hot", "", "", "pending"]

def test_unreadable_experiment_file_says_why(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/experiments.py").run()
    at.file_uploader(key="experiments_file0").set_value(("runs.xlsx", b"not a workbook", "application/octet-stream")).run()
    assert "is not an Excel workbook" in texts(at.error)
    assert len(at.session_state["session"].experiments) == 22

def test_an_upload_is_parsed_once_per_content_not_on_every_rerun() -> None:
    def script() -> None:
        import streamlit as st

        from alchemist.errors import FileFormatError
        from ui.uploads import parse_once

        def parse(data: bytes, name: str) -> str:
            st.session_state["parses"] = st.session_state.get("parses", 0) + 1
            if data == b"bad":
                raise FileFormatError("unreadable")
            return data.decode().upper()

        data = st.session_state.get("data", b"a,b\n1,2\n")
        try:
            st.text(parse_once("experiments", "x.csv", data, parse))
        except FileFormatError as error:
            st.text(f"error: {error.message}")
        st.button("Again")

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    at.button[0].click().run()
    at.run()
    assert at.session_state["parses"] == 1 and at.text[0].value.strip() == "A,B\n1,2"
    at.session_state["data"] = b"bad"
    at.run()
    at.run()  # an unreadable file is not read again either
    assert at.session_state["parses"] == 2 and at.text[0].value == "error: unreadable"
    at.session_state["data"] = b"new"
    at.run()
    assert at.session_state["parses"] == 3 and at.text[0].value == "NEW"
    assert len(at.session_state["parsed_uploads"]) == 1  # one kept file per kind of upload
