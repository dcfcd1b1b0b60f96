"""The noisy endgame (alchemist.endgame): late in a stated budget, on data the model finds noisy,
the default policy repeats the measured point it trusts most, and says it is a repeat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alchemist.acquisition import Reason
from alchemist.design import initial_design
from alchemist.endgame import ENDGAME_SHARE, endgame_order, in_endgame
from alchemist.model import GPModel, ModelSettings
from alchemist.optimize import discount_noise, suggest
from alchemist.variables import ContinuousVariable

LINE = [ContinuousVariable("x", low=0.0, high=1.0)]


def replicated_noisy() -> tuple[pd.DataFrame, np.ndarray]:
    """A noisy hump peaking at x = 0.5: four readings there, and one lucky reading at x = 0.8
    that beats them all."""
    rng = np.random.default_rng(2)
    x = np.concatenate([np.linspace(0.0, 1.0, 21), np.full(3, 0.5)])
    y = 1.0 - 4.0 * (x - 0.5) ** 2 + 0.25 * rng.standard_normal(len(x))
    y[16] = 1.0 - 4.0 * 0.3**2 + 0.8  # x = 0.8: true 0.64, read 1.44
    return pd.DataFrame({"x": x}), y


@pytest.fixture(scope="module")
def noisy():
    X, y = replicated_noisy()
    return GPModel(LINE, ModelSettings(seed=0)).fit(X, y), X, y


@pytest.fixture(scope="module")
def clean():
    X = initial_design(LINE, 8, method="lhs", seed=0)
    y = 1.0 - 8.0 * (X["x"].to_numpy() - 0.5) ** 2
    return GPModel(LINE, ModelSettings(seed=0)).fit(X, y), X, y


def test_the_endgame_needs_a_budget_learned_noise_and_its_share_of_the_budget_left():
    assert not in_endgame(0.0, 29, 30)  # noise-free: never
    assert not in_endgame(0.1, 29, None)  # no budget: never
    last = round(ENDGAME_SHARE * 30)
    assert in_endgame(0.1, 30 - last, 30) and not in_endgame(0.1, 30 - last - 1, 30)
    assert in_endgame(0.1, 2, 3)  # at least the last experiment


def test_late_in_a_noisy_campaign_the_default_repeats_the_best_supported_point_not_the_luckiest(noisy):
    model, X, y = noisy
    assert discount_noise(model.posterior) > 0
    assert X["x"].iloc[int(np.argmax(y))] == 0.8  # the lucky reading is the best one
    out = suggest(model, X, y, n=1, acquisition="auto", goal="maximize", seed=0, budget=len(y) + 2)
    assert out["Reason"].iloc[0] == Reason.REPLICATE and out["Policy"].iloc[0] == "exploit"
    assert out["x"].iloc[0] == 0.5  # exactly the measured point, four times read
    order = endgame_order(model.posterior, model.encoder.encode(X), "maximize")
    assert X["x"].iloc[order[0]] == 0.5 and X["x"].iloc[order[-1]] in (0.0, 1.0)


def test_a_noisy_endgame_batch_repeats_distinct_points_and_skips_pending_ones(noisy):
    model, X, y = noisy
    out = suggest(model, X, y, n=2, acquisition="auto", goal="maximize", seed=0, budget=len(y) + 2)
    assert list(out["Reason"]) == [Reason.REPLICATE] * 2
    assert out["x"].iloc[0] == 0.5 and out["x"].iloc[1] != 0.5 and out["x"].iloc[1] in set(X["x"])
    again = suggest(model, X, y, n=1, acquisition="auto", goal="maximize", seed=0, budget=len(y) + 3, exclude=out[["x"]].iloc[:1])
    assert again["x"].iloc[0] == out["x"].iloc[1]


def test_early_in_the_budget_or_without_one_the_noisy_campaign_explores(noisy):
    model, X, y = noisy
    for budget in (None, 10 * len(y)):
        out = suggest(model, X, y, n=1, acquisition="auto", goal="maximize", seed=0, budget=budget)
        assert out["Policy"].iloc[0] == "ei"


def test_a_chosen_acquisition_is_never_replaced_by_the_endgame(noisy):
    model, X, y = noisy
    out = suggest(model, X, y, n=1, acquisition="exploit", goal="maximize", seed=0, budget=len(y) + 1)
    assert out["Reason"].iloc[0] in (Reason.CHOSEN, Reason.REPLICATE) and out["Policy"].iloc[0] == "exploit"
    assert out["Reason"].iloc[0] == Reason.CHOSEN or out["x"].iloc[0] in set(X["x"])


def test_noise_free_data_end_by_refining_new_points_not_by_repeats(clean):
    model, X, y = clean
    assert discount_noise(model.posterior) == 0.0
    out = suggest(model, X, y, n=1, acquisition="auto", goal="maximize", seed=0, budget=len(y) + 1)
    assert out["Reason"].iloc[0] == Reason.REFINE
    assert np.min(np.abs(X["x"].to_numpy() - out["x"].iloc[0])) > 1e-3
