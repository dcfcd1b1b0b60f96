"""The Model page through AppTest: training, cross-validation, which variables matter, running out of memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alchemist.persistence import SessionStore
from tests.app.support import button, header, open_example, start_app, texts


def test_train_model_shows_status_and_hyperparameters(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Trained on 22 experiments" in texts(at.success)
    assert "Trained on 22 experiments" in header(at)
    assert len(at.dataframe[0].value) >= 4
    session = at.session_state["session"]
    restored = SessionStore(cache).get(session.id)
    X, _, _ = session.training_data()
    assert np.array_equal(restored.model.predict(X)[0], session.model.predict(X)[0])

def test_model_page_cross_validation_and_parity(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    button(at, "Cross-validate").click().run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [m.label for m in at.metric]
    assert labels == ["RMSE", "MAE", "R²", "Inside 95% interval"]
    validation = at.session_state["session"].validation
    assert validation is not None and validation.method == "leave-one-out" and len(validation.table) == 22
    assert SessionStore(cache).get(at.session_state["session"].id).validation.rmse == validation.rmse

def test_which_variables_matter_on_the_model_page(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    button(at, "Compute variable importance").click().run()
    assert not at.exception, [e.message for e in at.exception]
    key, result = at.session_state["sensitivity"]
    assert {v.name for v in result.variables} == {v.name for v in at.session_state["session"].variables}
    assert any("not a confidence interval" in c.value for c in at.caption)
    at.run()  # a rerun shows the cached figures
    assert at.session_state["sensitivity"][1] is result
    assert any("not a confidence interval" in c.value for c in at.caption)

def test_work_that_runs_out_of_memory_is_said_and_the_session_kept(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alchemist.session import Session

    def too_large(self, settings=None, progress=None):
        raise MemoryError("Unable to allocate 18.6 GiB")

    monkeypatch.setattr(Session, "train", too_large)
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "more memory than the server can give one operation" in texts(at.error)
    assert at.session_state["session"].model is None and len(at.session_state["session"].experiments) == 22
