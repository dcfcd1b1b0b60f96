"""The synthetic campaign both session-file benchmarks time: mixed variable kinds, gaps and bad cells."""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from alchemist.session import Session
from alchemist.variables import CategoricalVariable, ContinuousVariable, IntegerVariable


def build_session(n_rows: int, n_variables: int = 10, seed: int = 0) -> Session:
    rng = np.random.default_rng(seed)
    session = Session.new(f"Benchmark: {n_rows} experiments x {n_variables} variables")
    n_integer, n_categorical = 3, 1
    n_continuous = n_variables - n_integer - n_categorical
    data: dict[str, object] = {}
    for i in range(n_continuous):
        session.add_variable(ContinuousVariable(f"x{i}", unit="a.u.", description=f"continuous factor {i}", low=0, high=100))
        data[f"x{i}"] = rng.uniform(0, 100, n_rows)
    for i in range(n_integer):
        session.add_variable(IntegerVariable(f"n{i}", unit="count", low=1, high=50))
        data[f"n{i}"] = rng.integers(1, 51, n_rows)
    session.add_variable(CategoricalVariable("Catalyst", levels=("Pt", "Pd", "Rh", "Ru", "Ni")))
    data["Catalyst"] = rng.choice(["Pt", "Pd", "Rh", "Ru", "Ni"], n_rows)
    data["Yield"] = rng.normal(50, 10, n_rows)
    data["Noise"] = np.full(n_rows, 0.5)
    data["Iteration"] = np.repeat(np.arange(n_rows // 10 + 1), 10)[:n_rows]
    data["Note"] = np.where(rng.random(n_rows) < 0.2, "repeat of the previous run", "")
    frame = pd.DataFrame(data)
    frame = frame.astype({"x0": object, "Yield": object})
    frame.loc[frame.index[::97], "Yield"] = None
    frame.loc[frame.index[::499], "x0"] = "n/a"
    session.add_experiments(frame, target="Yield")
    assert len(session.experiments) == n_rows
    return session


def median_seconds(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine_line() -> str:
    """Which machine the figures come from, printed first by every benchmark."""
    import os
    import platform

    return f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
