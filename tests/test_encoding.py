"""Unit-cube encoding of every variable kind, and the output transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist.encoding import Encoder
from alchemist.model.output_transform import OutputTransform
from alchemist.errors import ModelError
from alchemist.variables import CategoricalVariable, ContinuousVariable, DiscreteVariable, IntegerVariable

VARIABLES = [
    ContinuousVariable("T", unit="°C", low=20.0, high=80.0),
    IntegerVariable("n", low=1, high=5),
    CategoricalVariable("solvent", levels=("water", "ethanol", "DMSO")),
    DiscreteVariable("p", values=(0.1, 0.5, 2.0)),
]
ROWS = pd.DataFrame({
    "T": [20.0, 35.5, 80.0],
    "n": [1, 3, 5],
    "solvent": ["DMSO", "water", "ethanol"],
    "p": [0.1, 2.0, 0.5],
})


def test_layout_one_column_per_numeric_variable_and_one_per_level():
    encoder = Encoder(VARIABLES)
    assert encoder.n_dims == 1 + 1 + 3 + 1
    assert encoder.dim_labels() == ["T", "n", "solvent = water", "solvent = ethanol", "solvent = DMSO", "p"]
    assert list(encoder.numeric_dims) == [0, 1, 5]


def test_encode_maps_into_the_unit_cube():
    U = Encoder(VARIABLES).encode(ROWS)
    assert U.shape == (3, 6)
    assert np.all((U >= 0) & (U <= 1))
    np.testing.assert_allclose(U[:, 0], [0.0, 15.5 / 60.0, 1.0])
    np.testing.assert_allclose(U[:, 1], [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(U[:, 2:5], [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    # Discrete values keep their spacing: 0.5 is (0.5-0.1)/(2-0.1) of the way.
    np.testing.assert_allclose(U[:, 5], [0.0, 1.0, 0.4 / 1.9])


@pytest.mark.parametrize("name", ["T", "n", "solvent", "p"])
def test_round_trip_of_each_kind(name):
    encoder = Encoder(VARIABLES)
    back = encoder.decode(encoder.encode(ROWS))
    assert back[name].tolist() == ROWS[name].tolist()


def test_decoded_types_are_natural():
    back = Encoder(VARIABLES).decode(Encoder(VARIABLES).encode(ROWS))
    assert back["T"].dtype == np.float64
    assert back["n"].dtype == np.int64
    assert back["p"].dtype == np.float64
    assert all(isinstance(v, str) for v in back["solvent"])


def test_decode_snaps_relaxed_points_to_allowed_values():
    encoder = Encoder(VARIABLES)
    U = np.array([[1.2, 0.6, 0.2, 0.7, 0.1, 0.35], [-0.1, 0.1, 0.9, 0.0, 0.5, 0.9]])
    back = encoder.decode(U)
    assert back["T"].tolist() == [80.0, 20.0]  # clipped to the bounds
    assert back["n"].tolist() == [3, 1]  # 1 + 0.6 * 4 = 3.4 -> 3
    assert back["solvent"].tolist() == ["ethanol", "water"]
    assert back["p"].tolist() == [0.5, 2.0]  # nearest allowed value
    snapped = encoder.snap(U)
    assert encoder.decode(snapped).equals(back)
    np.testing.assert_array_equal(snapped, encoder.encode(back))


def test_unknown_level_and_missing_column_are_user_errors():
    encoder = Encoder(VARIABLES)
    with pytest.raises(ModelError, match="unknown level"):
        encoder.encode(ROWS.assign(solvent=["water", "acetone", "water"]))
    with pytest.raises(ModelError, match="no column"):
        encoder.encode(ROWS.drop(columns="p"))


@pytest.mark.parametrize("warp", [True, False])
def test_output_transform_round_trip_and_slopes(warp):
    y = np.array([0.4, 1.0, 3.0, 10.0, 50.0, 300.0, 2.0, 7.0])
    transform = OutputTransform.fit(y, warp=warp)
    ys = transform.forward(y)
    np.testing.assert_allclose(ys.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(ys.std(), 1.0)
    np.testing.assert_allclose(transform.inverse(ys), y, rtol=1e-10)
    assert np.all(np.diff(transform.forward(np.sort(y))) > 0)  # monotone: the best stays best
    h = 1e-6
    numeric = (transform.forward(y + h) - transform.forward(y - h)) / (2 * h)
    np.testing.assert_allclose(transform.derivative(y), numeric, rtol=1e-5)
    numeric_inverse = (transform.inverse(ys + h) - transform.inverse(ys - h)) / (2 * h)
    np.testing.assert_allclose(transform.inverse_derivative(ys), numeric_inverse, rtol=1e-5)
    assert (transform.lam != 1.0) == warp  # these skewed data are warped only when asked


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_the_output_transform_compresses_only_the_long_tail(sign):
    # Right-skewed (sign 1, lam < 1) and left-skewed (sign -1, lam > 1) outputs: within one
    # standard deviation of the mean, and on the short side, the transform is linear.
    y = sign * np.array([0.4, 0.5, 0.7, 1.0, 1.3, 2.0, 3.0, 4.0, 7.0, 10.0, 50.0, 300.0])
    transform = OutputTransform.fit(y)
    assert transform.pivot == OutputTransform.PIVOT and (transform.lam < 1.0 if sign > 0 else transform.lam > 1.0)
    z = (y - transform.mean) / transform.std
    linear = (z < transform.pivot) if sign > 0 else (z > -transform.pivot)
    assert linear.sum() >= 9
    slope = transform.derivative(y) * transform.std * transform.t_std
    np.testing.assert_allclose(slope[linear], 1.0)
    assert np.all(slope[~linear] < 1.0)  # the tail is compressed
    ys = transform.forward(y)
    np.testing.assert_allclose(transform.inverse(ys), y, rtol=1e-10)
    h = 1e-6
    np.testing.assert_allclose(transform.derivative(y), (transform.forward(y + h) - transform.forward(y - h)) / (2 * h), rtol=1e-5)
    np.testing.assert_allclose(
        transform.inverse_derivative(ys), (transform.inverse(ys + h) - transform.inverse(ys - h)) / (2 * h), rtol=1e-5
    )
    assert OutputTransform.from_state(transform.to_state()) == transform


def test_a_saved_two_sided_output_transform_loads_and_maps_as_before():
    # The state of a model saved before the tail-only transform: no "pivot" key.
    old = {"mean": 32.0, "std": 47.0, "lambda": -1.0, "t_mean": -0.2, "t_std": 0.6}
    transform = OutputTransform.from_state(old)
    assert transform.pivot is None and transform.to_state() == old
    z = np.array([-0.6, 0.0, 2.5])
    two_sided = np.array([-((1.6) ** 3 - 1.0) / 3.0, 0.0, 1.0 - 1.0 / 3.5])  # Yeo-Johnson, lam = -1
    np.testing.assert_allclose(transform.forward(32.0 + 47.0 * z), (two_sided + 0.2) / 0.6, rtol=1e-12)
    from alchemist.errors import SessionFileError

    for pivot in (-1.0, 1e9, "1.0", True):
        with pytest.raises(SessionFileError):
            OutputTransform.from_state({**old, "pivot": pivot})
