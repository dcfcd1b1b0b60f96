"""The app's wording of library data: the sentences users (and the browser tests) read."""

from __future__ import annotations

import pandas as pd
import pytest

from alchemist.experiment_import import import_frame
from alchemist.experiments import ExperimentTable
from alchemist.problems import CellProblem, ProblemKind, RowCheck, RowStatus
from alchemist.session import ModelState, ModelStatus
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable
from alchemist.errors import ChangeKind, ChangeNeedsConfirmation
from ui import words
from ui.plurals import bold_counted, counted


@pytest.mark.parametrize(
    "problem, text",
    [
        (CellProblem("Temperature", ProblemKind.OUT_OF_RANGE, 500.0, low=350.0, high=450.0),
         "Temperature: 500 is outside 350 to 450"),
        (CellProblem("T", ProblemKind.OUT_OF_RANGE, 10.25, low=0.5, high=10.0), "T: 10.25 is outside 0.5 to 10"),
        (CellProblem("Temperature", ProblemKind.NOT_A_NUMBER, "warm"), "Temperature: 'warm' is not a number"),
        (CellProblem("Output", ProblemKind.NOT_A_NUMBER, float("inf")), "Output: 'inf' is not a number"),
        (CellProblem("Cycles", ProblemKind.MISSING), "Cycles: missing value"),
        (CellProblem("Cycles", ProblemKind.NOT_WHOLE, 2.5), "Cycles: 2.5 is not a whole number"),
        (CellProblem("Catalyst", ProblemKind.NOT_A_LEVEL, "Medium SAR", allowed=("Low SAR", "High SAR")),
         "Catalyst: unknown level 'Medium SAR'"),
        (CellProblem("SAR", ProblemKind.NOT_ALLOWED, 81.0, allowed=(80.0, 280.0)), "SAR: 81 is not one of 80, 280"),
        (CellProblem("Noise", ProblemKind.NEGATIVE, -0.1), "Noise: must not be negative"),
    ],
)
def test_each_problem_kind_has_its_sentence(problem, text):
    assert words.problem_text(problem) == text


def test_every_problem_kind_is_worded():
    for kind in ProblemKind:
        assert words.problem_text(CellProblem("X", kind, 1.0, low=0.0, high=0.5, allowed=(0.0, 2.0))).startswith("X: ")


def test_row_status_sentences_and_cells():
    invalid = RowCheck(
        RowStatus.INVALID,
        (CellProblem("Temperature", ProblemKind.NOT_A_NUMBER, "hot"), CellProblem("Cycles", ProblemKind.MISSING)),
    )
    assert words.status_text(invalid) == "Temperature: 'hot' is not a number; Cycles: missing value"
    assert words.status_cell(RowCheck(RowStatus.OK)) == "✅ ok"
    assert words.status_cell(RowCheck(RowStatus.PENDING)) == "⏳ pending: no result yet"
    assert words.status_cell(invalid).startswith("⚠️ Temperature: 'hot'")


def test_a_table_worded_end_to_end():
    variables = [
        ContinuousVariable("Temperature", low=350, high=450),
        CategoricalVariable("Catalyst", levels=("Low SAR", "High SAR")),
        IntegerVariable("Cycles", low=1, high=5),
        DiscreteVariable("SAR", values=(80, 280)),
    ]
    table = ExperimentTable(variables)
    import_frame(
        table,
        pd.DataFrame(
            {
                "Temperature": [400, 500, 400],
                "Catalyst": ["Low SAR", "Low SAR", "Medium SAR"],
                "Cycles": [1, 2, 2.5],
                "SAR": [80, 80, 81],
                "Yield": [0.3, 0.2, None],
            }
        ),
        variables,
        "Yield",
    )
    checks = table.check_rows(variables)
    assert [words.status_text(c) for c in checks] == [
        "ok",
        "Temperature: 500 is outside 350 to 450",
        "Catalyst: unknown level 'Medium SAR'; Cycles: 2.5 is not a whole number; SAR: 81 is not one of 80, 280",
    ]
    assert words.table_summary(checks) == (
        "**3** experiments · **1** usable for the model · **0** pending · **2** need attention"
    )


def test_model_status_sentences():
    assert words.model_status_text(ModelStatus(ModelState.NONE, 0)) == "No model"
    assert words.model_status_text(ModelStatus(ModelState.TRAINED, 3)) == "Trained on 3 experiments"
    assert words.model_status_text(ModelStatus(ModelState.STALE, 3)) == "Out of date (trained on 3 experiments)"
    assert words.model_status_text(ModelStatus(ModelState.TRAINED, 50_000, 2_000)) == (
        "Trained on 50,000 experiments, using a representative 2,000 of them"
    )


def test_counts_take_the_singular_only_for_one():
    assert bold_counted(1, "variable") == "**1** variable"
    assert bold_counted(0, "experiment") == "**0** experiments"
    assert counted(2000, "experiment") == "2,000 experiments"
    assert counted(2, "entry", "entries") == "2 entries" and counted(1, "entry", "entries") == "1 entry"


