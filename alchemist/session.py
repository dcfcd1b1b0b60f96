"""The session: one campaign's variables, experiments, model and suggestions — the single source of truth.

Every page reads and changes a campaign through this object, and scripts that automate a lab
use the same methods:

    from alchemist import Session, ContinuousVariable
    session = Session.new("Catalyst screening")
    session.add_variable(ContinuousVariable("Temperature", unit="°C", low=350, high=450))
    session.add_experiments(frame)          # columns: variable names + the result column
    session.train()
    session.suggest(n=3, goal="maximize")   # a table of next experiments
"""

from __future__ import annotations

from copy import deepcopy

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from alchemist.audit import AuditBreak, AuditTrail
from alchemist.audit import hooks as audit_hooks
from alchemist.campaign_rules import CampaignRules
from alchemist.constraints import session_rules
from alchemist.constraints.state import Constraint
from alchemist import exclusions
from alchemist.errors import ChangeKind, ChangeNeedsConfirmation, ExperimentError, ModelError, VariableError
from alchemist.diagnostics import CVResult, cross_validate
from alchemist.experiment_import import ImportReport, guess_target, import_frame
from alchemist.experiments import ITERATION, NOTE, ExperimentTable, Incumbent, training_fingerprint
from alchemist.model import GPModel, ModelSettings, ProgressCallback
from alchemist.objectives import Objective
from alchemist.objectives import campaign
from alchemist.plain import utc_now
from alchemist.problems import RowCheck, RowStatus
from alchemist import session_state
from alchemist.settings import ModelState, ModelStatus, SuggestionSettings
from alchemist.session_details import SessionDetails, details as checked_details
from alchemist.templates.template import Template, template_of
from alchemist.variable_fill import NeedsFillValue, fill_value, needs_fill
from alchemist.validation import clean_title
from alchemist.variables import Variable, check_unique_names, is_missing

SESSION_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
MAX_SESSION_NAME = 120
DEFAULT_NAME = "Untitled session"


def new_session_id() -> str:
    """122 random bits: on a shared deployment the id in the URL is the only key to a session."""
    return uuid.uuid4().hex


def is_session_id(value: object) -> bool:
    return isinstance(value, str) and SESSION_ID_PATTERN.fullmatch(value) is not None


