"""The library's progress hooks for long work (cross-validation, the suggestion search): called as the
work goes, and an exception raised from them stops the work and leaves the session as it was.

The app stops work this way (ui/progress.py): Streamlit raises its own control exception from the
progress bar's update when the user clicks Cancel.
"""

from __future__ import annotations

import pytest

from alchemist.examples import catalyst_example


class Stop(BaseException):
    """Stands in for Streamlit's control exception (a BaseException too)."""


def trained_example():
    session = catalyst_example()
    session.train()
    return session


def test_cross_validation_reports_each_fold_and_stops_when_asked() -> None:
    session = trained_example()
    calls: list[tuple[int, int]] = []
    result = session.validate(progress=lambda done, total: calls.append((done, total)))
    assert calls == [(fold, result.n_folds) for fold in range(result.n_folds)]

    def stop_at_third(done: int, total: int) -> None:
        if done == 2:
            raise Stop

    with pytest.raises(Stop):
        session.validate(progress=stop_at_third)
    assert session.validation is result  # the previous figures stay


def test_the_suggestion_search_reports_each_point_and_stops_when_asked() -> None:
    session = trained_example()
    calls: list[tuple[int, int]] = []
    first = session.suggest(n=3, progress=lambda found, wanted: calls.append((found, wanted)))
    assert calls == [(0, 3), (1, 3), (2, 3)]

    def stop_at_second(found: int, wanted: int) -> None:
        if found == 1:
            raise Stop

    with pytest.raises(Stop):
        session.suggest(n=3, seed=5, progress=stop_at_second)
    assert session.suggestions is first  # the previous suggestions stay
