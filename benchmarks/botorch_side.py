"""The BoTorch side of benchmarks.constrained: BoTorch's recommended acquisitions, as in its
tutorials, on the same problems, initial points and budgets as ALchemist's side.

- several objectives: qLogNoisyExpectedHypervolumeImprovement (qLogNEHVI) on a ModelListGP,
  with the problem's reference point, sequential greedy batches;
- known input constraints: qLogNoisyExpectedImprovement (qLogNEI) with the linear
  inequality / equality constraints passed to `optimize_acqf`;
- an outcome limit: constrained qLogNEI (a ModelListGP of objective and limited outcome, the
  limit as a sigmoid-weighted constraint on the samples).

Models: SingleTaskGP per output with Standardize, fitted by `fit_gpytorch_mll` every round.
Search: optimize_acqf, by default with the tutorials' settings (TUTORIAL). BoTorch
maximises, so minimised outputs enter negated; inputs are mapped to the unit cube, and the
constraints with them. Needs torch and botorch (requirements-benchmarks.txt); imported only by
the benchmark's BoTorch workers, never by the app.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from benchmarks.constrained_problems import Problem

# The tutorials' settings are 10 restarts from 512 raw samples, 128 MC samples, 200 iterations;
# `settings` below lets the benchmark trade them for time (see benchmarks.constrained).
TUTORIAL = {"num_restarts": 10, "raw_samples": 512, "mc_samples": 128, "maxiter": 200}


def _torch():
    import torch

    torch.set_num_threads(1)  # as ALchemist's side: one core per worker
    return torch


def unit_box(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    low = np.array([v.low for v in problem.variables], dtype=float)
    return low, np.array([v.high for v in problem.variables], dtype=float) - low


def to_unit(problem: Problem, X: pd.DataFrame) -> np.ndarray:
    low, width = unit_box(problem)
    return (X[problem.names].to_numpy(float) - low) / width


def from_unit(problem: Problem, U: np.ndarray) -> pd.DataFrame:
    low, width = unit_box(problem)
    return pd.DataFrame(low + width * np.clip(U, 0.0, 1.0), columns=problem.names)


def unit_constraints(problem: Problem) -> tuple[list, list]:
    """The known input constraints in optimize_acqf's form on the unit cube: lists of
    (indices, coefficients, rhs), meaning sum(coefficients * u[indices]) >= rhs (inequalities)
    or == rhs (equalities). With x = low + width * u, sum a x <= b becomes
    sum (-a width) u >= -(b - sum a low)."""
    torch = _torch()
    low, width = unit_box(problem)
    index = {name: i for i, name in enumerate(problem.names)}
    inequalities, equalities = [], []
    for constraint in problem.constraints:
        if constraint.kind == "linear":
            terms = constraint.as_dict()
            relation, rhs = constraint.relation, constraint.rhs
        elif constraint.kind == "mixture":
            terms = {name: 1.0 for name in constraint.components}
            relation, rhs = "==", constraint.total
        else:
            raise ValueError(f"No BoTorch form for a {constraint.kind} constraint.")
        idx = [index[name] for name in terms]
        a = np.array([terms[name] for name in terms], dtype=float)
        coefficients = a * width[idx]
        shifted = rhs - float(np.sum(a * low[idx]))
        sign = -1.0 if relation == "<=" else 1.0
        entry = (
            torch.tensor(idx, dtype=torch.long),
            torch.tensor(sign * coefficients, dtype=torch.double),
            float(sign * shifted),
        )
        (equalities if relation == "==" else inequalities).append(entry)
    return inequalities, equalities


def _fit(train_x, train_y):
    """One SingleTaskGP per column, fitted, as a ModelListGP (or the single model)."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import ModelListGP, SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood, SumMarginalLogLikelihood

    models = [SingleTaskGP(train_x, train_y[:, j:j + 1], outcome_transform=Standardize(m=1)) for j in range(train_y.shape[1])]
    if len(models) == 1:
        fit_gpytorch_mll(ExactMarginalLogLikelihood(models[0].likelihood, models[0]))
        return models[0]
    model = ModelListGP(*models)
    fit_gpytorch_mll(SumMarginalLogLikelihood(model.likelihood, model))
    return model


def _acquisition(problem: Problem, model, train_x, mc_samples: int):
    torch = _torch()
    from botorch.sampling.normal import SobolQMCNormalSampler

    sampler = SobolQMCNormalSampler(sample_shape=torch.Size([mc_samples]))
    if problem.kind == "pareto":
        from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement

        return qLogNoisyExpectedHypervolumeImprovement(
            model=model, ref_point=(-torch.tensor(problem.reference, dtype=torch.double)).tolist(),
            X_baseline=train_x, prune_baseline=True, sampler=sampler,
        )
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement

    if problem.kind == "inputs":
        return qLogNoisyExpectedImprovement(model=model, X_baseline=train_x, prune_baseline=True, sampler=sampler)
    from botorch.acquisition.objective import GenericMCObjective

    limit = problem.limit_at_least
    return qLogNoisyExpectedImprovement(
        model=model, X_baseline=train_x, prune_baseline=True, sampler=sampler,
        objective=GenericMCObjective(lambda Z, X=None: Z[..., 0]),
        constraints=[lambda Z: limit - Z[..., 1]],  # feasible where <= 0
    )


def _training_targets(problem: Problem, Y: pd.DataFrame) -> np.ndarray:
    """BoTorch maximises: minimised columns negated; a limited column kept as measured."""
    if problem.kind == "pareto":
        return -Y[problem.result_columns].to_numpy(float)
    if problem.kind == "inputs":
        return -Y[[problem.target]].to_numpy(float)
    optimized = [o.name for o in problem.objectives if o.is_optimized][0]
    return np.column_stack([-Y[optimized].to_numpy(float), Y[problem.limit_column].to_numpy(float)])


def run_botorch(problem: Problem, seed: int, X0: pd.DataFrame, settings: dict | None = None) -> dict:
    """The BoTorch loop from the initial points X0; returns all points, their outputs and the
    wall and CPU seconds of each round (fit + acquisition optimisation). `settings` overrides
    keys of TUTORIAL."""
    settings = {**TUTORIAL, **(settings or {})}
    torch = _torch()
    from botorch.optim import optimize_acqf

    torch.manual_seed(seed)
    inequalities, equalities = unit_constraints(problem)
    bounds = torch.stack([torch.zeros(len(problem.names)), torch.ones(len(problem.names))]).to(torch.double)
    X = X0[problem.names].reset_index(drop=True)
    Y = problem.outputs(X)
    times, cpu_times = [], []
    for _ in range(problem.iterations):
        start, cpu_start = time.perf_counter(), time.process_time()
        train_x = torch.tensor(to_unit(problem, X), dtype=torch.double)
        train_y = torch.tensor(_training_targets(problem, Y), dtype=torch.double)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _fit(train_x, train_y)
            candidates, _ = optimize_acqf(
                _acquisition(problem, model, train_x, settings["mc_samples"]), bounds=bounds, q=problem.batch,
                num_restarts=settings["num_restarts"], raw_samples=settings["raw_samples"],
                inequality_constraints=inequalities or None, equality_constraints=equalities or None,
                options={"batch_limit": 5, "maxiter": settings["maxiter"]}, sequential=True,
            )
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        x_new = from_unit(problem, candidates.detach().numpy())
        X = pd.concat([X, x_new], ignore_index=True)
        Y = pd.concat([Y, problem.outputs(x_new)], ignore_index=True)
    return {"X": X, "Y": Y, "times": times, "cpu_times": cpu_times}
