"""Linear and mixture constraints as a linear system on the optimiser's unit cube.

The encoder maps a continuous or integer variable affinely, x = low + u * (high - low), so a
linear constraint a . x <= rhs stays linear in u:  sum_j a_j (high_j - low_j) u_j <= rhs - a . low.
Each row is divided by its scale (sum |a_j| (high_j - low_j) for a linear constraint, the total
for a mixture), so that a row's residual is exactly the relative violation that
FEASIBILITY_TOL bounds, and so that rows in grams and in tonnes are equally well conditioned
for SLSQP or trust-constr.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import LinearConstraint as ScipyLinearConstraint

from alchemist.constraints.linear import LinearConstraint
from alchemist.constraints.mixture import MixtureConstraint
from alchemist.variables import Variable


@dataclass(frozen=True)
class LinearSystem:
    """A_ub u <= b_ub and A_eq u = b_eq, one column per encoded dimension."""

    A_ub: np.ndarray
    b_ub: np.ndarray
    A_eq: np.ndarray
    b_eq: np.ndarray

    @property
    def width(self) -> int:
        return self.A_ub.shape[1]

    @property
    def is_empty(self) -> bool:
        return len(self.b_ub) == 0 and len(self.b_eq) == 0

    def residual(self, U: np.ndarray) -> np.ndarray:
        """Per row of U, the largest relative violation over all rows of the system (0 if none)."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        worst = np.zeros(len(U))
        if len(self.b_ub):
            worst = np.maximum(worst, np.max(U @ self.A_ub.T - self.b_ub, axis=1))
        if len(self.b_eq):
            worst = np.maximum(worst, np.max(np.abs(U @ self.A_eq.T - self.b_eq), axis=1))
        return worst

    def scipy_constraints(self) -> list[ScipyLinearConstraint]:
        """For scipy.optimize.minimize(method="trust-constr" or "SLSQP"), scipy >= 1.11."""
        out = []
        if len(self.b_ub):
            out.append(ScipyLinearConstraint(self.A_ub, -np.inf, self.b_ub))
        if len(self.b_eq):
            out.append(ScipyLinearConstraint(self.A_eq, self.b_eq, self.b_eq))
        return out

    def restricted(self, columns: np.ndarray, fixed: np.ndarray | None = None) -> "LinearSystem":
        """The system on a subset of columns, the other columns held at `fixed` (full width)."""
        columns = np.asarray(columns, dtype=int)
        if fixed is None:
            fixed = np.zeros(self.width)
        rest = np.setdiff1d(np.arange(self.width), columns)
        return LinearSystem(
            self.A_ub[:, columns], self.b_ub - self.A_ub[:, rest] @ fixed[rest],
            self.A_eq[:, columns], self.b_eq - self.A_eq[:, rest] @ fixed[rest],
        )


def linear_system(
    variables: Sequence[Variable], constraints: Sequence[object], columns: Mapping[str, int], width: int
) -> LinearSystem:
    """The linear and mixture constraints among `constraints` as rows over `width` columns, where
    `columns[name]` is the column of each continuous or integer variable. Other kinds of
    constraint are not linear and are skipped (the sampler and `repair` handle them)."""
    by_name = {v.name: v for v in variables}
    ub_rows: list[np.ndarray] = []
    ub_rhs: list[float] = []
    eq_rows: list[np.ndarray] = []
    eq_rhs: list[float] = []
    for constraint in constraints:
        if isinstance(constraint, LinearConstraint):
            row, rhs = _row(by_name, columns, width, constraint.coefficients, constraint.rhs)
            scale = max(float(np.sum(np.abs(row))), 1e-300)
            row, rhs = row / scale, rhs / scale
            if constraint.relation == "<=":
                ub_rows.append(row)
                ub_rhs.append(rhs)
            elif constraint.relation == ">=":
                ub_rows.append(-row)
                ub_rhs.append(-rhs)
            else:
                eq_rows.append(row)
                eq_rhs.append(rhs)
        elif isinstance(constraint, MixtureConstraint):
            ones = tuple((name, 1.0) for name in constraint.components)
            row, rhs = _row(by_name, columns, width, ones, constraint.total)
            eq_rows.append(row / constraint.total)
            eq_rhs.append(rhs / constraint.total)
    return LinearSystem(
        np.array(ub_rows).reshape(-1, width), np.array(ub_rhs, dtype=float),
        np.array(eq_rows).reshape(-1, width), np.array(eq_rhs, dtype=float),
    )


def _row(by_name, columns, width, coefficients, rhs) -> tuple[np.ndarray, float]:
    row = np.zeros(width)
    for name, a in coefficients:
        variable = by_name[name]
        span = variable.high - variable.low
        row[columns[name]] += a * span
        rhs -= a * variable.low
    return row, float(rhs)


def encoded_linear_system(encoder, constraints: Sequence[object]) -> LinearSystem:
    """The constraints as rows over the encoder's columns (alchemist.encoding.Encoder).

    Use in the acquisition optimiser: `system.scipy_constraints()` for SLSQP / trust-constr over
    the numeric columns (categorical one-hot columns get zero coefficients), and
    `system.residual(U) <= FEASIBILITY_TOL` to filter candidates.
    """
    columns = {b.variable.name: b.start for b in encoder.blocks if b.variable.kind != "categorical"}
    return linear_system(encoder.variables, constraints, columns, encoder.n_dims)
