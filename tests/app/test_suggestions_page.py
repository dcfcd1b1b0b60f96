"""The Suggestions page through AppTest: suggestions, pending rows, the landscape, initial designs, the automatic policy, when to stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from alchemist.persistence import SessionStore
from alchemist.problems import RowStatus
from tests.app.support import button, header, new_session_with, open_example, start_app, texts


def test_suggest_then_add_as_pending(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/suggestions.py").run()
    session_id = at.session_state["session"].id
    at.number_input(key=f"suggest_n_{session_id}").set_value(3)
    at.radio(key=f"suggest_goal_{session_id}").set_value("minimize")
    button(at, "Suggest next experiments").click().run()
    assert not at.exception, [e.message for e in at.exception]
    session = at.session_state["session"]
    assert session.suggestion_settings.goal == "minimize" and session.suggestion_settings.batch_size == 3
    table = at.dataframe[0].value
    assert len(table) == 3 and "Predicted mean" in table.columns and "Acquisition" in table.columns
    for variable in session.variables:
        assert all(variable.check(v) is None for v in session.suggestions[variable.name])
    assert "Trained on 22 experiments" in header(at)

    button(at, "Add as pending experiments").click().run()
    session = at.session_state["session"]
    assert len(session.experiments) == 25 and session.suggestions is None
    assert "Last change: Added 3 pending experiments." in texts(at.caption)
    assert session.statuses().count(RowStatus.PENDING) == 3
    assert "**25** experiments" in header(at)
    stored = SessionStore(cache).get(session.id)
    assert len(stored.experiments) == 25

    # A second round never repeats the pending points.
    button(at, "Suggest next experiments").click().run()
    pending = stored.pending_points()
    new = at.session_state["session"].suggestions
    for _, row in new.iterrows():
        assert not ((pending == row[pending.columns]).all(axis=1)).any()

def test_landscape_follows_the_newest_suggestion_unless_pinned(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/suggestions.py").run()
    sid = at.session_state["session"].id
    button(at, "Suggest next experiments").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Last change: Suggested 1 experiment to run next" in texts(at.caption)
    # The map's axes are the first two numeric variables: Catalyst (categorical) and Zinc Fraction are held.
    first = at.session_state["session"].suggestions.iloc[0]
    assert at.selectbox(key=f"fix_{sid}_Catalyst").value == first["Catalyst"]
    zinc = at.slider(key=f"fix_{sid}_Zinc Fraction")
    assert zinc.value == pytest.approx(round(first["Zinc Fraction"], 3))
    assert "held at the first suggested experiment" in texts(at.caption)

    # A new round moves the slice to the new first suggestion.
    at.radio(key=f"suggest_goal_{sid}").set_value("minimize")
    button(at, "Suggest next experiments").click().run()
    second = at.session_state["session"].suggestions.iloc[0]
    assert at.selectbox(key=f"fix_{sid}_Catalyst").value == second["Catalyst"]
    assert at.slider(key=f"fix_{sid}_Zinc Fraction").value == pytest.approx(round(second["Zinc Fraction"], 3))

    # Pinned, the slice stays where the user put it.
    at.toggle(key=f"land_pin_{sid}").set_value(True).run()
    at.slider(key=f"fix_{sid}_Zinc Fraction").set_value(0.5).run()
    at.radio(key=f"suggest_goal_{sid}").set_value("maximize")
    button(at, "Suggest next experiments").click().run()
    assert at.slider(key=f"fix_{sid}_Zinc Fraction").value == pytest.approx(0.5)
    assert "(pinned)" in texts(at.caption)

def test_landscape_hides_measured_points_on_request(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    at.switch_page("pages/suggestions.py").run()
    sid = at.session_state["session"].id
    assert at.toggle(key=f"land_points_{sid}").value is True  # 22 experiments: shown by default
    assert "Measured points are drawn" in texts(at.caption)
    at.toggle(key=f"land_points_{sid}").set_value(False).run()
    assert not at.exception
    assert "Measured points are drawn" not in texts(at.caption)

def test_initial_design_for_an_empty_campaign(cache: Path) -> None:
    at = new_session_with(start_app(), "Solvent", "Water\nEthanol")
    at.switch_page("pages/suggestions.py").run()
    assert any("needs at least 2 experiments" in i.value or "need a model" in i.value for i in at.info)
    button(at, "Add initial design as pending experiments").click().run()
    session = at.session_state["session"]
    assert len(session.experiments) == 5
    assert session.statuses() == [RowStatus.PENDING] * 5
    assert set(session.experiments.frame["Solvent"]) == {"Water", "Ethanol"}

def test_a_new_session_suggests_with_the_automatic_policy_and_says_why(cache: Path) -> None:
    at = open_example(start_app())
    at.switch_page("pages/suggestions.py").run()
    session_id = at.session_state["session"].id
    assert at.selectbox(key=f"suggest_acquisition_{session_id}").value == "auto"
    assert any("**Automatic**" in c.value for c in at.caption)
    at.number_input(key=f"suggest_budget_{session_id}").set_value(23)  # 22 done: the last one refines
    button(at, "Suggest next experiments").click().run()
    assert not at.exception, [e.message for e in at.exception]
    session = at.session_state["session"]
    assert session.suggestion_settings.budget == 23
    assert list(session.suggestions["Policy"]) == ["exploit"]
    assert "Reason" not in at.dataframe[0].value  # said in full below the table: a column scrolled at 900 px
    assert any("**1**: budget nearly spent: refine the best" in m.value for m in at.markdown)
    assert [m.label for m in at.metric][:2] == ["Best observed", "Best by the model"]

def test_when_to_stop_on_demand_and_not_recomputed_on_rerun(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alchemist.analysis.stopping as stopping

    at = open_example(start_app())
    at.switch_page("pages/model.py").run()
    button(at, "Train model").click().run()
    at.switch_page("pages/suggestions.py").run()
    assert not any(m.label == "Chance to beat the best" for m in at.metric)  # only on demand
    button(at, "Assess when to stop").click().run()
    assert not at.exception, [e.message for e in at.exception]
    labels = [m.label for m in at.metric]
    assert "Chance to beat the best" in labels
    assert "Expected improvement left" in labels
    assert any("Further experiments" in i.value or "Another experiment" in i.value for i in at.info)
    history = at.session_state["stopping"][1]
    assert len(history) > 1  # how both moved over the last rounds

    def no_recompute(*args, **kwargs):
        raise AssertionError("recomputed on a rerun")

    monkeypatch.setattr(stopping, "_report", no_recompute)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Expected improvement left" in [m.label for m in at.metric]
