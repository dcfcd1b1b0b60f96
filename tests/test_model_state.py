"""The GP model's plain-data state and its settings: exact round trips; malformed or mistyped parts refused."""

from __future__ import annotations

import numpy as np
import pytest

from alchemist.design import initial_design
from alchemist.errors import ModelError, SessionFileError
from alchemist.plain import array_to_state
from alchemist.model import GPModel, ModelSettings
from tests.model_support import MIXED_VARS, mixed_data


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
