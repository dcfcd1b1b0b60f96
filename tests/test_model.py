"""The GP model: fitting without collapse, predictions, display and the plain-data round trip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from alchemist.design import initial_design
from alchemist.errors import ModelError, SessionFileError
from alchemist.plain import array_to_state
from alchemist.model import KERNELS, LENGTH_SCALE_BOUNDS, GPModel, ModelSettings, Parameter, Unit
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

BRANIN_VARS = [ContinuousVariable("x1", low=-5.0, high=10.0), ContinuousVariable("x2", low=0.0, high=15.0)]
MIXED_VARS = [
    ContinuousVariable("T", unit="°C", low=20.0, high=80.0),
    IntegerVariable("n", low=1, high=5),
    CategoricalVariable("solvent", levels=("water", "ethanol", "DMSO")),
    DiscreteVariable("p", unit="bar", values=(0.1, 0.5, 2.0)),
]


def branin(X: pd.DataFrame) -> np.ndarray:
    x1, x2 = X["x1"].to_numpy(), X["x2"].to_numpy()
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10


def mixed_data(n: int = 14, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    X = initial_design(MIXED_VARS, n, method="lhs", seed=seed)
    level = X["solvent"].map({"water": 0.0, "ethanol": 1.5, "DMSO": -1.0}).to_numpy()
    y = np.sin(X["T"].to_numpy() / 12.0) + 0.3 * X["n"].to_numpy() + level + X["p"].to_numpy()
    return X, y


def assert_builtins_only(value, path="state"):
    """A session file may hold only dict/list/str/bytes/int/float/bool/None."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{path}: key {key!r} is not a str"
            assert_builtins_only(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_builtins_only(item, f"{path}[{i}]")
    else:
        assert value is None or type(value) in (str, bytes, int, float, bool), f"{path}: {type(value).__name__}"


def test_fit_on_five_branin_points_does_not_collapse():
    X = initial_design(BRANIN_VARS, 5, method="lhs", seed=0)
    y = branin(X)
    model = GPModel(BRANIN_VARS, ModelSettings(seed=0)).fit(X, y)
    scales = model.length_scales()
    assert np.all(scales > 3 * LENGTH_SCALE_BOUNDS[0]), scales
    assert np.all(scales < LENGTH_SCALE_BOUNDS[1] / 3), scales
    mean, std = model.predict(X)
    np.testing.assert_allclose(mean, y, atol=0.05 * np.ptp(y))  # near-interpolation of clean data
    assert np.all(std < 0.1 * np.std(y))
    grid = initial_design(BRANIN_VARS, 200, method="sobol", seed=1)
    mean_far, std_far = model.predict(grid)
    assert np.all(np.isfinite(mean_far)) and np.all(np.isfinite(std_far))
    # Away from the data the model is unsure on the scale of the data, not 0 and not absurd.
    assert 0.2 * np.std(y) < np.median(std_far) < 5 * np.std(y)


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_every_kernel_fits_and_predicts(kernel):
    X, y = mixed_data()
    model = GPModel(MIXED_VARS, ModelSettings(kernel=kernel, n_restarts=2)).fit(X, y)
    mean, std = model.predict(X)
    assert model.n_train == len(y)
    assert np.sqrt(np.mean((mean - y) ** 2)) < 0.2 * np.std(y)
    assert np.all(std >= 0)


def test_seed_makes_fits_reproducible():
    X, y = mixed_data()
    a = GPModel(MIXED_VARS, ModelSettings(seed=4)).fit(X, y)
    b = GPModel(MIXED_VARS, ModelSettings(seed=4)).fit(X, y)
    assert np.array_equal(a.theta, b.theta)


def test_noise_column_is_used_as_per_point_noise():
    X = initial_design(BRANIN_VARS, 12, method="lhs", seed=2)
    y = branin(X)
    quiet = GPModel(BRANIN_VARS, ModelSettings(warp_outputs=False)).fit(X, y)
    noisy = GPModel(BRANIN_VARS, ModelSettings(warp_outputs=False)).fit(X, y, noise=np.full(12, np.var(y)))
    assert np.mean(noisy.predict(X)[1]) > 3 * np.mean(quiet.predict(X)[1])


def test_hyperparameters_are_records_in_the_variables_units():
    X, y = mixed_data()
    model = GPModel(MIXED_VARS, ModelSettings(warp_outputs=False)).fit(X, y)
    records = model.hyperparameters()
    scales = model.length_scales()
    by_variable = {(r.variable, r.level): r for r in records if r.parameter is Parameter.LENGTH_SCALE}
    temperature = by_variable[("T", None)]
    assert temperature.value == pytest.approx(scales[0] * 60.0)
    assert (temperature.unit, temperature.variable_unit) == (Unit.VARIABLE, "°C")
    assert by_variable[("p", None)].value == pytest.approx(scales[5] * 1.9)
    levels = [r for key, r in by_variable.items() if key[0] == "solvent"]
    assert [r.level for r in levels] == ["water", "ethanol", "DMSO"]
    assert all(r.unit is Unit.ONE_HOT for r in levels)
    kinds = {r.parameter: r for r in records}
    # Without a power transform, variances are in the target's units squared.
    assert kinds[Parameter.SIGNAL_VARIANCE].unit is Unit.TARGET_SQUARED
    signal = model.covariance.unpack(model.theta).signal
    assert kinds[Parameter.SIGNAL_VARIANCE].value == pytest.approx(signal * np.var(y))
    assert Parameter.NOISE_VARIANCE in kinds and Parameter.OUTPUT_POWER not in kinds
    assert Parameter.RQ_SHAPE not in kinds


def test_hyperparameters_of_a_warped_rational_quadratic_model():
    X, y = mixed_data(16)
    model = GPModel(MIXED_VARS, ModelSettings(kernel="rq")).fit(X, np.exp(y))
    kinds = {r.parameter: r for r in model.hyperparameters()}
    assert kinds[Parameter.OUTPUT_POWER].value == model.output.lam != 1.0
    assert kinds[Parameter.SIGNAL_VARIANCE].unit is Unit.MODEL_SQUARED
    assert kinds[Parameter.RQ_SHAPE].value == pytest.approx(model.covariance.unpack(model.theta).alpha)


@pytest.mark.parametrize("warp", [True, False])
def test_state_round_trip_gives_bit_identical_predictions(warp):
    X, y = mixed_data(16)
    noise = np.linspace(0.0, 0.01, 16)
    model = GPModel(MIXED_VARS, ModelSettings(kernel="matern32", warp_outputs=warp, seed=3)).fit(X, y, noise)
    state = model.to_state()
    assert_builtins_only(state)
    restored = GPModel.from_state(state)
    grid = initial_design(MIXED_VARS, 50, method="random", seed=9)
    for include_noise in (False, True):
        mean, std = model.predict(grid, include_noise=include_noise)
        mean2, std2 = restored.predict(grid, include_noise=include_noise)
        assert np.array_equal(mean, mean2) and np.array_equal(std, std2)
    assert restored.settings == model.settings
    assert restored.variables == model.variables
    assert restored.hyperparameters() == model.hyperparameters()


def test_malformed_states_are_rejected_clearly():
    X, y = mixed_data()
    state = GPModel(MIXED_VARS, ModelSettings()).fit(X, y).to_state()
    broken = [
        "not a dict",
        {**state, "format": "something else"},
        {**state, "version": 99},
        {**state, "variables": []},
        {**state, "settings": {"kernel": "cubic"}},
        {**state, "theta": {"dtype": "f8", "shape": [2], "data": b"\0" * 16}},
        {**state, "hyperparameter_names": ["k1__k1__constant_value", "k2__noise_level"]},
        {**state, "diagonal": array_to_state(np.full(len(y), -1.0))},  # a per-point noise below 0
        {**state, "output_transform": {"mean": 0.0}},
        {**state, "y": state["y_standardised"]},  # outputs that do not match their scaling
    ]
    for bad in broken:
        with pytest.raises(SessionFileError):
            GPModel.from_state(bad)


def test_weights_are_not_saved_and_old_files_that_carry_them_load():
    X, y = mixed_data()
    model = GPModel(MIXED_VARS, ModelSettings()).fit(X, y)
    state = model.to_state()
    assert "alpha" not in state  # recomputed on load, so not stored
    old_file = {**state, "alpha": {"dtype": "f8", "shape": [1], "data": b"\0" * 8}}
    grid = initial_design(MIXED_VARS, 20, method="random", seed=2)
    assert np.array_equal(GPModel.from_state(old_file).predict(grid)[0], model.predict(grid)[0])


def test_settings_round_trip_and_validation():
    settings = ModelSettings(kernel="rq", n_restarts=2, seed=7, warp_outputs=False)
    assert ModelSettings.from_state(settings.to_state()) == settings
    with pytest.raises(ModelError):
        ModelSettings(kernel="linear")
    with pytest.raises(ModelError):
        ModelSettings(n_restarts=-1)
    with pytest.raises(SessionFileError):
        ModelSettings.from_state({"kernel": "rbf", "seed": "x"})


@pytest.mark.parametrize(
    "state",
    [
        {"kernel": {"name": "rbf"}},  # unhashable: must not surface as a TypeError
        {"kernel": ["rbf"]},
        {"kernel": None},
        {"kernel": 52},
        {"n_restarts": 3.0},
        {"n_restarts": "3"},
        {"n_restarts": True},
        {"n_restarts": {"a": 1}},
        {"seed": 2**32},
        {"seed": -1},
        {"seed": [1]},
        {"warp_outputs": "yes"},
        {"warp_outputs": None},
    ],
)
def test_settings_of_the_wrong_type_in_a_file_are_refused_clearly(state):
    with pytest.raises(SessionFileError, match="model settings"):
        ModelSettings.from_state(state)


def test_settings_refuse_a_wrong_kernel_type_as_a_model_error():
    with pytest.raises(ModelError, match="Unknown kernel"):
        ModelSettings(kernel={"name": "rbf"})


def test_unusable_data_are_user_errors():
    X, y = mixed_data()
    model = GPModel(MIXED_VARS)
    with pytest.raises(ModelError, match="At least 2"):
        model.fit(X.iloc[:1], y[:1])
    with pytest.raises(ModelError, match="equal"):
        model.fit(X, np.full(len(y), 3.0))
    with pytest.raises(ModelError, match="finite"):
        model.fit(X, np.where(np.arange(len(y)) == 0, np.nan, y))
    with pytest.raises(ModelError, match="not been trained"):
        model.predict(X)


def test_every_field_of_a_saved_model_with_a_wrong_type_is_a_file_error():
    """Whatever a damaged or hand-edited file puts in a field, loading fails as SessionFileError
    (never TypeError or KeyError), or the value is a valid one (e.g. noise None, defaults)."""
    X, y = mixed_data(10)
    state = GPModel(MIXED_VARS, ModelSettings(kernel="rq", n_restarts=0)).fit(X, y).to_state()
    wrong = [None, {}, {"a": 1}, [], [1], "x", 1, 1.5, True, b"x", float("nan")]
    variants = [{**state, key: value} for key in state for value in wrong]
    variants += [
        {**state, key: {**state[key], sub: value}}
        for key in state if isinstance(state[key], dict) for sub in state[key] for value in wrong
    ]
    for variant in variants:
        try:
            GPModel.from_state(variant)
        except SessionFileError:
            pass


# -- bounded work (issue 7): limits, approximation, chunks, progress -----------------------------
from alchemist import limits  # noqa: E402
from alchemist.errors import LimitError  # noqa: E402
from alchemist.model import Approximation, FitCancelled, FitProgress, Posterior, max_exact_points  # noqa: E402
from alchemist.model import approximation as approximation_module  # noqa: E402
from alchemist.model import gp as gp_module  # noqa: E402
from alchemist.model import progress as progress_module  # noqa: E402


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
