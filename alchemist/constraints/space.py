"""The allowed set of a list of variables under a list of constraints, in the pieces the sampler
and `repair` need: allowed level combinations, and for each, a polytope of numeric values.

Numeric (continuous and integer) variables live in unit coordinates u = (x - low)/(high - low),
the encoder's scaling. Levelled variables (categorical, discrete) that a forbidden combination
or a conditional rule names are enumerated together; a conditional rule whose target is numeric
narrows that target's side of the box for the level combinations where it applies.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from alchemist.constraints.base import FEASIBILITY_TOL
from alchemist.constraints.combinations import ForbiddenCombination
from alchemist.constraints.conditional import ConditionalRule
from alchemist.constraints.encoded import LinearSystem, linear_system
from alchemist.constraints.mixture import MixtureConstraint
from alchemist.constraints.polytope import Polytope
from alchemist.errors import VariableError
from alchemist.variables import Variable

MAX_LEVEL_COMBINATIONS = 100_000  # combinations of constrained levels that are enumerated
MAX_ACTIVE_SETS = 512  # cardinality: active subsets of one mixture that are considered

Combination = tuple  # one level (text or float) per constrained levelled variable


@dataclass(frozen=True)
class MixtureInfo:
    constraint: MixtureConstraint
    columns: tuple[int, ...]  # numeric columns of the components
    forced: tuple[bool, ...]


class ConstrainedSpace:
    """Precomputed structure of (variables, constraints); raises VariableError when a constraint
    does not fit the variables."""

    def __init__(self, variables: Sequence[Variable], constraints: Sequence[object]) -> None:
        self.variables = tuple(variables)
        self.constraints = tuple(constraints)
        mixed: set[str] = set()
        for constraint in self.constraints:
            constraint.validate(self.variables)
            if isinstance(constraint, MixtureConstraint):
                # The sampler maps each mixture onto its own simplex; shared components would
                # make two simplices one polytope that the proposal cannot fill.
                shared = mixed.intersection(constraint.components)
                if shared:
                    raise VariableError(f"'{sorted(shared)[0]}' belongs to two mixtures.")
                mixed.update(constraint.components)
        self.numeric = tuple(v for v in self.variables if v.kind in ("continuous", "integer"))
        self.columns = {v.name: j for j, v in enumerate(self.numeric)}
        self.system: LinearSystem = linear_system(self.variables, self.constraints, self.columns, len(self.numeric))
        self.mixtures = tuple(
            MixtureInfo(c, tuple(self.columns[n] for n in c.components), tuple(c.forced_active(self.variables)))
            for c in self.constraints if isinstance(c, MixtureConstraint)
        )
        self.forbidden = [c.resolved(self.variables) for c in self.constraints if isinstance(c, ForbiddenCombination)]
        self.rules = [(c, *c.resolved(self.variables)) for c in self.constraints if isinstance(c, ConditionalRule)]
        involved: list[str] = []
        for pairs in self.forbidden:
            involved += [v.name for v, _ in pairs]
        for rule, condition, _, target in self.rules:
            involved.append(condition.name)
            if target.kind == "discrete":
                involved.append(target.name)
        self.levelled = tuple(v for v in self.variables if v.name in involved)
        self._combinations: list[Combination] | None = None
        self._polytopes: dict[tuple, Polytope | None] = {}

    # -- levels ------------------------------------------------------------------------
    def level_options(self, variable: Variable) -> list:
        return list(variable.levels) if variable.kind == "categorical" else [float(v) for v in variable.values]

    def combination_allowed(self, combination: Combination) -> bool:
        assignment = {v.name: level for v, level in zip(self.levelled, combination)}
        for pairs in self.forbidden:
            if all(assignment[v.name] == level for v, level in pairs):
                return False
        for rule, condition, level, target in self.rules:
            if target.kind == "discrete" and assignment[condition.name] == level:
                if not rule.then_low <= assignment[target.name] <= rule.then_high:
                    return False
        return True

    def combinations(self) -> list[Combination]:
        """Every allowed combination of the constrained levelled variables whose numeric part is
        not empty, in enumeration order; raises VariableError when there are too many to list."""
        if self._combinations is None:
            options = [self.level_options(v) for v in self.levelled]
            count = int(np.prod([len(o) for o in options])) if options else 1
            if count > MAX_LEVEL_COMBINATIONS:
                raise VariableError(
                    f"The forbidden combinations and rules involve {count} combinations of levels; "
                    f"at most {MAX_LEVEL_COMBINATIONS} can be checked."
                )
            self._combinations = [
                combo for combo in itertools.product(*options)
                if self.combination_allowed(combo) and self.polytope(combo) is not None
            ]
        return self._combinations

    # -- numeric part ------------------------------------------------------------------
    def box(self, combination: Combination) -> tuple[np.ndarray, np.ndarray]:
        """Unit-coordinate bounds of the numeric variables under this level combination."""
        lo, hi = np.zeros(len(self.numeric)), np.ones(len(self.numeric))
        assignment = {v.name: level for v, level in zip(self.levelled, combination)}
        for rule, condition, level, target in self.rules:
            if target.name in self.columns and assignment.get(condition.name) == level:
                j = self.columns[target.name]
                span = target.high - target.low
                lo[j] = max(lo[j], (rule.then_low - target.low) / span)
                hi[j] = min(hi[j], (rule.then_high - target.low) / span)
        return lo, hi

    def regime(self, combination: Combination, active: tuple = ()) -> tuple:
        """A hashable key of everything that shapes the numeric polytope."""
        lo, hi = self.box(combination)
        return (tuple(lo), tuple(hi), tuple(active))

    def polytope(self, combination: Combination, active: tuple = ()) -> Polytope | None:
        """The numeric polytope of a level combination (and, for mixtures with a cardinality
        limit, one active subset per mixture: `active[i]` lists the active columns of mixture i;
        () means no cardinality restriction is applied). None when it is empty."""
        key = self.regime(combination, active)
        if key not in self._polytopes:
            lo, hi = (np.array(key[0]), np.array(key[1]))
            for info, subset in zip(self.mixtures, active):
                for column in info.columns:
                    if column not in subset:
                        hi[column] = lo[column] = 0.0 if lo[column] <= 0.0 else np.nan
            if np.any(np.isnan(lo)) or np.any(lo > hi + FEASIBILITY_TOL):
                self._polytopes[key] = None
            else:
                polytope = Polytope(lo, np.maximum(hi, lo), self.system)
                self._polytopes[key] = polytope if polytope.center() is not None else None
        return self._polytopes[key]

    def active_sets(self, combination: Combination, rng: np.random.Generator | None = None) -> list[tuple]:
        """For mixtures with a cardinality limit: feasible choices of active components, one
        tuple of column tuples per choice ([()] when no mixture has a limit)."""
        limited = [info for info in self.mixtures if info.constraint.max_active is not None]
        if not limited:
            return [()]
        per_mixture = []
        for info in self.mixtures:
            if info.constraint.max_active is None:
                per_mixture.append((list(info.columns), [], 0))
                continue
            forced = [c for c, f in zip(info.columns, info.forced) if f]
            optional = [c for c, f in zip(info.columns, info.forced) if not f]
            size = min(info.constraint.max_active, len(info.columns)) - len(forced)
            per_mixture.append((forced, optional, size))
        count = 1
        for _, optional, size in per_mixture:
            count *= math.comb(len(optional), size)
        if count <= MAX_ACTIVE_SETS:
            choices = list(itertools.product(*[
                [tuple(sorted(forced + list(s))) for s in itertools.combinations(optional, size)]
                for forced, optional, size in per_mixture
            ]))
        else:
            # Too many to list: a random sample of them, the same for a given generator.
            rng = rng or np.random.default_rng(0)
            picked = {
                tuple(tuple(sorted(forced + [int(c) for c in rng.choice(optional, size, replace=False)]))
                      for forced, optional, size in per_mixture)
                for _ in range(MAX_ACTIVE_SETS)
            }
            choices = sorted(picked)
        return [c for c in choices if self.polytope(combination, c) is not None]

    def check_feasible(self) -> None:
        """Raise VariableError unless at least one point meets every constraint."""
        for combination in self.combinations():
            if self.active_sets(combination):
                return
        raise VariableError("Together, the constraints exclude every point: no experiment could meet them all.")
