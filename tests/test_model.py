"""The GP model: fitting without collapse, predictions, hyperparameters as records, unusable data."""

from __future__ import annotations

import numpy as np
import pytest

from alchemist.design import initial_design
from alchemist.errors import ModelError
from alchemist.model import KERNELS, LENGTH_SCALE_BOUNDS, GPModel, ModelSettings, Parameter, Unit
from tests.model_support import BRANIN_VARS, MIXED_VARS, branin, mixed_data


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
