"""A template: a campaign's variables, result column, model and suggestion settings, without experiments.

A new session starts from one with `Session.from_template`; `Session.to_template` makes one of a
session. Every field is checked by the validator that owns it (variables by alchemist.variables,
settings by their own classes), so a template holds nothing a session would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from alchemist.errors import ModelError, SessionFileError, VariableError
from alchemist.model import ModelSettings
from alchemist.settings import SuggestionSettings
from alchemist.variables import MAX_TEXT_LENGTH, Variable, check_unique_names, clean_name, variable_from_state
from alchemist.validation import clean_title

MAX_TEMPLATE_NAME = 120  # as long as a session name: a session takes its template's name
MAX_TEMPLATE_VARIABLES = 200  # one encoded dimension each at least (alchemist.limits max_encoded_dims)


class TemplateError(VariableError):
    """A template is not valid as given; the message says which part."""


def _clean_template_name(name: Any) -> str:
    return clean_title(name, "template", MAX_TEMPLATE_NAME, TemplateError)


@dataclass(frozen=True)
class Template:
    name: str
    variables: tuple[Variable, ...]
    target: str = "Output"  # the result column's name
    description: str = ""
    model_settings: ModelSettings = field(default_factory=ModelSettings)
    suggestion_settings: SuggestionSettings = field(default_factory=SuggestionSettings)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _clean_template_name(self.name))
        if not isinstance(self.description, str) or len(self.description) > MAX_TEXT_LENGTH:
            raise TemplateError(f"A template's description must be text of at most {MAX_TEXT_LENGTH:,} characters.")
        variables = tuple(self.variables)
        if not variables:
            raise TemplateError("A template needs at least one variable.")
        if len(variables) > MAX_TEMPLATE_VARIABLES:
            raise TemplateError(f"A template can have at most {MAX_TEMPLATE_VARIABLES} variables.")
        check_unique_names(list(variables))
        object.__setattr__(self, "variables", variables)
        # The result column is a column of the table: the rules of a variable's name hold for it.
        target = clean_name(self.target)
        if target.casefold() in {v.name.casefold() for v in variables}:
            raise TemplateError(f"'{target}' is a variable; the result column needs a name of its own.")
        object.__setattr__(self, "target", target)
        if not isinstance(self.model_settings, ModelSettings) or not isinstance(self.suggestion_settings, SuggestionSettings):
            raise TemplateError("A template's settings are not in the expected form.")

    def to_state(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "variables": [v.to_state() for v in self.variables],
            "target": self.target,
            "model_settings": self.model_settings.to_state(),
            "suggestion_settings": self.suggestion_settings.to_state(),
        }

    @classmethod
    def from_state(cls, state: Any) -> "Template":
        """A template from plain data (a file, a preset); raises TemplateError naming the part that is wrong."""
        if not isinstance(state, dict):
            raise TemplateError("The template is not a mapping.")
        variables = state.get("variables")
        if not isinstance(variables, list):
            raise TemplateError("The template has no list of variables.")
        if len(variables) > MAX_TEMPLATE_VARIABLES:
            raise TemplateError(f"A template can have at most {MAX_TEMPLATE_VARIABLES} variables.")
        built: list[Variable] = []
        for position, entry in enumerate(variables, start=1):
            try:
                built.append(variable_from_state(entry))
            except VariableError as error:
                raise TemplateError(f"Variable {position} of the template: {error.message}") from None
        try:
            return cls(
                name=state.get("name"),
                variables=tuple(built),
                target=state.get("target", "Output"),
                description=state.get("description", ""),
                model_settings=ModelSettings.from_state(state.get("model_settings", {})),
                suggestion_settings=SuggestionSettings.from_state(state.get("suggestion_settings", {})),
            )
        except (SessionFileError, ModelError) as error:
            raise TemplateError(f"The template's settings are not valid: {error.message}") from None
        except VariableError as error:  # a name, the result column, two variables of one name
            raise TemplateError(error.message) from None


def template_of(name: str, variables: Sequence[Variable], target: str, model_settings: ModelSettings,
                suggestion_settings: SuggestionSettings, description: str = "") -> Template:
    """A template of a session's parts (the session's name is cut to a template's length, never refused)."""
    return Template(name[:MAX_TEMPLATE_NAME], tuple(variables), target, description, model_settings, suggestion_settings)
