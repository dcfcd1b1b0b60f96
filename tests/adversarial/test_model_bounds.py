"""Issue 7's rows about the model, each in a child process with an address-space and a CPU limit.

| what a visitor does                                   | measured before  | required now                 |
|-------------------------------------------------------|------------------|------------------------------|
| 50,022 rows, Train, then a suggestion                 | 19 GB, OOM kill  | a model (subset), bounded    |
| 8,000 rows, Train, then a suggestion                  | 1.9 GB           | a model (subset), bounded    |
| loads a saved model of 8,000 points                   | 1.9 GB, 20-30 s  | reduced on load, bounded     |
| 4 categorical variables x 1,000 levels + 2,000 rows   | 2.9 GB, 107 s    | refused before any work (max_encoded_dims), |
|                                                       |                  | and train + predict bounded if an operator   |
|                                                       |                  | raises that limit                            |

Each case runs in a fresh interpreter whose address space (RLIMIT_AS) and CPU time (RLIMIT_CPU)
are limited before it starts (tests.adversarial.child); going over either kills it, so finishing
with exit code 0 is the proof, and the kernel's figure of its peak memory is checked against a
tighter bound here.
"""

from __future__ import annotations

import pytest

from tests.adversarial.child import run_in_child

PEAK_RSS_BOUND_MB = 1024  # "well under 1.5 GB"

# The work of each case; it prints one JSON line of facts for the parent to check.
PRELUDE = """
import json, resource, sys
import numpy as np, pandas as pd
from alchemist import limits
from alchemist.errors import LimitError
from alchemist.model import GPModel, ModelSettings
from alchemist.optimize import suggest
from alchemist.variables import CategoricalVariable, ContinuousVariable

def campaign(rows, numeric, categorical=0, levels=0, seed=0):
    rng = np.random.default_rng(seed)
    variables = [ContinuousVariable(f"x{i}", low=0.0, high=1.0) for i in range(numeric)]
    names = [f"L{j}" for j in range(levels)]
    variables += [CategoricalVariable(f"c{i}", levels=tuple(names)) for i in range(categorical)]
    X = pd.DataFrame({f"x{i}": rng.random(rows) for i in range(numeric)})
    for i in range(categorical):
        X[f"c{i}"] = rng.choice(names, rows)
    y = np.sin(3 * X[[f"x{i}" for i in range(numeric)]].to_numpy()).sum(axis=1) if numeric else np.zeros(rows)
    y = y + 0.05 * rng.standard_normal(rows)
    return variables, X, y

def done(**facts):
    facts["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(facts))
"""

TRAIN_AND_SUGGEST = PRELUDE + """
rows, numeric = int(sys.argv[1]), int(sys.argv[2])
variables, X, y = campaign(rows, numeric)
model = GPModel(variables, ModelSettings()).fit(X, y)
table = suggest(model, X, y, n=1)
done(method=model.approximation.method.value, total=model.approximation.points_total,
     used=model.approximation.points_used, suggested=len(table),
     finite=bool(np.isfinite(table["Predicted mean"]).all()))
"""

LOAD_SAVED_MODEL = PRELUDE + """
from alchemist.plain import array_to_state
rows = int(sys.argv[1])
variables, X, y = campaign(rows, 6)
# A file as an installation with a higher exact limit (or a hand-made one) would write it: the
# hyperparameters of a small fit, the training data of all `rows` experiments.
small = GPModel(variables, ModelSettings(n_restarts=0)).fit(X.iloc[:200], y[:200])
state = small.to_state()
U = small.encoder.encode(X)
state.update({
    "X_encoded": array_to_state(U), "y": array_to_state(y),
    "y_standardised": array_to_state(small.output.forward(y)),
    "diagonal": array_to_state(np.full(rows, 1e-10)), "noise": None,
})
assert "approximation" not in state  # an exact model's state, as files of today
model = GPModel.from_state(state)
mean, std = model.predict(X.iloc[:1000])
done(method=model.approximation.method.value, reduced=model.approximation.reduced_on_load,
     total=model.approximation.points_total, used=model.n_train,
     rmse=float(np.sqrt(np.mean((mean - y[:1000]) ** 2))), spread=float(np.std(y)))
"""

MANY_LEVELS = PRELUDE + """
raise_limit = sys.argv[1] == "raised"
if raise_limit:
    limits.configure(limits.Limits(max_encoded_dims=4000))
variables, X, y = campaign(2000, 0, categorical=4, levels=1000)
y = y + X["c0"].str.len().to_numpy() * 0.1 + (X["c1"] == "L7").to_numpy()
try:
    model = GPModel(variables, ModelSettings(n_restarts=0)).fit(X, y)
except LimitError as error:
    done(refused=error.limit)
else:
    # Training and prediction only: the suggestion search's duplicate check (alchemist.optimize)
    # costs 15 s of CPU at 4,000 columns, outside this file's scope (reported to the lead).
    mean, std = model.predict(X)
    done(refused=None, dims=model.encoder.n_dims, predicted=len(mean),
         finite=bool(np.isfinite(mean).all() and np.isfinite(std).all()))
"""


def run_bounded(case: str, code: str, *args: str) -> dict:
    facts = run_in_child(case, code, *args)
    assert facts["peak_mb"] < PEAK_RSS_BOUND_MB, facts
    return facts


@pytest.mark.parametrize("rows, numeric", [(50_022, 6), (8_000, 6)])
def test_a_large_upload_trains_and_suggests_within_bounds(rows, numeric):
    facts = run_bounded(f"train_suggest_{rows}x{numeric}", TRAIN_AND_SUGGEST, str(rows), str(numeric))
    assert facts["method"] == "subset" and facts["total"] == rows and facts["used"] <= 2_000
    assert facts["suggested"] == 1 and facts["finite"]


def test_a_saved_model_of_8000_points_is_reduced_on_load_within_bounds():
    facts = run_bounded("load_saved_model_8000", LOAD_SAVED_MODEL, "8000")
    assert facts["method"] == "subset" and facts["reduced"]
    assert facts["total"] == 8_000 and facts["used"] <= 2_000
    assert facts["rmse"] < 0.5 * facts["spread"]  # still a useful model of the data


def test_four_categorical_variables_of_1000_levels_are_refused_before_any_work():
    facts = run_bounded("categorical_4x1000_default", MANY_LEVELS, "default")
    assert facts["refused"] == "max_encoded_dims"


def test_four_categorical_variables_of_1000_levels_stay_bounded_when_an_operator_allows_them():
    facts = run_bounded("categorical_4x1000_raised", MANY_LEVELS, "raised")
    assert facts["refused"] is None and facts["dims"] == 4_000
    assert facts["predicted"] == 2_000 and facts["finite"]
