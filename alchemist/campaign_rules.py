"""The session's methods for issue 11: input constraints, objectives and outcome limits,
excluded experiments. Thin: the logic lives in alchemist.constraints.session_rules,
alchemist.objectives.campaign and alchemist.exclusions; kept apart so that alchemist.session
stays one concept (the campaign and its changes) of a readable size.

`Session` inherits these; they use its fields `input_constraints`, `objectives`,
`exclusion_log`, `objective_models`, `experiments`, `variables`, `suggestions`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import pandas as pd

from alchemist import exclusions
from alchemist.constraints import session_rules
from alchemist.constraints.state import Constraint
from alchemist.experiments import ExperimentTable
from alchemist.objectives import Objective
from alchemist.objectives import campaign


class CampaignRules:
    def exclude(self, row: int, reason: str) -> None:
        """Keep experiment `row` (0-based) in the table but not in the model, with a reason."""
        entry = exclusions.switch(self.experiments, self.variables, row, True, reason)
        self.exclusion_log = exclusions.appended(self.exclusion_log, entry)
        self.touch()

    def include(self, row: int, reason: str = "") -> None:
        """Undo `exclude`: the experiment trains the model again (the log keeps both)."""
        entry = exclusions.switch(self.experiments, self.variables, row, False, reason)
        self.exclusion_log = exclusions.appended(self.exclusion_log, entry)
        self.touch()

    # -- constraints and objectives (issue 11; the logic lives in constraints/ and objectives/) --
    @property
    def constraints(self) -> tuple[Constraint, ...]:
        return tuple(self.input_constraints)

    def add_constraint(self, constraint: Constraint) -> None:
        """Add a constraint on the inputs; VariableError when it does not fit the variables or
        leaves no allowed point together with the others."""
        self.input_constraints = session_rules.with_constraint(self.variables, self.input_constraints, constraint)
        self.suggestions = None
        self.touch()

    def remove_constraint(self, which: int | Constraint) -> None:
        """Remove a constraint by position (0-based) or by value."""
        self.input_constraints = session_rules.without_constraint(self.input_constraints, which)
        self.suggestions = None
        self.touch()

    def constraint_violations(self) -> list[list]:
        """Per experiment, the constraints it breaks (alchemist.constraints.Violation): a flag,
        the row still trains the model."""
        return session_rules.row_violations(self.experiments.frame, self.variables, self.input_constraints)

    def initial_design(self, n: int, method: str = "lhs", seed: int | None = 0) -> pd.DataFrame:
        """A space-filling first design that meets every constraint."""
        from alchemist.design import initial_design

        return initial_design(self.variables, n, method=method, seed=seed, constraints=self.input_constraints)

    def set_objectives(self, objectives: Sequence[Objective]) -> None:
        """Optimise one or more result columns (each to maximise or minimise, with optional
        limits). The first objective's column becomes the target when the table is empty; other
        columns are added to the table (empty until measured) and stay there. An empty list goes
        back to the target alone."""
        objectives = campaign.check_session_objectives(objectives, self.variables) if objectives else []
        names = [o.name for o in objectives]
        if objectives and len(self.experiments) == 0 and self.experiments.target not in names:
            self.experiments = ExperimentTable(self.variables, names[0], self.experiments.frame)
        # Result columns are only ever added: dropping an objective never drops measured values.
        kept = [*self.experiments.results, *(n for n in names if n not in self.experiments.results)]
        self.experiments.set_results([n for n in kept if n != self.target], self.variables)
        self.objectives = objectives
        self.objective_models = {}
        self.suggestions = None
        self.touch()

    def pareto_front(self) -> pd.DataFrame:
        """The measured experiments with their objective values, "On front" marking the
        Pareto-optimal ones and "Meets limits" the ones within every outcome limit."""
        return campaign.measured_objectives(self)

    def follow_target(self, old: str, new: str) -> None:
        """A first import named the result column after the file's: an objective on the old
        name follows it, so that objectives always name columns of the table."""
        if old != new:
            self.objectives = [replace(o, name=new) if o.name == old else o for o in self.objectives]
