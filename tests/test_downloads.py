"""ui.downloads: a deferred download whose click reruns the page waits for that rerun to begin."""

from __future__ import annotations

import threading

import pytest
import streamlit as st

import ui.downloads as downloads


@pytest.fixture(autouse=True)
def fresh_tab():
    st.session_state.pop(downloads.TAB_KEY, None)
    downloads.run_started()  # the run that draws the button
    yield
    st.session_state.pop(downloads.TAB_KEY, None)


def runs_of_this_tab() -> int:
    return downloads._runs[st.session_state[downloads.TAB_KEY]]


def test_the_file_is_built_only_once_the_rerun_of_the_click_has_begun() -> None:
    seen: list[int] = []
    token = st.session_state[downloads.TAB_KEY]
    deferred = downloads.after_rerun(lambda: seen.append(downloads._runs[token]) or b"file")
    drawn_in = runs_of_this_tab()
    result: list[bytes] = []
    worker = threading.Thread(target=lambda: result.append(deferred()))  # Streamlit's worker thread
    worker.start()
    worker.join(0.5)
    assert worker.is_alive(), "the file was built before the click's rerun began"
    downloads.run_started()  # the click's rerun
    worker.join(10)
    assert not worker.is_alive()
    assert result == [b"file"] and seen == [drawn_in + 1]


def test_a_rerun_that_never_comes_holds_the_file_back_only_for_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(downloads, "RERUN_WAIT_SECONDS", 0.0)
    assert downloads.after_rerun(lambda: b"file")() == b"file"


def test_a_forgotten_tab_builds_at_once_and_the_count_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    deferred = downloads.after_rerun(lambda: b"file")
    monkeypatch.setattr(downloads, "MAX_TABS", 3)
    for _ in range(4):  # other tabs' runs push this one out
        st.session_state.pop(downloads.TAB_KEY)
        downloads.run_started()
    assert len(downloads._runs) <= 3
    monkeypatch.setattr(downloads, "RERUN_WAIT_SECONDS", 600.0)
    result: list[bytes] = []
    worker = threading.Thread(target=lambda: result.append(deferred()), daemon=True)
    worker.start()
    worker.join(30)
    assert result == [b"file"], "a forgotten tab waited for a rerun it can no longer see"
