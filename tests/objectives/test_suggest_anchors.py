"""Where the objective search refines: around the best experiments that meet the outcome limits."""

import numpy as np

from alchemist.objectives.suggest import _anchors


def test_anchors_are_the_best_feasible_experiments_not_rows_of_the_unfiltered_table():
    U = np.array([[0.0, 0.0], [0.1, 0.1], [0.2, 0.2], [0.3, 0.3], [0.4, 0.4]])
    feasible = np.array([False, True, False, True, True])
    # The means of the feasible rows (1, 3, 4), minimised: row 4 is best, then row 1, then row 3.
    front = np.array([[5.0], [7.0], [1.0]])
    anchors = _anchors(U, feasible, np.zeros(len(U)), front, "minimize")
    np.testing.assert_array_equal(anchors, U[[4, 1, 3]])
    maximised = _anchors(U, feasible, np.zeros(len(U)), front, "maximize")
    np.testing.assert_array_equal(maximised, U[[3, 1, 4]])


def test_with_no_feasible_experiment_the_anchors_are_those_nearest_to_meeting_the_limits():
    U = np.array([[0.0, 0.0], [0.1, 0.1], [0.2, 0.2], [0.3, 0.3], [0.4, 0.4]])
    log_pof = np.log([0.01, 0.3, 0.001, 0.2, 0.05])
    anchors = _anchors(U, np.zeros(len(U), dtype=bool), log_pof, np.empty((0, 1)), "minimize")
    np.testing.assert_array_equal(anchors, U[[1, 3, 4]])
