"""A box intersected with a linear system: find a point, sample uniformly, project onto it.

All in unit coordinates (see encoded.py). Used by the sampler and by `repair`; the acquisition
optimiser can use `project` for a point it produced without constraints.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.linalg import null_space
from scipy.optimize import linprog, minimize

from alchemist.constraints.base import FEASIBILITY_TOL
from alchemist.constraints.encoded import LinearSystem

FIXED_WIDTH = 1e-12  # a box side narrower than this is a fixed coordinate
BURN_IN_PER_DIM = 20  # hit-and-run steps per free dimension before a chain's point is used
MIN_BURN_IN = 50
# Bounds of single variables are hard: a point may pass them by rounding error only, and is
# clipped onto them afterwards.
BOX_TOL = 1e-12


@dataclass(frozen=True)
class Polytope:
    """{u : lo <= u <= hi, A_ub u <= b_ub, A_eq u = b_eq}."""

    lo: np.ndarray
    hi: np.ndarray
    system: LinearSystem

    def contains(self, U: np.ndarray, tol: float = FEASIBILITY_TOL) -> np.ndarray:
        """Per row: inside the box (to rounding) and within `tol` of every row of the system."""
        U = np.atleast_2d(U)
        inside = np.all((U >= self.lo - BOX_TOL) & (U <= self.hi + BOX_TOL), axis=1)
        return inside & (self.system.residual(U) <= tol)

    def center(self) -> np.ndarray | None:
        """A deep interior point (a Chebyshev centre by linear programming); None when empty."""
        return self._center

    @cached_property
    def _center(self) -> np.ndarray | None:
        # Cached: samplers, projections and feasibility checks all ask for it.
        d = len(self.lo)
        fixed = (self.hi - self.lo) < FIXED_WIDTH
        A, b = self.system.A_ub, self.system.b_ub
        norms = np.linalg.norm(A, axis=1)
        eye = np.eye(d)[~fixed]
        # Variables (u, r): maximise r, every inequality kept at distance r; r <= 1 keeps the
        # programme bounded when every coordinate is fixed.
        rows = [np.hstack([A, norms[:, None]]),
                np.hstack([eye, np.ones((len(eye), 1))]),
                np.hstack([-eye, np.ones((len(eye), 1))])]
        rhs = [b, self.hi[~fixed], -self.lo[~fixed]]
        bounds = [(lo, hi) if not f else (lo, lo) for lo, hi, f in zip(self.lo, self.hi, fixed)] + [(0, 1)]
        cost = np.zeros(d + 1)
        cost[-1] = -1.0
        A_eq = np.hstack([self.system.A_eq, np.zeros((len(self.system.b_eq), 1))]) if len(self.system.b_eq) else None
        result = linprog(
            cost, A_ub=np.vstack(rows), b_ub=np.concatenate(rhs), A_eq=A_eq,
            b_eq=self.system.b_eq if A_eq is not None else None, bounds=bounds, method="highs",
        )
        if result.status != 0:
            return None
        point = np.clip(result.x[:d], self.lo, self.hi)
        return point if self.contains(point)[0] else None

    def extremes(self) -> np.ndarray:
        """Vertices that minimise or maximise each free coordinate (a linear programme each):
        the corners of a simplex, the ends of every range. Unique rows, possibly none."""
        A_eq = self.system.A_eq if len(self.system.b_eq) else None
        b_eq = self.system.b_eq if A_eq is not None else None
        A_ub = self.system.A_ub if len(self.system.b_ub) else None
        b_ub = self.system.b_ub if A_ub is not None else None
        points = []
        for j in np.flatnonzero((self.hi - self.lo) >= FIXED_WIDTH):
            for sign in (1.0, -1.0):
                cost = np.zeros(len(self.lo))
                cost[j] = sign
                result = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq,
                                 bounds=list(zip(self.lo, self.hi)), method="highs")
                if result.status == 0:
                    points.append(np.clip(result.x, self.lo, self.hi))
        if not points:
            return np.empty((0, len(self.lo)))
        points = np.array(points)
        return np.unique(points[self.contains(points)].round(12), axis=0)

    def hit_and_run(self, n: int, rng: np.random.Generator, start: np.ndarray | None = None) -> np.ndarray:
        """n points close to uniform on the polytope: n independent chains from the centre.

        Moves stay in the affine hull of the equalities (a null-space basis), so every point
        meets them to rounding; each step goes to a uniform point of the chord through the
        current point in a uniform random direction (Smith, 1984).
        """
        start = self.center() if start is None else start
        if start is None:
            return np.empty((0, len(self.lo)))
        free = (self.hi - self.lo) >= FIXED_WIDTH
        A_eq = self.system.A_eq[:, free]
        basis = null_space(A_eq) if len(A_eq) else np.eye(int(free.sum()))
        chains = np.tile(start, (n, 1))
        k = basis.shape[1]
        if k == 0 or n == 0:
            return chains
        N = np.zeros((len(self.lo), k))
        N[free] = basis
        # Rows G z <= h for z in null-space coordinates around the start.
        G = np.vstack([self.system.A_ub @ N, N[free], -N[free]])
        h = np.concatenate([
            self.system.b_ub - self.system.A_ub @ start, (self.hi - start)[free], (start - self.lo)[free],
        ])
        Z = np.zeros((n, k))
        for _ in range(max(MIN_BURN_IN, BURN_IN_PER_DIM * k)):
            D = rng.standard_normal((n, k))
            D /= np.linalg.norm(D, axis=1, keepdims=True)
            GD = D @ G.T
            slack = np.maximum(h - Z @ G.T, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = slack / GD
            t_max = np.min(np.where(GD > 1e-14, ratio, np.inf), axis=1)
            t_min = np.max(np.where(GD < -1e-14, ratio, -np.inf), axis=1)
            t_max = np.where(np.isfinite(t_max), t_max, 0.0)
            t_min = np.where(np.isfinite(t_min), t_min, 0.0)
            Z += (t_min + (t_max - t_min) * rng.random(n))[:, None] * D
        return np.clip(start + Z @ N.T, self.lo, self.hi)

    def project(self, u: np.ndarray) -> np.ndarray | None:
        """The nearest point of the polytope to u (Euclidean, unit coordinates); None if empty.

        A convex quadratic programme, solved by SLSQP from the clipped point; if that stops
        short of feasibility, again from the centre.
        """
        target = np.asarray(u, dtype=float)
        start = np.clip(target, self.lo, self.hi)
        if self.contains(start)[0]:
            return start
        constraints = []
        if len(self.system.b_ub):
            constraints.append({"type": "ineq", "fun": lambda v: self.system.b_ub - self.system.A_ub @ v,
                                "jac": lambda v: -self.system.A_ub})
        if len(self.system.b_eq):
            constraints.append({"type": "eq", "fun": lambda v: self.system.A_eq @ v - self.system.b_eq,
                                "jac": lambda v: self.system.A_eq})
        bounds = list(zip(self.lo, self.hi))
        for x0 in (start, self.center()):
            if x0 is None:
                continue
            result = minimize(
                lambda v: float(np.sum((v - target) ** 2)), x0, jac=lambda v: 2.0 * (v - target),
                method="SLSQP", bounds=bounds, constraints=constraints,
                options={"maxiter": 500, "ftol": 1e-14},
            )
            point = np.clip(result.x, self.lo, self.hi)
            if self.contains(point, FEASIBILITY_TOL / 10)[0]:
                return point
        return None
