"""Templates in the app through AppTest: New from template (a preset, an uploaded file, a bad file), Save as template."""

from __future__ import annotations

from pathlib import Path

from alchemist.files.templates import template_to_json
from alchemist.templates.presets import CATALYST, preset
from tests.app.support import button, header, start_app


def test_new_session_from_the_reaction_preset(cache: Path) -> None:
    at = start_app()
    at.selectbox(key="template_choice").set_value("reaction").run()
    assert "5 variables: Temperature" in " ".join(c.value for c in at.caption)
    at.text_input(key="template_session_name_reaction").input("Suzuki coupling").run()
    button(at, "New from template").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "**5** variables · **0** experiments" in header(at)
    assert at.text_input(key="session_name").value == "Suzuki coupling"
    names = list(at.dataframe[0].value["Name"])
    assert names == ["Temperature", "Time", "Concentration", "Catalyst loading", "Solvent"]
    assert "Save as template" in {element.proto.label for element in at.get("download_button")}
    at.switch_page("pages/notebook.py").run()
    assert "Started from the template 'Reaction optimisation'" in at.dataframe[0].value["What"][0]


def test_new_session_from_an_uploaded_template_file(cache: Path) -> None:
    at = start_app()
    at.selectbox(key="template_choice").set_value("upload").run()
    data = template_to_json(preset(CATALYST))
    at.file_uploader(key="template_file").set_value(("catalyst_template.json", data, "application/json")).run()
    assert "4 variables: Temperature" in " ".join(c.value for c in at.caption)
    button(at, "New from template").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "**4** variables · **0** experiments" in header(at)


def test_a_bad_template_file_says_why_and_starts_nothing(cache: Path) -> None:
    at = start_app()
    at.selectbox(key="template_choice").set_value("upload").run()
    at.file_uploader(key="template_file").set_value(("t.json", b'{"format": "alchemist-session"}', "application/json")).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["'t.json' could not be read: This file is not an ALchemist template: it has no \"format\": \"alchemist-template\"."]
    assert "New from template" not in {b.label for b in at.button}
