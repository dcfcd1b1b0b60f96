"""A session as plain data and back: the one tree that both file formats (.pkl and JSON) store.

Every part is checked on the way in; an absent key of a newer part (audit, constraints,
objectives, exclusions, the import mapping) loads as empty, so older files keep loading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alchemist import exclusions
from alchemist.audit import AuditTrail
from alchemist.constraints import session_rules
from alchemist.diagnostics import validation_from_state, validation_to_state
from alchemist.errors import ModelError, SessionFileError, VariableError
from alchemist.experiments import ExperimentTable
from alchemist.files.mapping import remembered_from_state
from alchemist.files.migrations import STATE_VERSION
from alchemist.model import GPModel, ModelSettings
from alchemist.objectives import objectives_from_state
from alchemist.plain import frame_from_state, frame_to_state, timestamp_from_state, timestamp_to_state
from alchemist.session_details import SessionDetails
from alchemist.settings import SuggestionSettings
from alchemist.variables import check_unique_names, variable_from_state

if TYPE_CHECKING:
    from alchemist.session import Session


def to_state(session: "Session") -> dict:
    return {
        "state_version": STATE_VERSION,
        "id": session.id,
        "name": session.name,
        "details": session.details.to_state(),
        "created": timestamp_to_state(session.created),
        "modified": timestamp_to_state(session.modified),
        "variables": [v.to_state() for v in session.variables],
        "experiments": session.experiments.to_state(),
        "model_settings": session.model_settings.to_state(),
        "model": session.model.to_state() if session.model is not None else None,
        "model_fingerprint": session.model_fingerprint,
        "suggestion_settings": session.suggestion_settings.to_state(),
        "suggestions": frame_to_state(session.suggestions) if session.suggestions is not None else None,
        "validation": validation_to_state(session.validation),
        "audit": session.audit.to_state(len(session.experiments)),
        "constraints": session_rules.constraints_to_state(session.input_constraints),
        "objectives": [o.to_state() for o in session.objectives],
        "exclusion_log": exclusions.log_to_state(session.exclusion_log),
        "import_mapping": dict(session.import_mapping),
    }


def from_state(cls: "type[Session]", state: Any) -> "Session":
    from alchemist.session import clean_session_name, is_session_id

    if not isinstance(state, dict):
        raise SessionFileError("The session in the file is not in the expected form.")
    if state.get("state_version") != STATE_VERSION:
        raise SessionFileError(f"The session in the file has an unknown layout ({state.get('state_version')!r}).")
    if not is_session_id(state.get("id")):
        raise SessionFileError("The session in the file has no valid id.")
    try:
        variables = [variable_from_state(v) for v in _list(state.get("variables"), "variables")]
        check_unique_names(variables)
        name = clean_session_name(state.get("name"))
    except VariableError as error:
        raise SessionFileError(f"A variable in the file is not valid: {error.message}") from None
    experiments = ExperimentTable.from_state(state.get("experiments"), variables)
    if experiments.target in {v.name for v in variables}:
        raise SessionFileError(f"In the file, '{experiments.target}' is both a variable and the result column.")
    try:
        settings = ModelSettings.from_state(state.get("model_settings"))
        model = GPModel.from_state(state["model"]) if state.get("model") is not None else None
    except ModelError as error:
        raise SessionFileError(f"The model in the file cannot be used: {error.message}") from None
    fingerprint = state.get("model_fingerprint")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise SessionFileError("The model in the file is not in the expected form.")
    suggestions = state.get("suggestions")
    constraints = session_rules.session_constraints_from_state(state.get("constraints"), variables)
    objectives = objectives_from_state(state["objectives"]) if state.get("objectives") else []
    missing = [o.name for o in objectives if o.name not in (experiments.target, *experiments.results)]
    if missing or {o.name for o in objectives} & {v.name for v in variables}:
        raise SessionFileError("The objectives in the file do not name result columns of its experiments.")
    return cls(
        id=state["id"],
        name=name,
        details=SessionDetails.from_state(state.get("details")),
        created=timestamp_from_state(state.get("created")),
        modified=timestamp_from_state(state.get("modified")),
        variables=variables,
        experiments=experiments,
        model_settings=settings,
        model=model,
        model_fingerprint=fingerprint,
        suggestion_settings=SuggestionSettings.from_state(state.get("suggestion_settings", {})),
        suggestions=frame_from_state(suggestions, "suggestions") if suggestions is not None else None,
        validation=validation_from_state(state.get("validation")),
        audit=AuditTrail.from_state(state.get("audit"), len(experiments)),
        input_constraints=constraints,
        objectives=objectives,
        exclusion_log=exclusions.log_from_state(state.get("exclusion_log")),
        import_mapping=remembered_from_state(state.get("import_mapping")),
    )


def _list(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise SessionFileError(f"The {what} in the file are not a list.")
    return value
