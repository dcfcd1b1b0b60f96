"""A session's objectives: which result columns they name, a model per column, the Pareto table.

The session (alchemist.session) keeps the list of objectives and delegates here. The first
result column (the session's target) keeps its model in `session.model`; every other
objective's model is trained on demand and kept, with a fingerprint of its data, in
`session.objective_models` (not saved: it is retrained after a load).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from alchemist.errors import ModelError
from alchemist.experiments import EXCLUSION_COLUMNS
from alchemist.model import GPModel
from alchemist.objectives.objective import Objective, ObjectiveError, check_objectives
from alchemist.objectives.pareto import pareto_front
from alchemist.problems import RowStatus
from alchemist.variables import RESERVED_COLUMNS, Variable

if TYPE_CHECKING:
    from alchemist.session import Session

ROW = "Row"  # 1-based position of a measured experiment in the table
ON_FRONT = "On front"
MEETS_LIMITS = "Meets limits"


def check_session_objectives(objectives: Sequence[Objective], variables: Sequence[Variable]) -> list[Objective]:
    """The objectives, checked: valid together, and each naming a result column (not a variable
    nor a column the table keeps for itself). Raises ObjectiveError."""
    objectives = list(objectives)
    check_objectives(objectives)
    names = {v.name for v in variables}
    for objective in objectives:
        if objective.name in names:
            raise ObjectiveError(f"'{objective.name}' is a variable; an objective must be a result column.")
        if objective.name in RESERVED_COLUMNS or objective.name in EXCLUSION_COLUMNS:
            raise ObjectiveError(f"'{objective.name}' is a column the table uses itself; choose a result column.")
    return objectives


def uses_objective_search(objectives: Sequence[Objective], target: str) -> bool:
    """Do the objectives need more than the classic search on the target (several objectives,
    an outcome limit, or an objective other than the target)?"""
    if not objectives:
        return False
    optimized = [o for o in objectives if o.is_optimized]
    return len(objectives) > 1 or any(o.is_limited for o in objectives) or optimized[0].name != target


def _fingerprint(session: "Session", column: str) -> str:
    X, y, noise = session.experiments.training_data(session.variables, column)
    digest = hashlib.sha256()
    digest.update(session.experiments.fingerprint(session.variables).encode())
    digest.update(column.encode())
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    digest.update(repr(session.model_settings.to_state()).encode())
    return digest.hexdigest()


def objective_models(session: "Session") -> dict[str, GPModel]:
    """A model per objective's column, trained when missing or out of date (ModelError when a
    column has fewer than 2 usable results)."""
    models: dict[str, GPModel] = {}
    for objective in session.objectives:
        if objective.name == session.target:
            if session.model is None or session.model_status().state.value == "stale":
                session.train()
            models[objective.name] = session.model
            continue
        key = _fingerprint(session, objective.name)
        cached = session.objective_models.get(objective.name)
        if cached is not None and cached[0] == key:
            models[objective.name] = cached[1]
            continue
        X, y, _ = session.experiments.training_data(session.variables, objective.name)
        if len(y) < 2:
            raise ModelError(f"A model of '{objective.name}' needs at least 2 experiments with a value; there are {len(y)}.")
        model = GPModel(session.variables, session.model_settings).fit(X, y)
        session.objective_models[objective.name] = (key, model)
        models[objective.name] = model
    return models


def measured_objectives(session: "Session") -> pd.DataFrame:
    """The usable experiments (status ok) with every objective's value: "Row" (1-based), the
    variables, one column per objective (NaN where not measured), "On front" (Pareto-optimal
    among the rows with every optimised objective measured) and "Meets limits"."""
    frame = session.experiments.frame
    rows = [i for i, s in enumerate(session.statuses()) if s is RowStatus.OK]
    objectives = session.objectives or [Objective(session.target, session.suggestion_settings.goal)]
    table = frame.iloc[rows][[v.name for v in session.variables]].reset_index(drop=True)
    table.insert(0, ROW, np.array(rows, dtype=int) + 1)
    for objective in objectives:
        table[objective.name] = pd.to_numeric(frame[objective.name].iloc[rows], errors="coerce").to_numpy(dtype=float)
    return with_front(table, objectives)


def with_front(table: pd.DataFrame, objectives: Sequence[Objective]) -> pd.DataFrame:
    """`table` with "On front" and "Meets limits" columns for the given objectives."""
    optimized = [o for o in objectives if o.is_optimized]
    Y = table[[o.name for o in optimized]].to_numpy(dtype=float)
    table = table.copy()
    table[ON_FRONT] = pareto_front(Y, [o.direction for o in optimized]) if len(Y) else np.zeros(0, dtype=bool)
    meets = np.ones(len(table), dtype=bool)
    for objective in objectives:
        values = table[objective.name].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if objective.at_least is not None:
                meets &= values >= objective.at_least
            if objective.at_most is not None:
                meets &= values <= objective.at_most
    table[MEETS_LIMITS] = meets
    return table


def predicted_objectives(session: "Session", n: int = 512, seed: int = 0) -> pd.DataFrame:
    """The models' predictions at `n` points that meet the input constraints (a space-filling
    set): the variables, one column of predicted means per objective, "On front" and "Meets
    limits" (of the means). For the Pareto plot's predicted trade-off."""
    from alchemist.design import initial_design

    objectives = session.objectives or [Objective(session.target, session.suggestion_settings.goal)]
    if len([o for o in objectives if o.is_optimized]) < 2:
        raise ObjectiveError("A predicted trade-off needs at least two objectives with a direction.")
    models = objective_models(session)
    points = initial_design(session.variables, n, method="sobol", seed=seed, constraints=session.constraints)
    table = points.copy()
    for objective in objectives:
        table[objective.name] = models[objective.name].predict(points)[0]
    return with_front(table, objectives)
