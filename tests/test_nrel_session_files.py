"""NREL ALchemist 0.4.0 session files: the golden copy, the import, what it cannot map, files it refuses.

Real files in tmp_path, no mocks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from alchemist.errors import SessionFileError
from alchemist.files.nrel import import_alchemist_session
from ui.import_notes_words import note_lines
from tests.session_files_support import GOLDEN_DIR, shared_file
from tests.session_store_support import snapshot

ALCHEMIST_COPY = GOLDEN_DIR / "alchemist_nrel_0.4.0_reaction_campaign.json"
NREL_FILES = [
    "alchemist_session/reaction_campaign_alchemist040.json",
    "alchemist_session_queue/catalyst_campaign_alchemist040.json",
    "alchemist_session_queue/two_objective_campaign_alchemist040.json",
]


# -- ALchemist (NREL) sessions ---------------------------------------------------------------------
def alchemist_bytes() -> bytes:
    return ALCHEMIST_COPY.read_bytes()


def test_the_shared_alchemist_file_is_kept_as_a_golden_copy():
    assert ALCHEMIST_COPY.read_bytes() == shared_file(NREL_FILES[0]).read_bytes()


def test_import_an_alchemist_0_4_session(store):
    loaded = store.read_file(alchemist_bytes(), "reaction_campaign_alchemist040.json")
    assert loaded.origin == "alchemist" and loaded.info.kind == "alchemist"
    session, not_mapped = loaded.session, note_lines(loaded.notes)
    assert session.name == "Untitled Session"
    assert [(v.name, v.kind, v.unit, v.description) for v in session.variables] == [
        ("Temperature", "continuous", "°C", "bath temperature"),
        ("Time", "integer", "h", "reaction time"),
        ("Solvent", "categorical", "", "solvent"),
        ("Loading", "continuous", "mol%", ""),
    ]
    assert session.variables[2].levels == ("MeCN", "DMF", "Toluene")
    frame = session.experiments.frame
    source = json.loads(alchemist_bytes())["experiments"]["data"]
    assert len(frame) == len(source) == 12 and session.target == "Output"
    assert frame["Output"].tolist() == [row["Output"] for row in source]
    assert frame["Temperature"].tolist() == [row["Temperature"] for row in source]
    assert frame["Iteration"].tolist() == list(range(12)) and set(frame["Note"]) == {"Manual"}
    assert frame["Noise"].tolist() == [2.25] * 12
    assert session.statuses() == ["ok"] * 12
    assert session.model_settings.kernel == "matern32" and session.model_settings.seed == 42
    assert any("trained model" in n for n in not_mapped)
    assert any(e.origin == "NREL ALchemist" and e.original_time == "2026-11-25T17:19:39.739965" for e in session.audit)  # times kept as written
    session.train()  # the import is a usable campaign


def test_alchemist_import_lists_what_it_cannot_map():
    tree = json.loads(alchemist_bytes())
    tree["metadata"]["name"] = "Reaction campaign"
    tree["metadata"]["description"] = "a description"
    tree["experiments"]["target_columns"] = ["Output", "Selectivity"]
    for i, row in enumerate(tree["experiments"]["data"]):
        row["Selectivity"] = 0.5
        row["Operator"] = "AB"
    tree["experiments"]["data"][3]["Temperature"] = "warm"
    tree["experiments"]["data"].append(["not", "a", "record"])
    tree["search_space"]["variables"].append({"name": "Bad", "type": "real", "min": 5, "max": 1})
    tree["search_space"]["constraints"] = [{"expr": "Temperature < 100"}]
    tree["staged_experiments"] = [{"Temperature": 50.0, "Time": 3, "Solvent": "DMF", "Loading": 1.0}]
    tree["last_suggestions"] = [{"Temperature": 60.0}]
    tree["future_part"] = {"x": 1}
    tree["experiments"]["data"][0]["Noise"] = float("nan")
    text = json.dumps(tree)  # Python's json writes a NaN token
    assert "NaN" in text
    session, not_mapped = import_alchemist_session(text.encode())
    words = "\n".join(note_lines(not_mapped))
    assert session.name == "Reaction campaign"
    assert session.details.description == "a description"
    assert session.experiments.results == ("Selectivity",)  # a second result column is kept
    for fragment in ("'Operator'", "Experiments that are not records, not imported: 1", "Variable 5 ('Bad')",
                     "1 input constraint", "1 last suggestion", "future_part", "Experiments that do not fit the variables: 1"):
        assert fragment in words, fragment
    assert len(session.experiments) == 12 + 1  # 12 rows kept (one marked), 1 staged as pending
    from alchemist.problems import CellProblem, ProblemKind, RowStatus

    assert session.check_rows()[3].problems[0] == CellProblem("Temperature", ProblemKind.NOT_A_NUMBER, "warm")
    assert session.statuses()[-1] is RowStatus.PENDING
    assert pd.isna(session.experiments.frame["Noise"].tolist()[0])


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda t: t.update(version="9.0.0"), "format version 9.0.0"),
        (lambda t: t.update(version=[1]), "not a version number"),
        (lambda t: t.pop("search_space"), "no search_space"),
        (lambda t: t["search_space"].update(variables=[]), "lists no variables"),
        (lambda t: t["experiments"].update(data={"a": 1}), "experiments part"),
        (lambda t: t["experiments"].update(target_columns="Output"), "target_columns"),
    ],
)
def test_alchemist_files_that_cannot_be_imported(change, fragment):
    tree = json.loads(alchemist_bytes())
    change(tree)
    with pytest.raises(SessionFileError, match=fragment):
        import_alchemist_session(json.dumps(tree).encode())


@pytest.mark.parametrize("relative", NREL_FILES)
def test_import_session_takes_every_nrel_alchemist_0_4_file(store, relative):
    # The files ALchemist 0.4.0 itself wrote, from shared/: the one entry point of Load Session takes them.
    data = shared_file(relative).read_bytes()
    tree = json.loads(data)
    before = snapshot(store.root)
    loaded = store.read_file(data, Path(relative).name)
    assert snapshot(store.root) == before, "read_file writes nothing"
    assert loaded.origin == "alchemist" and loaded.notes
    session = loaded.session
    assert [v.name for v in session.variables] == [v["name"] for v in tree["search_space"]["variables"]]
    assert session.target == tree["experiments"]["target_columns"][0]
    measured = [s for s in session.statuses() if not s.startswith(("pending", "excluded"))]  # excluded: a failed run
    assert len(measured) == len(tree["experiments"]["data"])
    new_id = store.import_session(data, Path(relative).name)
    stored = store.get(new_id)
    assert stored is not None and stored.name == session.name and len(stored.experiments) == len(session.experiments)
