"""Suggestions: allowed values and types, distinct batches, no repeats, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from alchemist.acquisition import ACQUISITIONS, BASIN_RADIUS, Reason, acquisition_value, expected_improvement
from alchemist.design import initial_design
from alchemist.errors import ModelError
from alchemist.model import GPModel, ModelSettings
from alchemist.optimize import NEAR_DUPLICATE, _maximize, discount_noise, replicates_informative, suggest
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("T", unit="°C", low=20.0, high=80.0),
    IntegerVariable("n", low=1, high=5),
    CategoricalVariable("solvent", levels=("water", "ethanol", "DMSO")),
    DiscreteVariable("p", values=(0.1, 0.5, 2.0)),
]
NAMES = [v.name for v in VARIABLES]


def response(X: pd.DataFrame) -> np.ndarray:
    level = X["solvent"].map({"water": 0.0, "ethanol": 1.0, "DMSO": -1.0}).to_numpy()
    T = X["T"].to_numpy()
    return -((T - 55.0) / 15.0) ** 2 + 0.2 * X["n"].to_numpy() + level - X["p"].to_numpy()


@pytest.fixture(scope="module")
def fitted():
    X = initial_design(VARIABLES, 12, method="lhs", seed=0)
    y = response(X)
    return GPModel(VARIABLES, ModelSettings(seed=0)).fit(X, y), X, y


def key(row) -> tuple:
    return tuple(round(float(v), 9) if not isinstance(v, str) else v for v in row)


@pytest.mark.parametrize("acquisition", list(ACQUISITIONS))
@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_batch_is_allowed_typed_distinct_and_new(fitted, acquisition, goal):
    model, X, y = fitted
    out = suggest(model, X, y, n=3, acquisition=acquisition, goal=goal, seed=1)
    assert list(out.columns) == NAMES + ["Predicted mean", "Predicted std", "Acquisition", "Policy", "Reason"]
    assert len(out) == 3
    for variable in VARIABLES:
        assert all(variable.check(value) is None for value in out[variable.name]), variable.name
    assert out["n"].dtype == np.int64 and out["T"].dtype == np.float64
    assert all(isinstance(v, str) for v in out["solvent"])
    rows = [key(r) for r in out[NAMES].itertuples(index=False)]
    measured = {key(r) for r in X[NAMES].itertuples(index=False)}
    assert len(set(rows)) == 3
    assert not set(rows) & measured
    assert np.all(np.isfinite(out[["Predicted mean", "Predicted std", "Acquisition"]].to_numpy()))


def test_same_seed_same_suggestions(fitted):
    model, X, y = fitted
    a = suggest(model, X, y, n=2, seed=5)
    b = suggest(model, X, y, n=2, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_pending_points_are_not_suggested_again(fitted):
    model, X, y = fitted
    first = suggest(model, X, y, n=2, acquisition="exploit", goal="maximize", seed=0)
    again = suggest(model, X, y, n=2, acquisition="exploit", goal="maximize", seed=0, exclude=first[NAMES])
    assert not {key(r) for r in first[NAMES].itertuples(index=False)} & {
        key(r) for r in again[NAMES].itertuples(index=False)
    }


def test_exploitation_beats_every_random_point_and_batches_spread(fitted):
    model, X, y = fitted
    out = suggest(model, X, y, n=3, acquisition="exploit", goal="maximize", seed=0)
    grid = initial_design(VARIABLES, 3000, method="random", seed=8)
    assert out["Predicted mean"][0] >= model.predict(grid)[0].max() - 1e-9
    U = model.encoder.encode(out[NAMES])
    gaps = [np.max(np.abs(U[i] - U[j])) for i in range(3) for j in range(i)]
    assert min(gaps) >= 0.02  # not three copies of one point


def test_expected_improvement_refines_a_smooth_1d_maximum():
    variables = [ContinuousVariable("x", low=0.0, high=1.0)]
    X = pd.DataFrame({"x": [0.05, 0.3, 0.5, 0.62, 0.9]})
    f = lambda x: -((x - 0.6) ** 2)  # noqa: E731
    y = f(X["x"].to_numpy())
    for step in range(6):
        model = GPModel(variables).fit(X, y)
        x_new = suggest(model, X, y, goal="maximize", seed=step)["x"].to_numpy()
        X = pd.concat([X, pd.DataFrame({"x": x_new})], ignore_index=True)
        y = np.append(y, f(x_new))
    assert abs(X["x"].to_numpy()[np.argmax(y)] - 0.6) < 0.01


def test_nearly_exhausted_discrete_space():
    variables = [IntegerVariable("n", low=1, high=3), CategoricalVariable("c", levels=("a", "b"))]
    every = pd.DataFrame([(n, c) for n in (1, 2, 3) for c in ("a", "b")], columns=["n", "c"])
    X, y = every.iloc[:5], np.arange(5.0)
    model = GPModel(variables).fit(X, y)
    out = suggest(model, X, y, n=1, goal="maximize")
    assert (int(out["n"][0]), out["c"][0]) == (3, "b")
    with pytest.raises(ModelError, match="run out after 1;"):
        suggest(model, X, y, n=2, goal="maximize")
    everything = np.arange(6.0)
    with pytest.raises(ModelError, match="already been measured"):
        suggest(GPModel(variables).fit(every, everything), every, everything, goal="maximize")


def test_bad_requests_are_user_errors(fitted):
    model, X, y = fitted
    with pytest.raises(ModelError):
        suggest(model, X, y, acquisition="thompson")
    with pytest.raises(ModelError):
        suggest(model, X, y, goal="best")
    with pytest.raises(ModelError):
        suggest(model, X, y, n=0)
    with pytest.raises(ModelError):
        suggest(model, X, y, beta=-1.0)
    with pytest.raises(ModelError):
        suggest(GPModel(VARIABLES), X, y)


# -- no confident repeats; noise-aware by default -----------------------------------------------
LINE = [ContinuousVariable("x", low=0.0, high=1.0)]


def peaked_at(target: np.ndarray):
    """A score whose single maximum is exactly at `target` (as a stuck campaign's EI can be)."""
    return lambda U: -np.max(np.abs(U - target), axis=1)


def test_a_point_on_top_of_a_measured_one_is_refused():
    model = GPModel(LINE, ModelSettings(seed=0))
    measured = np.array([[0.1], [0.4], [0.7]])
    rng = np.random.default_rng(0)
    point, replicate = _maximize(peaked_at(measured[1]), model.encoder, rng, measured, measured, np.empty((0, 1)))
    assert not replicate
    assert np.min(np.max(np.abs(measured - point), axis=1)) >= NEAR_DUPLICATE


def test_a_replicate_is_offered_as_the_measured_point_itself_when_noise_makes_it_informative():
    model = GPModel(LINE, ModelSettings(seed=0))
    measured = np.array([[0.1], [0.4], [0.7]])
    rng = np.random.default_rng(0)
    point, replicate = _maximize(peaked_at(measured[1]), model.encoder, rng, measured, measured, np.empty((0, 1)), True)
    assert replicate and np.array_equal(point, measured[1])


def noisy_replicates() -> tuple[pd.DataFrame, np.ndarray]:
    """A smooth response measured with noise, five times at x = 0.5 with one lucky high reading."""
    rng = np.random.default_rng(3)
    x = np.concatenate([np.linspace(0.0, 1.0, 9), np.full(5, 0.5)])
    y = np.sin(3.0 * x) + 0.15 * rng.standard_normal(len(x))
    y[-1] = np.sin(1.5) + 0.6  # the luckiest reading, far above the truth
    return pd.DataFrame({"x": x}), y


def test_noisy_expected_improvement_on_replicates_improves_on_the_models_best_not_the_luckiest_reading():
    X, y = noisy_replicates()
    model = GPModel(LINE, ModelSettings(seed=0)).fit(X, y)
    assert replicates_informative(model.posterior)
    out = suggest(model, X, y, n=1, acquisition="ei", goal="maximize", seed=0)
    incumbent = float(np.max(model.predict(X)[0]))
    assert incumbent < float(np.max(y)) - 0.3  # the replicates pull the mean below the lucky reading
    mean, std = out["Predicted mean"].to_numpy(), out["Predicted std"].to_numpy()
    # The noise is learned, so EI carries augmented EI's discount (computed in model units).
    noise = model.covariance.unpack(model.theta).noise
    std_model = model.posterior.predict(model.encoder.encode(out[["x"]]))[1]
    discount = 1.0 - np.sqrt(noise / (std_model**2 + noise))
    assert 0.0 < discount[0] < 0.9
    np.testing.assert_allclose(out["Acquisition"], acquisition_value("ei", mean, std, incumbent, "maximize") * discount, rtol=1e-6)
    assert out["Acquisition"].iloc[0] / discount[0] > expected_improvement(mean, std, float(np.max(y)), "maximize")[0]


def test_ei_is_discounted_for_the_noise_only_when_the_model_has_learned_some(fitted):
    # Noise-free: the fit's noise is far below NOISY_DATA_RATIO of the signal, and EI is plain.
    model, X, y = fitted
    assert discount_noise(model.posterior) == 0.0
    out = suggest(model, X, y, n=1, acquisition="ei", goal="maximize", seed=0)
    mean, std = out["Predicted mean"].to_numpy(), out["Predicted std"].to_numpy()
    best = float(np.max(model.predict(X)[0]))
    np.testing.assert_allclose(out["Acquisition"], expected_improvement(mean, std, best, "maximize"), rtol=1e-6)
    X, y = noisy_replicates()
    noisy = GPModel(LINE, ModelSettings(seed=0)).fit(X, y)
    assert discount_noise(noisy.posterior) == pytest.approx(noisy.covariance.unpack(noisy.theta).noise)


def test_the_default_policy_refines_at_the_end_of_a_stated_budget(fitted):
    model, X, y = fitted
    early = suggest(model, X, y, n=1, acquisition="auto", goal="maximize", seed=0, budget=40)
    late = suggest(model, X, y, n=2, acquisition="auto", goal="maximize", seed=0, budget=len(y) + 1)
    assert list(early["Policy"]) == ["ei"] and early["Reason"].iloc[0] in (Reason.EXPLORE, Reason.WIDENED)
    assert list(late["Policy"]) == ["exploit", "exploit"] and set(late["Reason"]) == {Reason.REFINE}


def test_a_model_that_predicts_its_own_data_badly_gets_its_uncertainty_widened():
    from alchemist.model import Covariance, Posterior
    from alchemist.optimize import MAX_WIDENING, widening_factor

    U = np.linspace(0.0, 1.0, 12)[:, None]
    ys = np.sin(20.0 * U[:, 0])
    ys = (ys - ys.mean()) / ys.std()
    covariance = Covariance("matern52", 1)
    diag = np.full(12, 1e-10)
    confident = Posterior(covariance, np.log([1.0, 0.6, 1e-6]), U, ys, diag)  # smooth, almost no noise
    honest = Posterior(covariance, np.log([1.0, 0.6, 1.0]), U, ys, diag)  # calls the wiggles noise
    assert 1.0 < widening_factor(confident) <= MAX_WIDENING
    assert widening_factor(honest) == 1.0


def test_without_a_budget_the_default_policy_refines_once_little_is_left_to_gain():
    def campaign(n: int) -> pd.DataFrame:
        X = pd.DataFrame({"x": np.linspace(0.0, 1.0, n)})  # the optimum, 0.5, is measured
        y = -(X["x"].to_numpy() - 0.5) ** 2
        return suggest(GPModel(LINE, ModelSettings(seed=0)).fit(X, y), X, y, n=1, acquisition="auto", goal="maximize", seed=0)

    early, late = campaign(5), campaign(21)
    assert (early["Policy"].iloc[0], early["Reason"].iloc[0]) == ("ei", Reason.EXPLORE)
    assert (late["Policy"].iloc[0], late["Reason"].iloc[0]) == ("exploit", Reason.LITTLE_LEFT)


def test_a_campaign_bunched_at_its_best_without_gain_explores_far_from_the_bunch():
    plane = [ContinuousVariable("a", low=0.0, high=1.0), ContinuousVariable("b", low=0.0, high=1.0)]
    spread = pd.DataFrame(qmc.Sobol(2, seed=1).random(32), columns=["a", "b"])
    bunch = pd.DataFrame(0.3 + 0.004 * np.random.default_rng(0).standard_normal((8, 2)), columns=["a", "b"])

    def next_point(X: pd.DataFrame) -> pd.Series:
        y = -((X["a"] - 0.3) ** 2 + (X["b"] - 0.3) ** 2).to_numpy()
        model = GPModel(plane, ModelSettings(seed=0)).fit(X, y)
        return suggest(model, X, y, n=1, acquisition="auto", goal="maximize", seed=0).iloc[0]

    # The same experiments: the bunch measured last has spent the basin; measured first, it has
    # not (the spread points came after it), and little is left anywhere, so the best is refined.
    spent, refined = next_point(pd.concat([spread, bunch], ignore_index=True)), next_point(pd.concat([bunch, spread], ignore_index=True))
    assert (spent["Policy"], spent["Reason"]) == ("ei", Reason.EXPLORE)
    assert max(abs(spent["a"] - 0.3), abs(spent["b"] - 0.3)) > BASIN_RADIUS
    assert (refined["Policy"], refined["Reason"]) == ("exploit", Reason.LITTLE_LEFT)
    assert max(abs(refined["a"] - 0.3), abs(refined["b"] - 0.3)) < 0.02


def test_the_search_shrinks_with_the_square_of_the_training_points_and_not_below_its_minimums():
    from alchemist import optimize, search_points

    variables = [ContinuousVariable(f"x{i}", low=0.0, high=1.0) for i in range(3)]
    rng = np.random.default_rng(0)
    sizes = {}
    for n in (100, 2_000):
        X = pd.DataFrame(rng.random((n, 3)), columns=["x0", "x1", "x2"])
        y = np.sin(3 * X["x0"].to_numpy()) + X["x1"].to_numpy() + 0.01 * rng.standard_normal(n)
        model = GPModel(variables, ModelSettings(seed=0, n_restarts=0)).fit(X, y)
        score = optimize._scorer(model.posterior, "ei", 1.0, 0.0, "minimize", 2.0)
        np.testing.assert_allclose(model.posterior.predict_mean(X.to_numpy()), model.posterior.predict(X.to_numpy())[0])
        anchors = model.encoder.encode(X.iloc[:3])
        sizes[n] = (score.share, len(search_points.candidates(model.encoder, rng, anchors, score.share)))
    assert sizes[100] == (1.0, search_points.N_SOBOL + 3 * len(search_points.LOCAL_RADII) * search_points.N_LOCAL_PER_RADIUS)
    share = search_points.SEARCH_OPERATIONS / (search_points.N_SOBOL * 2_000.0**2)
    assert sizes[2_000][0] == pytest.approx(share)
    assert search_points.MIN_SOBOL <= sizes[2_000][1] < 0.5 * sizes[100][1]


def test_trend_scores_with_the_quadratic_trend_also_in_a_constrained_batch():
    # A bowl peaking at x = 7, measured at 0, 2, 4 and 10: the GP alone (constant prior mean)
    # puts its best mean near 4.5, the model with the quadratic trend (the search's prior sd) near 4.9.
    from alchemist.constraints import LinearConstraint, is_feasible
    from alchemist.model.trend import CONSTRAINED_TREND_PRIOR_SD, TrendPosterior

    variables = [ContinuousVariable("x", low=0.0, high=10.0)]
    X = pd.DataFrame({"x": [0.0, 2.0, 4.0, 10.0]})
    y = -((X["x"].to_numpy() - 7.0) ** 2) / 10.0
    model = GPModel(variables, ModelSettings(seed=0)).fit(X, y)
    grid = np.linspace(0.0, 1.0, 1001)[:, None]
    best_gp = 10.0 * grid[np.argmax(model.posterior.predict(grid)[0]), 0]
    best_trend = 10.0 * grid[np.argmax(TrendPosterior(model.posterior, CONSTRAINED_TREND_PRIOR_SD).predict(grid)[0]), 0]
    assert abs(best_trend - best_gp) > 0.15
    plain = suggest(model, X, y, acquisition="exploit", seed=1)
    trended = suggest(model, X, y, acquisition="exploit", seed=1, trend=True)
    assert plain.loc[0, "x"] == pytest.approx(best_gp, abs=0.03)
    assert trended.loc[0, "x"] == pytest.approx(best_trend, abs=0.03)
    # Under a constraint, with pending points and a batch (the trend model is conditioned on both).
    limit = [LinearConstraint({"x": 1}, "<=", 6.0)]
    pending = pd.DataFrame({"x": [5.0]})
    batch = suggest(model, X, y, n=3, acquisition="ei", seed=1, constraints=limit, exclude=pending, trend=True)
    assert is_feasible(batch[["x"]], variables, limit).all()
    assert len(set(np.round(batch["x"], 6))) == 3 and np.all(np.abs(batch["x"].to_numpy() - 5.0) > 0.1)
