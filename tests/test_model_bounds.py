"""The GP model's bounded work (issue 7): limits, the approximation above them, chunks, progress, fit cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist import limits
from alchemist.design import initial_design
from alchemist.errors import LimitError, SessionFileError
from alchemist.model import Approximation, FitCancelled, FitProgress, GPModel, ModelSettings, Posterior, max_exact_points
from alchemist.model import approximation as approximation_module
from alchemist.model import gp as gp_module
from alchemist.model import progress as progress_module
from alchemist.variables import CategoricalVariable, ContinuousVariable
from tests.model_support import BRANIN_VARS, branin


# -- bounded work (issue 7): limits, approximation, chunks, progress -----------------------------
@pytest.fixture
def set_limits():
    """Put other limits in force for one test, and restore the previous ones after it."""
    before = limits.current()

    def put(**changes):
        limits.configure(limits.Limits(**{**before.__dict__, **changes}))

    yield put
    limits.configure(before)


def smooth_data(n: int, d: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    variables = [ContinuousVariable(f"x{i}", low=0.0, high=1.0) for i in range(d)]
    X = pd.DataFrame({f"x{i}": rng.random(n) for i in range(d)})
    y = np.sin(4 * X["x0"].to_numpy()) + X.sum(axis=1).to_numpy() + 0.01 * rng.standard_normal(n)
    return variables, X, y


def test_encoded_dimensions_are_refused_before_any_work(set_limits):
    set_limits(max_encoded_dims=50)
    wide = [CategoricalVariable(f"c{i}", levels=tuple(f"L{j}" for j in range(20))) for i in range(3)]
    with pytest.raises(LimitError) as caught:
        GPModel(wide)
    assert caught.value.limit == "max_encoded_dims" and "60" in str(caught.value)
    GPModel(wide[:2])  # 40 columns: allowed


def test_above_the_exact_limit_the_model_is_an_exact_gp_on_a_documented_subset(set_limits):
    set_limits(exact_gp_points=60)
    variables, X, y = smooth_data(300)
    model = GPModel(variables, ModelSettings(n_restarts=1)).fit(X, y)
    record = model.approximation
    assert record.method is Approximation.SUBSET
    assert (record.points_total, record.points_used, model.n_train) == (300, 60, 60)
    # The best and the worst results are kept, and the rest spreads over the cube.
    assert np.max(model.y_train) == np.max(y) and np.min(model.y_train) == np.min(y)
    U = model.posterior.U
    gaps = np.sort(np.linalg.norm(U[:, None] - U[None], axis=2), axis=1)[:, 1]
    random_U = model.encoder.encode(X.iloc[:60])
    random_gaps = np.sort(np.linalg.norm(random_U[:, None] - random_U[None], axis=2), axis=1)[:, 1]
    assert np.min(gaps) > np.min(random_gaps)
    # It still predicts the held-out experiments well.
    mean, _ = model.predict(X)
    assert np.sqrt(np.mean((mean - y) ** 2)) < 0.1 * np.std(y)
    # Under the limit, nothing changes: exact, on every point.
    exact = GPModel(variables, ModelSettings(n_restarts=1)).fit(X.iloc[:50], y[:50])
    assert exact.approximation.method is Approximation.EXACT and exact.n_train == 50


def test_the_memory_budget_lowers_the_exact_limit(set_limits):
    set_limits(exact_gp_points=20_000, memory_per_operation_bytes=64 * 1024**2)
    assert max_exact_points() ** 2 * approximation_module.BYTES_PER_TRAINING_PAIR <= 64 * 1024**2
    assert max_exact_points() < 20_000


def test_predictions_are_computed_in_chunks_within_the_memory_budget(set_limits, monkeypatch):
    variables, X, y = smooth_data(400)
    model = GPModel(variables, ModelSettings(n_restarts=0)).fit(X, y)
    Uq = np.random.default_rng(1).random((30_000, 3))
    whole_mean, whole_std = model.posterior.predict(Uq)  # 1 GiB budget: one chunk
    set_limits(memory_per_operation_bytes=64 * 1024**2)
    largest = []
    original = gp_module.Covariance.cross

    def spy(self, theta, U, V):
        largest.append(len(U) * len(V))
        return original(self, theta, U, V)

    monkeypatch.setattr(gp_module.Covariance, "cross", spy)
    mean, std = model.posterior.predict(Uq)
    assert len(largest) > 1
    assert max(largest) * gp_module.BYTES_PER_QUERY_PAIR <= 64 * 1024**2
    np.testing.assert_allclose(mean, whole_mean, rtol=1e-9, atol=1e-9)  # BLAS blocking differs
    np.testing.assert_allclose(std, whole_std, rtol=1e-9, atol=1e-9)


def test_conditioning_extends_the_factor_and_equals_a_refactorisation():
    variables, X, y = smooth_data(40)
    model = GPModel(variables, ModelSettings(n_restarts=0)).fit(X, y)
    post = model.posterior
    U_new = np.random.default_rng(2).random((3, 3))
    ys_new = post.predict(U_new)[0]
    extended = post.condition(U_new, ys_new)
    direct = Posterior(
        post.covariance, post.theta, np.vstack([post.U, U_new]), np.concatenate([post.ys, ys_new]),
        np.concatenate([post.diag, np.full(3, gp_module.JITTER)]),
    )
    np.testing.assert_allclose(extended.L, direct.L, atol=1e-8)
    Uq = np.random.default_rng(3).random((50, 3))
    for a, b in zip(extended.predict(Uq), direct.predict(Uq)):
        np.testing.assert_allclose(a, b, atol=1e-7)


def test_progress_is_reported_and_a_cancelled_fit_keeps_the_previous_model():
    variables, X, y = smooth_data(30)
    reports: list[FitProgress] = []
    model = GPModel(variables, ModelSettings(n_restarts=1)).fit(X, y, progress=lambda p: reports.append(p))
    assert len(reports) > 3 and [r.evaluations for r in reports] == list(range(1, len(reports) + 1))
    assert all(0.0 <= r.fraction_of_budget <= 1.0 for r in reports)
    assert reports[-1].best_value <= reports[0].best_value
    Uq = model.encoder.encode(X)
    before = model.predict_encoded(Uq)
    with pytest.raises(FitCancelled):
        model.fit(X.iloc[:20], y[:20] * 2, progress=lambda p: p.evaluations < 3)
    after = model.predict_encoded(Uq)
    np.testing.assert_array_equal(before[0], after[0])
    assert model.n_train == 30
    with pytest.raises(FitCancelled):  # a model never trained stays untrained
        GPModel(variables).fit(X, y, progress=lambda p: False)


def test_a_fit_that_spends_its_time_budget_keeps_the_best_hyperparameters_so_far(set_limits, monkeypatch):
    set_limits(fit_seconds=1.0)
    clock = iter(np.arange(0.0, 1e6, 0.3))  # each reading 0.3 s later: the budget ends at the 5th
    monkeypatch.setattr(progress_module, "monotonic", lambda: float(next(clock)))
    variables, X, y = smooth_data(30)
    reports = []
    model = GPModel(variables, ModelSettings(n_restarts=3)).fit(X, y, progress=reports.append)
    assert model.fit_stopped_early and 1 <= len(reports) <= 4
    assert np.all(np.isfinite(model.predict(X)[0]))
    monkeypatch.undo()  # the real clock and limits: a small fit ends well within a minute
    limits.configure(limits.Limits())
    relaxed = GPModel(variables, ModelSettings(n_restarts=0)).fit(X, y)
    assert not relaxed.fit_stopped_early


def test_a_stored_model_above_the_limits_is_reduced_on_load_without_a_refit(set_limits):
    variables, X, y = smooth_data(120)
    model = GPModel(variables, ModelSettings(n_restarts=0)).fit(X, y)
    state = model.to_state()
    set_limits(exact_gp_points=40)
    loaded = GPModel.from_state(state)
    record = loaded.approximation
    assert record.method is Approximation.SUBSET and record.reduced_on_load
    assert (record.points_total, record.points_used, loaded.n_train) == (120, 40, 40)
    np.testing.assert_array_equal(loaded.theta, model.theta)
    mean, _ = loaded.predict(X)
    assert np.sqrt(np.mean((mean - y) ** 2)) < 0.2 * np.std(y)
    # What it saves is what it is: an approximate model of 40 points that loads as such.
    again = GPModel.from_state(loaded.to_state())
    assert again.approximation == record and again.n_train == 40
    np.testing.assert_array_equal(again.predict(X)[0], mean)


def test_approximation_records_in_files_are_checked():
    variables, X, y = smooth_data(20)
    state = GPModel(variables, ModelSettings(n_restarts=0)).fit(X, y).to_state()
    assert "approximation" not in state  # an exact model's state is what it was before the record
    for bad in (
        "subset", {"method": "magic", "points_total": 20, "points_used": 20, "reduced_on_load": False},
        {"method": "exact", "points_total": 30, "points_used": 20, "reduced_on_load": False},
        {"method": "subset", "points_total": 20, "points_used": 20, "reduced_on_load": False},
        {"method": "exact", "points_total": 20, "points_used": 19, "reduced_on_load": False},
        {"method": "exact", "points_total": True, "points_used": 20, "reduced_on_load": False},
    ):
        with pytest.raises(SessionFileError):
            GPModel.from_state({**state, "approximation": bad})
    assert GPModel.from_state(state).approximation.method is Approximation.EXACT


def test_a_warm_start_from_the_previous_model_costs_fewer_evaluations_and_fits_as_well():
    from alchemist.model.likelihood import LogMarginalLikelihood, log_prior

    X = initial_design(BRANIN_VARS, 21, method="lhs", seed=3)
    y = branin(X)
    previous = GPModel(BRANIN_VARS, ModelSettings(seed=0)).fit(X.iloc[:20], y[:20])
    counts = {}
    models = {}
    for name, warm in (("cold", None), ("warm", previous)):
        reports = []
        models[name] = GPModel(BRANIN_VARS, ModelSettings(seed=0)).fit(X, y, progress=reports.append, warm_start=warm)
        counts[name] = len(reports)
    assert counts["warm"] < 0.7 * counts["cold"], counts

    def penalised(model):  # the MAP objective both searches minimise, on the same data
        p = model.posterior
        mean, sd = log_prior(p.covariance)
        z = (p.theta - mean) / sd
        return LogMarginalLikelihood(p.covariance, p.U, p.ys, p.diag)(p.theta, eval_gradient=False) + 0.5 * z @ z

    assert penalised(models["warm"]) <= penalised(models["cold"]) + 0.5
    # A previous model of other variables or another kernel lends nothing.
    other = GPModel(BRANIN_VARS, ModelSettings(seed=0, kernel="rbf")).fit(X.iloc[:20], y[:20])
    assert GPModel(BRANIN_VARS, ModelSettings(seed=0))._warm_theta(other) is None
    assert GPModel(BRANIN_VARS[:1], ModelSettings(seed=0))._warm_theta(previous) is None


def test_blas_runs_on_one_thread_inside_and_as_before_after_each_use():
    from threadpoolctl import threadpool_info

    from alchemist.model import blas_single_thread

    def blas_threads():
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    for _ in range(2):  # the second use reuses the libraries found by the first
        with blas_single_thread():
            assert all(n == 1 for n in blas_threads())
        assert blas_threads() == before


def test_a_large_campaign_fits_from_the_two_fixed_starts_only(monkeypatch):
    from alchemist.model import gp, likelihood

    monkeypatch.setattr(gp, "MAX_FIT_POINTS", 40)
    monkeypatch.setattr(gp, "LARGE_CAMPAIGN", 80)
    monkeypatch.setattr(gp, "LARGE_CAMPAIGN_FIT_POINTS", 30)
    runs = []
    real = likelihood.minimize
    monkeypatch.setattr(likelihood, "minimize", lambda *a, **k: runs.append(1) or real(*a, **k))
    rng = np.random.default_rng(0)
    counts = {}
    for n in (60, 100):  # above the fit subset's size; then above the large-campaign size too
        X = pd.DataFrame({"x1": rng.uniform(-5, 10, n), "x2": rng.uniform(0, 15, n)})
        runs.clear()
        GPModel(BRANIN_VARS, ModelSettings(seed=0, n_restarts=3)).fit(X, np.sin(X["x1"].to_numpy()) + X["x2"].to_numpy())
        counts[n] = len(runs)
    # Prior median and short length scales, plus one draw of the prior below the large size only.
    assert counts == {60: 3, 100: 2}
