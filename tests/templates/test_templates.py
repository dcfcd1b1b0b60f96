"""Templates: a session's set-up without its experiments, through JSON files and back; the shipped presets."""

from __future__ import annotations

import json

import pytest

from alchemist.audit import AuditKind
from alchemist.errors import FileFormatError
from alchemist.examples import catalyst_example
from alchemist.files.templates import MAX_TEMPLATE_FILE_BYTES, read_template, template_to_json
from alchemist.model import ModelSettings
from alchemist.session import Session
from alchemist.settings import SuggestionSettings
from alchemist.templates import Template, TemplateError
from alchemist.templates.presets import CATALYST, PRESETS, REACTION, preset
from alchemist.variables import ContinuousVariable
from tests.session_files_support import golden_session


def test_a_session_round_trips_through_a_template_file():
    session = golden_session()
    session.model_settings = ModelSettings(kernel="rbf", n_restarts=3, seed=11, warp_outputs=False)
    template = session.to_template(description="Every kind of variable")
    data = template_to_json(template)
    read = read_template(data)
    assert read == template
    fresh = Session.from_template(read, "Second campaign")
    assert fresh.id != session.id and fresh.name == "Second campaign"
    assert fresh.variables == session.variables and fresh.target == session.target == "Yield"
    assert fresh.model_settings == session.model_settings and fresh.suggestion_settings == session.suggestion_settings
    assert len(fresh.experiments) == 0 and fresh.model is None and fresh.suggestions is None
    assert list(fresh.experiments.frame.columns) == list(session.experiments.frame.columns)
    (entry,) = fresh.audit
    assert entry.kind is AuditKind.TEMPLATE and entry.inputs["template"] == template.name
    assert entry.outputs == {"variables": 4, "target": "Yield"}
    # The template holds no experiment: nothing of the table is in the file.
    assert "Low SAR" in data.decode() and "Initial Design" not in data.decode()


def test_a_session_from_a_template_round_trips_as_a_session():
    fresh = Session.from_template(preset(REACTION), "Screen")
    again = Session.from_state(fresh.to_state())
    assert again.to_template(name=fresh.to_template().name) == fresh.to_template()
    assert again.audit.head == fresh.audit.head


def test_the_reaction_preset_has_the_five_usual_conditions():
    template = preset(REACTION)
    assert [v.name for v in template.variables] == ["Temperature", "Time", "Concentration", "Catalyst loading", "Solvent"]
    assert [v.kind for v in template.variables] == ["continuous"] * 4 + ["categorical"]
    assert template.target == "Yield"


def test_the_catalyst_preset_has_the_example_variables():
    assert preset(CATALYST).variables == tuple(catalyst_example().variables)


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_preset_can_be_saved_and_read_again(key):
    template = preset(key)
    assert read_template(template_to_json(template)) == template


def document(**template_changes) -> dict:
    state = preset(REACTION).to_state()
    state.update(template_changes)
    return {"format": "alchemist-template", "format_version": 1, "template": state}


def as_bytes(tree: dict) -> bytes:
    return json.dumps(tree).encode()


@pytest.mark.parametrize("data, message", [
    (b"{not json", "not valid JSON"),
    (b"", "empty"),
    (b"[1, 2]", "not an ALchemist template"),
    (as_bytes({"format": "alchemist-session"}), "not an ALchemist template"),
    (as_bytes({**document(), "format_version": 2}), "format version 2"),
    (as_bytes({**document(), "format_version": "1"}), "which format version"),
    (b'{"format": "alchemist-template", "format": "x"}', "appears twice"),
    (b'{"format": "alchemist-template", "format_version": 1, "template": {"x": NaN}}', "NaN is not allowed"),
    (as_bytes(document(variables=[])), "at least one variable"),
    (as_bytes(document(variables=[{"kind": "continuous", "name": "T", "low": 5, "high": 1}])), "Variable 1 of the template"),
    (as_bytes(document(target="Solvent")), "is a variable"),
    (as_bytes(document(target="Noise")), "column the experiment table uses itself"),
    (as_bytes(document(name="")), "needs a name"),
    (as_bytes(document(model_settings={"kernel": "cubic"})), "settings are not valid"),
    (as_bytes(document(suggestion_settings={"batch_size": 0})), "settings are not valid"),
    (b" " * (MAX_TEMPLATE_FILE_BYTES + 1), "at most"),
    (b'{"format": "alchemist-template", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
    (b'{"format": "alchemist-template", "format_version": 1' + b"9" * 400 + b"}", "more than 309 digits"),
    (as_bytes(document(variables=[{"kind": "continuous", "name": f"v{i}", "low": 0, "high": 1} for i in range(201)])),
     "at most 200 variables"),
    (as_bytes(document(variables=[{"kind": "categorical", "name": "S", "levels": ["a", "a"]}])), "Variable 1 of the template"),
    ("{\"format\": \"alchemist-template\"}".encode("utf-16"), "not UTF-8"),
])
def test_a_bad_template_file_is_refused_in_words(data, message):
    with pytest.raises(FileFormatError, match=message):
        read_template(data)


def test_a_template_checks_its_parts_where_it_is_made():
    with pytest.raises(TemplateError, match="at least one variable"):
        Template("Empty", ())
    with pytest.raises(TemplateError, match="needs a name of its own"):
        Template("Clash", (ContinuousVariable("Yield", low=0, high=1),), target="yield")
    template = Template("  Spaced   name ", (ContinuousVariable("T", low=0, high=1),), suggestion_settings=SuggestionSettings(goal="minimize"))
    assert template.name == "Spaced name" and template.suggestion_settings.goal == "minimize"