@dataclass
class Session(CampaignRules):
    id: str
    name: str
    created: datetime
    modified: datetime
    details: SessionDetails = field(default_factory=SessionDetails)  # description, author, tags
    variables: list[Variable] = field(default_factory=list)
    experiments: ExperimentTable = field(default_factory=lambda: ExperimentTable([]))
    model_settings: ModelSettings = field(default_factory=ModelSettings)
    model: GPModel | None = None
    model_fingerprint: str | None = None
    suggestion_settings: SuggestionSettings = field(default_factory=SuggestionSettings)
    suggestions: pd.DataFrame | None = None
    validation: CVResult | None = None
    audit: AuditTrail = field(default_factory=AuditTrail)
    # Issue 11: input constraints, objectives (empty: the target, by the suggestion goal), and
    # the log of exclusions. Models of objectives other than the target are not saved.
    input_constraints: list[Constraint] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)
    exclusion_log: list[exclusions.ExclusionEntry] = field(default_factory=list)
    objective_models: dict = field(default_factory=dict, repr=False, compare=False)
    # File column -> place in the table, as confirmed at the last imports (alchemist.files.mapping).
    import_mapping: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(cls, name: str = DEFAULT_NAME) -> "Session":
        now = utc_now()
        return cls(id=new_session_id(), name=clean_session_name(name), created=now, modified=now)

    @classmethod
    def from_template(cls, template: Template, name: str) -> "Session":
        """A new session with the template's variables, result column and settings, and no experiments."""
        session = cls.new(name)
        session.variables = list(template.variables)
        session.experiments = ExperimentTable(session.variables, template.target)
        session.model_settings, session.suggestion_settings = template.model_settings, template.suggestion_settings
        audit_hooks.on_template(session, template)
        return session

    def to_template(self, name: str | None = None, description: str = "") -> Template:
        """The variables, result column, model and suggestion settings, without experiments."""
        return template_of(name or self.name, self.variables, self.target, self.model_settings,
                           self.suggestion_settings, description)

    def verify_audit(self) -> AuditBreak | None:
        """The first audit entry that was edited, removed or moved, or None when the trail is whole."""
        return self.audit.verify()

    def touch(self) -> None:
        self.modified = utc_now()

    @property
    def short_id(self) -> str:
        return self.id[:8]

    def private_copy(self) -> "Session":
        """The same campaign under a new, unguessable id: a session link is a capability (whoever
        has it can edit), so someone who followed another person's link can move to their own."""
        copy = deepcopy(self)
        copy.id = new_session_id()
        copy.created = copy.modified = utc_now()
        return copy

    def rename(self, name: str) -> None:
        self.name = clean_session_name(name)
        self.touch()

    def describe(self, description: Any = "", author: Any = "", tags: Sequence[str] = ()) -> None:
        """Set the description, author and tags (alchemist.session_details checks them)."""
        self.details = checked_details(description, author, tags)
        self.touch()

    # -- variables -------------------------------------------------------------------------
    def variable(self, name: str) -> Variable:
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise VariableError(f"There is no variable named '{name}'.")

    def add_variable(self, variable: Variable, fill: Any = None, not_recorded: bool = False) -> None:
        """Add a variable. With experiments present, `fill` is the value they were run at, or
        `not_recorded` leaves it empty (the rows then need attention); without either, NeedsFillValue."""
        check_unique_names([*self.variables, variable])
        if variable.name in (self.experiments.target, *self.experiments.results):
            raise VariableError(f"'{variable.name}' is the name of the result column; choose another name.")
        if needs_fill(len(self.experiments), fill, not_recorded):
            raise NeedsFillValue(variable.name, len(self.experiments))
        filled = None if is_missing(fill) else {variable.name: fill_value(variable, fill)}
        self.experiments.conform([*self.variables, variable], fill=filled)  # may refuse (a limit) before anything changed
        self.variables.append(variable)
        self.touch()

    def replace_variable(self, old_name: str, variable: Variable, confirm: bool = False) -> None:
        """Change a variable. Without confirm, refuses when rows that are valid now would turn invalid."""
        index = self.variables.index(self.variable(old_name))
        updated = [*self.variables[:index], variable, *self.variables[index + 1:]]
        check_unique_names(updated)
        if variable.name == self.experiments.target:
            raise VariableError(f"'{variable.name}' is the name of the result column; choose another name.")
        renamed = {old_name: variable.name} if old_name != variable.name else {}
        constraints = session_rules.renamed(self.input_constraints, old_name, variable.name)
        session_rules.check_variable_change(updated, constraints)
        trial = self.experiments.copy()
        before = set(trial.invalid_rows(self.variables))
        trial.conform(updated, renamed)
        broken = sorted(set(trial.invalid_rows(updated)) - before)
        if broken and not confirm:
            raise ChangeNeedsConfirmation(ChangeKind.EDIT_VARIABLE, broken)
        self.variables = updated
        self.experiments = trial
        self.input_constraints = constraints
        self.touch()

    def delete_variable(self, name: str, confirm: bool = False) -> None:
        """Remove a variable and its column. Without confirm, refuses when the column holds values."""
        variable = self.variable(name)
        session_rules.check_variable_change([v for v in self.variables if v.name != name], self.input_constraints)
        filled = [i for i, v in enumerate(self.experiments.cells()[name].tolist()) if not is_missing(v)]
        if filled and not confirm:
            raise ChangeNeedsConfirmation(ChangeKind.DELETE_VARIABLE, filled, variable=name)
        self.variables.remove(variable)
        self.experiments.conform(self.variables)
        self.touch()

    def set_variables(self, variables: Sequence[Variable], confirm: bool = False) -> None:
        """Replace the whole variable list (an import). Columns of variables kept by name keep their values."""
        variables = list(variables)
        check_unique_names(variables)
        if self.experiments.target in {v.name for v in variables}:
            raise VariableError(f"'{self.experiments.target}' is the name of the result column; choose another name.")
        dropped = [v.name for v in self.variables if v.name not in {w.name for w in variables}]
        cells = self.experiments.cells()
        lost = [i for name in dropped for i, v in enumerate(cells[name].tolist()) if not is_missing(v)]
        session_rules.check_variable_change(variables, self.input_constraints)
        trial = self.experiments.copy()
        before = set(trial.invalid_rows(self.variables))
        trial.conform(variables)
        broken = sorted((set(trial.invalid_rows(variables)) - before) | set(lost))
        if broken and not confirm:
            raise ChangeNeedsConfirmation(ChangeKind.IMPORT_VARIABLES, broken, dropped=dropped if lost else ())
        self.variables = variables
        self.experiments = trial
        self.touch()

    # -- experiments -----------------------------------------------------------------------
    def add_experiments(self, frame: pd.DataFrame, target: str | None = None, replace: bool = False) -> ImportReport:
        """Add rows from a table whose columns are named after the variables; `target` names the result column."""
        if not self.variables:
            raise ExperimentError("Define the variables first: the experiment columns are checked against them.")
        target = target or self.experiments.target
        if target not in frame.columns:
            guess = guess_target(frame, self.variables)
            if guess is None:
                raise ExperimentError("Choose which column of the file holds the result.")
            target = guess
        trial = self.experiments.copy()
        report = import_frame(trial, frame, self.variables, target, replace=replace)
        self.follow_target(self.experiments.target, trial.target)
        self.experiments = trial
        audit_hooks.on_import(self, report, replace)
        self.touch()
        return report

    def edit_experiments(self, frame: pd.DataFrame) -> None:
        """Take the table as edited by the user (cells changed, rows added or deleted)."""
        before = self.experiments.frame
        self.experiments.replace(frame, self.variables)
        audit_hooks.on_edit(self, before)
        self.touch()

    def add_pending(self, points: pd.DataFrame, note: str) -> int:
        """Append suggested points as experiments without a result, to be measured."""
        rows = points[[v.name for v in self.variables]].copy()
        iterations = pd.to_numeric(self.experiments.frame[ITERATION], errors="coerce")
        rows[ITERATION] = int(iterations.max()) + 1 if iterations.notna().any() else 1
        rows[NOTE] = note
        first = len(self.experiments)
        self.experiments.append(rows, self.variables)
        audit_hooks.on_pending(self, points, note, first)
        self.touch()
        return len(rows)

    @property
    def target(self) -> str:
        return self.experiments.target

    def statuses(self) -> list[RowStatus]:
        return self.experiments.statuses(self.variables)

    def check_rows(self) -> list[RowCheck]:
        """Each experiment's status with its problems, for the table and its summary."""
        return self.experiments.check_rows(self.variables)

    def incumbent(self, goal: str | None = None) -> Incumbent | None:
        """The best usable experiment so far for `goal` (by default the session's goal)."""
        return self.experiments.incumbent(self.variables, goal or self.suggestion_settings.goal)

    def training_data(self) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        return self.experiments.training_data(self.variables)

    # -- model -----------------------------------------------------------------------------
    def train(self, settings: ModelSettings | None = None, progress: ProgressCallback | None = None) -> GPModel:
        """Fit the GP on the valid experiments with a result; the model becomes part of the session.

        `progress` goes to GPModel.fit; a fit that is cancelled or fails leaves the session as it was."""
        if not self.variables:
            raise ModelError("Define variables and add experiments before training a model.")
        settings = settings or self.model_settings
        X, y, noise = self.training_data()
        if len(y) < 2:
            raise ModelError(f"A model needs at least 2 valid experiments with a result; there are {len(y)}.")
        fingerprint = training_fingerprint(self.variables, X, y, noise)
        model = GPModel(self.variables, settings).fit(X, y, noise, progress=progress, warm_start=self.model)
        self.model_settings = settings
        self.model = model
        self.model_fingerprint = fingerprint
        self.suggestions = None
        self.validation = None
        audit_hooks.on_fit(self, model)
        self.touch()
        return model

    def validate(self, progress: Callable[[int, int], object] | None = None) -> CVResult:
        """Cross-validate the model's settings on the current training data; kept with the session.
        `progress`: see alchemist.diagnostics.cross_validate."""
        if self.model is None:
            raise ModelError("Train a model first.")
        X, y, noise = self.training_data()
        if len(y) < 3:
            raise ModelError(f"Cross-validation needs at least 3 valid experiments with a result; there are {len(y)}.")
        # A current model lends its hyperparameters, so cross-validation costs no second fit.
        current = self.model if self.model_status((X, y, noise)).state is ModelState.TRAINED else None
        self.validation = cross_validate(self.variables, self.model.settings, X, y, noise, model=current, progress=progress)
        self.touch()
        return self.validation

    def model_status(self, data: tuple[pd.DataFrame, np.ndarray, np.ndarray | None] | None = None) -> ModelStatus:
        """`data`: this session's training_data() when the caller has already read it."""
        if self.model is None:
            return ModelStatus(ModelState.NONE, 0)
        current = self.model_fingerprint == training_fingerprint(self.variables, *(data or self.training_data()))
        record = self.model.approximation
        given = record.points_total or self.model.n_train
        return ModelStatus(ModelState.TRAINED if current else ModelState.STALE, given, self.model.n_train)

    def suggest(
        self,
        n: int | None = None,
        acquisition: str | None = None,
        goal: str | None = None,
        beta: float | None = None,
        seed: int | None = None,
        budget: int | None = None,
        progress: Callable[[int, int], object] | None = None,
    ) -> pd.DataFrame:
        """Next experiments to run, from the trained model (trained first if it is missing or out of date).

        Arguments left out keep the session's current suggestion settings; the ones given become them.
        Pending experiments (no result yet) are never suggested again.
        """
        from alchemist.optimize import suggest

        changes = {"batch_size": n, "acquisition": acquisition, "goal": goal, "beta": beta, "seed": seed, "budget": budget}
        settings = replace(self.suggestion_settings, **{k: v for k, v in changes.items() if v is not None})
        if campaign.uses_objective_search(self.objectives, self.target):
            from alchemist.objectives.suggest import suggest_objectives

            X, y, _ = self.training_data()
            table = suggest_objectives(
                campaign.objective_models(self), self.objectives, X, n=settings.batch_size,
                seed=settings.seed + len(y), pending=self.pending_points(), constraints=self.input_constraints,
                budget=settings.budget if settings.acquisition == "auto" else None,
            )
            self.suggestions = session_rules.guard_points(table, self.variables, self.input_constraints)
            self.suggestion_settings = settings
            self.touch()
            return self.suggestions
        if self.objectives:  # one objective, the target, without limits: the classic search
            settings = replace(settings, goal=self.objectives[0].direction)
        data = self.training_data()
        if self.model is None or self.model_status(data).state is ModelState.STALE:
            self.train()
        X, y, _ = data
        pending = self.pending_points()
        self.suggestions = suggest(
            self.model,
            X,
            y,
            n=settings.batch_size,
            acquisition=settings.acquisition,
            goal=settings.goal,
            beta=settings.beta,
            # A new candidate set each round, yet the same answer for the same campaign and seed.
            seed=settings.seed + len(y),
            exclude=pending,
            budget=settings.budget,
            constraints=self.input_constraints,
            progress=progress,
            trend=bool(self.input_constraints),
        )
        self.suggestions = session_rules.guard_points(self.suggestions, self.variables, self.input_constraints)
        self.suggestion_settings = settings
        audit_hooks.on_suggest(self, settings.seed + len(y), 0 if pending is None else len(pending))
        self.touch()
        return self.suggestions

    def pending_points(self) -> pd.DataFrame | None:
        # By status, never by wording: a variable may be named "pending time".
        rows = [i for i, status in enumerate(self.statuses()) if status is RowStatus.PENDING]
        if not rows:
            return None
        return self.experiments.frame.iloc[rows][[v.name for v in self.variables]].reset_index(drop=True)

    # -- summary ---------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return {"variables": len(self.variables), "experiments": len(self.experiments)}

    # -- state -----------------------------------------------------------------------------
    def to_state(self) -> dict:
        """The session as plain data (builtins only): what a session file stores."""
        return session_state.to_state(self)

    @classmethod
    def from_state(cls, state: Any) -> "Session":
        """Rebuild a session from plain data, checking every part; raises SessionFileError."""
        return session_state.from_state(cls, state)


def clean_session_name(name: Any) -> str:
    return clean_title(name, "session", MAX_SESSION_NAME, VariableError)
