"""The shared whole-number rule, and that every setting which takes a whole number uses it."""

from __future__ import annotations

import numpy as np
import pytest

from alchemist.design import initial_design
from alchemist.errors import ModelError, SessionFileError
from alchemist.model import ModelSettings
from alchemist.validation import SEED_LIMIT, check_seed, one_of, whole_number
from alchemist.variables import ContinuousVariable

NOT_WHOLE = [True, 2.0, "2", None, [2], {"n": 2}, np.float64(2.0)]


def test_whole_numbers_are_ints_in_range():
    assert whole_number(3, 1, 5, "count") == 3
    assert type(whole_number(np.int64(3), 1, 5, "count")) is int
    for value in NOT_WHOLE + [0, 6]:
        with pytest.raises(ModelError, match="count must be a whole number from 1 to 5"):
            whole_number(value, 1, 5, "count")


def test_seeds_take_32_bits():
    assert check_seed(SEED_LIMIT - 1) == SEED_LIMIT - 1
    for value in (-1, SEED_LIMIT, "7"):
        with pytest.raises(ModelError, match="random seed"):
            check_seed(value)


@pytest.mark.parametrize("value", NOT_WHOLE)
def test_every_whole_number_setting_refuses_the_same_values(value):
    from alchemist.session import SuggestionSettings

    with pytest.raises(ModelError, match="whole number"):
        ModelSettings(n_restarts=value)
    with pytest.raises(ModelError, match="whole number"):
        ModelSettings(seed=value)
    with pytest.raises(ModelError, match="whole number"):
        SuggestionSettings(batch_size=value)
    with pytest.raises(ModelError, match="whole number"):
        SuggestionSettings(seed=value)
    with pytest.raises(ModelError, match="whole number"):
        initial_design([ContinuousVariable("x")], value)


def test_numpy_integers_are_accepted_and_stored_as_ints():
    from alchemist.session import SuggestionSettings

    settings = SuggestionSettings(batch_size=np.int64(3), seed=np.uint32(5))
    assert (type(settings.batch_size), type(settings.seed)) == (int, int)
    assert type(ModelSettings(n_restarts=np.int32(2)).n_restarts) is int


def test_settings_in_a_file_are_refused_as_file_errors_whatever_the_type():
    from alchemist.session import SuggestionSettings

    for state in ({"acquisition": {"x": 1}}, {"batch_size": "2"}, {"goal": ["maximize"]}, "not a mapping"):
        with pytest.raises(SessionFileError, match="suggestion settings"):
            SuggestionSettings.from_state(state)
    with pytest.raises(SessionFileError, match="model settings"):
        ModelSettings.from_state({"kernel": {"rbf": 1}})
    # Missing fields take their defaults; present ones are used.
    assert SuggestionSettings.from_state({"beta": 3}) == SuggestionSettings(beta=3.0)
    assert ModelSettings.from_state({"kernel": "rq"}) == ModelSettings(kernel="rq")


def test_choices_are_text_keys():
    assert one_of("a", {"a": "A"}, "thing") == "a"
    for value in ({"a": 1}, ["a"], None, "b"):
        with pytest.raises(ModelError, match="Unknown thing"):
            one_of(value, {"a": "A"}, "thing")
