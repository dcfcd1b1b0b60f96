"""Values as NREL ALchemist's writers write them: the older layout that also stamps "1.1.0", outputs, hyperparameters.

From the files NREL ALchemist 0.4.0 itself wrote (shared/, see tests/nrel_support.py), and variants of them.
"""

from __future__ import annotations

import json

import pytest

from alchemist.files.nrel import import_alchemist_session
from alchemist.files.nrel_notes import NotMappedKind as K
from alchemist.files.nrel_values import numbers_in, output_cells
from tests.nrel_support import CATALYST, QUEUE_FILES, TWO_OBJECTIVES, imported, tree_of


# -- the older writer that also stamps "1.1.0" -------------------------------------------------------
def older_writer(tree: dict) -> str:
    """The file as ALchemist's earlier 1.1.0 writer wrote it: no target_columns, provenance, control or
    outcome constraints, no ProvenanceId or actual_inputs, a list as a result, NaN tokens in empty cells."""
    for key in ("provenance", "outcome_constraints", "control"):
        tree.pop(key, None)
    tree["experiments"].pop("target_columns")
    for row in [*tree["experiments"]["data"], *tree["audit_log"]["experiment_data"]]:  # the writer copies the same table
        row.pop("ProvenanceId")
        row["Noise"] = float("nan")
    for item in tree["staged_experiments"]:
        item.pop("actual_inputs"), item.pop("plot")
        if isinstance(item["output"], dict):
            item["output"] = list(item["output"].values())
    text = json.dumps(tree)
    assert "NaN" in text
    return text


@pytest.mark.parametrize("relative", QUEUE_FILES)
def test_the_older_layout_infers_the_results_and_finds_the_done_row_by_its_place(relative):
    tree = tree_of(relative)
    targets = tree["experiments"]["target_columns"]
    data = tree["experiments"]["data"]
    done = next(item for item in tree["staged_experiments"] if item["status"] == "done")
    session, notes = import_alchemist_session(older_writer(tree).encode())
    assert session.target == targets[0]
    frame = session.experiments.frame
    assert len(frame) == len(data) + 2, "the done item is found at its dataset_ref, not added again"
    assert frame[session.target].iat[done["dataset_ref"]] == data[done["dataset_ref"]][targets[0]]
    assert frame["Noise"].isna().all(), "a NaN token is an empty cell"
    assert {K.QUEUE_OUTPUTS, K.ROWS_INVALID, K.NOT_A_RECORD, K.AUDIT_DATA_DIFFERS}.isdisjoint(n.kind for n in notes)


# -- values as its writers write them ----------------------------------------------------------------
def test_an_output_is_a_number_a_mapping_or_a_list():
    assert output_cells(0.5, ["Output"]) == ({"Output": 0.5}, [])
    assert output_cells({"Yield": 75.1, "Cost": 72.5, "Purity": 1.0}, ["Yield", "Cost"]) == ({"Yield": 75.1, "Cost": 72.5}, ["Purity"])
    assert output_cells([75.1, 72.5], ["Yield", "Cost"]) == ({"Yield": 75.1, "Cost": 72.5}, [])
    assert output_cells(float("nan"), ["Output"]) == ({}, []) and output_cells(None, ["Output"]) == ({}, [])


def test_hyperparameter_text_is_read_for_numbers_and_never_evaluated(tmp_path):
    hyper = tree_of(CATALYST)["model_config"]["hyperparameters"]
    assert numbers_in(hyper["lengthscale"])[:2] == (0.009262302872949409, 16.561318777195368)
    assert len(numbers_in(hyper["lengthscale"])) == 6 and numbers_in(hyper["noise"]) == (0.0041794933672211305,)
    marker = tmp_path / "evaluated"
    tree = tree_of(TWO_OBJECTIVES)
    tree["model_config"]["hyperparameters"]["models"] = f"__import__('pathlib').Path({str(marker)!r}).touch() or [1.5e-3]"
    session, notes = imported(tree)
    assert not marker.exists()
    (fit,) = [n for n in notes if n.kind is K.MODEL_FIT]
    assert "models" in fit.names
    assert session.model_settings.kernel == "matern52", "nu=2.5 from training_config.kernel_params"
