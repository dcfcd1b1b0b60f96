"""The experiment table's row and cell limits refuse a change before it is applied."""

from __future__ import annotations

import pandas as pd
import pytest

from alchemist.variables import ContinuousVariable


@pytest.fixture
def small_limits():
    from alchemist import limits

    before = limits.current()
    limits.configure(limits.Limits(max_experiments=50, max_table_cells=400))
    yield limits.current()
    limits.configure(before)


def test_row_and_cell_limits_refuse_a_change_before_it_is_applied(small_limits) -> None:
    from alchemist.errors import LimitError
    from alchemist.session import Session

    session = Session.new("Limits")
    session.add_variable(ContinuousVariable("T", low=0, high=10))
    session.add_experiments(pd.DataFrame({"T": [1.0] * 40, "Output": [0.5] * 40}), target="Output")
    before = session.experiments.frame.copy()
    with pytest.raises(LimitError) as error:
        session.add_experiments(pd.DataFrame({"T": [1.0] * 11, "Output": [0.5] * 11}), target="Output")
    assert error.value.limit == "max_experiments" and "50" in error.value.message
    with pytest.raises(LimitError) as error:
        session.edit_experiments(pd.concat([before] * 2, ignore_index=True))
    assert error.value.limit == "max_experiments"
    # 40 rows x (variables + 4 side columns): the seventh variable would pass 400 cells.
    session.add_variable(ContinuousVariable("P", low=0, high=10), fill=5)
    with pytest.raises(LimitError) as error:
        for name in "ABCDEFGH":
            session.add_variable(ContinuousVariable(name, low=0, high=10), fill=1)
    assert error.value.limit == "max_table_cells"
    assert len(session.experiments.frame) == 40
    assert list(session.experiments.frame.columns)[: len(session.variables)] == [v.name for v in session.variables]
    # Replacing with a file within the limits is still fine.
    session.add_experiments(pd.DataFrame({**{v.name: [1.0] * 5 for v in session.variables}, "Output": [1.0] * 5}),
                            target="Output", replace=True)
    assert len(session.experiments) == 5
