"""A new variable in a table with experiments: the value its rows take is asked for and checked by the variable."""

from __future__ import annotations

import pandas as pd
import pytest

from alchemist.problems import CellProblem, ProblemKind, RowStatus
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable


# -- a new variable in a table with experiments -------------------------------------------------------
def test_adding_a_variable_to_a_table_with_rows_asks_for_their_value_checked_by_the_variable():
    from alchemist.session import Session
    from alchemist.variable_fill import FillValueError, NeedsFillValue

    session = Session.new()
    session.add_variable(ContinuousVariable("T", low=0, high=10))  # no rows yet: nothing to ask
    session.add_experiments(pd.DataFrame({"T": [1.0, 2.0], "y": [0.1, 0.2]}), target="y")
    with pytest.raises(NeedsFillValue) as asked:
        session.add_variable(ContinuousVariable("P", low=1, high=20))
    assert asked.value.rows == 2 and [v.name for v in session.variables] == ["T"], "nothing changed"
    with pytest.raises(FillValueError) as refused:
        session.add_variable(ContinuousVariable("P", low=1, high=20), fill="25")
    assert refused.value.problem == CellProblem("P", ProblemKind.OUT_OF_RANGE, 25.0, low=1.0, high=20.0)
    with pytest.raises(FillValueError):
        session.add_variable(ContinuousVariable("P", low=1, high=20), fill="five")
    session.add_variable(ContinuousVariable("P", low=1, high=20), fill="2.5")
    assert session.experiments.frame["P"].tolist() == [2.5, 2.5] and session.statuses() == [RowStatus.OK] * 2
    session.add_variable(CategoricalVariable("S", levels=("a", "b")), fill="b")
    assert session.experiments.frame["S"].tolist() == ["b", "b"]
    session.add_variable(IntegerVariable("N", low=1, high=3), not_recorded=True)
    assert [c.problems for c in session.check_rows()] == [(CellProblem("N", ProblemKind.MISSING),)] * 2