def test_plain_makes_links_images_and_streamlit_syntax_inert() -> None:
    from ui.words import plain, problem_text
    from alchemist.problems import MAX_MAGNITUDE

    assert plain("[x](http://evil)") == "\\[x\\](http:\\/\\/evil)"
    assert plain("![img](https://x/y.png)") == "!\\[img\\](https:\\/\\/x/y.png)"
    assert plain(":red[a] $x$ *b* _i_ `c` <b> www.x.org") == ":red\\[a\\] \\$x\\$ \\*b\\* \\_i\\_ \\`c\\` \\<b\\> www\\.x.org"
    assert plain("Yield (%): 3.5, it's fine.") == "Yield (%): 3.5, it's fine."  # sentences read as written
    assert plain("two\nlines") == "two lines"
    too_large = CellProblem("Yield", ProblemKind.TOO_LARGE, 1e155, low=-MAX_MAGNITUDE, high=MAX_MAGNITUDE)
    assert problem_text(too_large) == "Yield: 1e+155 is too large (at most 1e+12 in size); check for a typo"


# -- the dashboard's own words -----------------------------------------------------------------
def test_trained_settings_and_what_changed_since() -> None:
    from alchemist.model import ModelSettings

    trained = ModelSettings(kernel="matern52", n_restarts=5, seed=0, warp_outputs=True)
    assert words.model_settings_text(trained) == "Matérn 5/2 kernel · 5 restarts · seed 0 · skewed results transformed"
    assert words.settings_changes(trained, trained) == []
    shown = ModelSettings(kernel="rbf", n_restarts=1, seed=3, warp_outputs=False)
    assert words.settings_changes(trained, shown) == [
        "kernel Matérn 5/2 → RBF", "restarts 5 → 1", "seed 0 → 3", "transform of skewed results on → off",
    ]


def test_fit_progress_and_model_notes() -> None:
    from alchemist.model import FitProgress

    text = words.fit_progress(FitProgress(120, 4.2, 60.0, -3.0))
    assert text == "Tried 120 sets of model parameters · 4 s (stops at 60 s at the latest, keeping the best found)"
    assert words.model_notes(False, False, 10, 10, 60.0) == []
    stopped, reduced = words.model_notes(True, True, 3000, 50000, 60.0)
    assert "time limit (60 s)" in stopped
    assert "representative 3000 of the 50000 experiments" in reduced


@pytest.mark.parametrize("days, text", [(7, "7 days"), (1, "1 day"), (0.5, "12 hours"), (1 / 24, "1 hour")])
def test_duration(days: float, text: str) -> None:
    from datetime import timedelta

    assert words.duration(timedelta(days=days)) == text


def test_number_formats_follow_the_variable() -> None:
    assert words.number_format(ContinuousVariable("T", low=300.0, high=500.0)) == "%.1f"
    assert words.number_format(IntegerVariable("n", low=1, high=200)) == "%d"
    assert words.number_format(ContinuousVariable("T", low=300.0, high=500.0)) % 404.0684519878572 == "404.1"


def test_slice_caption() -> None:
    from alchemist.landscape import SliceSource

    assert "first suggested experiment" in words.slice_caption(SliceSource.SUGGESTION, False)
    assert "best experiment so far" in words.slice_caption(SliceSource.BEST, False)
    assert "(pinned)" in words.slice_caption(SliceSource.BEST, True)


def test_every_storage_failure_has_words_for_the_user():
    from alchemist.errors import LimitError, StorageError, StorageReason

    for reason in StorageReason:
        text = words.storage_problem(StorageError("library text", reason))
        assert text and text.endswith(".") and "library text" not in text
    assert words.storage_problem(LimitError("Too large.", "session_bytes")) == "Too large."


def test_an_uncertainty_reads_with_two_significant_digits():
    assert words.spread(0.0019183) == "0.0019"
    assert words.spread(12.345) == "12"
    assert words.measured(0.56512) == "0.5651"


def test_a_change_that_needs_confirmation_names_the_experiments_it_affects():
    edit = ChangeNeedsConfirmation(ChangeKind.EDIT_VARIABLE, [1, 2])
    assert words.confirmation_text(edit) == (
        "This change makes 2 experiments invalid: rows 2, 3. They stay in the table, marked, but a model will not use them.")
    one = ChangeNeedsConfirmation(ChangeKind.EDIT_VARIABLE, [4])
    assert words.confirmation_text(one).startswith("This change makes 1 experiment invalid: row 5. It stays")
    delete = ChangeNeedsConfirmation(ChangeKind.DELETE_VARIABLE, list(range(30)), variable="T")
    assert words.confirmation_text(delete) == (
        "Deleting 'T' removes its values from 30 experiments: rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 and 18 more.")
    imported = ChangeNeedsConfirmation(ChangeKind.IMPORT_VARIABLES, [0, 1], dropped=["Catalyst"])
    assert words.confirmation_text(imported) == (
        "Importing these variables removes the column Catalyst with its values and affects 2 experiments: rows 1, 2.")
