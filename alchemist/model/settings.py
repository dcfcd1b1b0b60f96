"""What the user chooses about the model, validated where it enters: from the app or from a file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from alchemist.validation import check_seed, whole_number
from alchemist.errors import ModelError, SessionFileError

KERNELS = {
    "matern52": "Matérn 5/2",
    "matern32": "Matérn 3/2",
    "rbf": "RBF",
    "rq": "Rational quadratic",
}

MAX_RESTARTS = 50


def check_kernel(key: Any) -> str:
    """The kernel's key; refuses anything else, including values that are not text."""
    if not isinstance(key, str) or key not in KERNELS:
        shown = repr(key)[:40] if not isinstance(key, str) else f"'{key[:40]}'"
        raise ModelError(f"Unknown kernel {shown}. Use one of: {', '.join(KERNELS)}.")
    return key


@dataclass(frozen=True)
class ModelSettings:
    """The kernel, the optimiser's restarts and seed, and the output transform switch."""

    kernel: str = "matern52"
    n_restarts: int = 5
    seed: int = 0
    # Yeo-Johnson power transform of the outputs before standardising (see OutputTransform).
    warp_outputs: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.warp_outputs, (bool, np.bool_)):
            raise ModelError("The output-transform switch must be true or false.")
        object.__setattr__(self, "warp_outputs", bool(self.warp_outputs))
        check_kernel(self.kernel)
        object.__setattr__(
            self, "n_restarts", whole_number(self.n_restarts, 0, MAX_RESTARTS, "number of optimiser restarts")
        )
        object.__setattr__(self, "seed", check_seed(self.seed))

    def to_state(self) -> dict:
        return {
            "kernel": self.kernel, "n_restarts": self.n_restarts, "seed": self.seed,
            "warp_outputs": self.warp_outputs,
        }

    @classmethod
    def from_state(cls, state: Any) -> "ModelSettings":
        if not isinstance(state, dict):
            raise SessionFileError("The model settings in the file are not a mapping.")
        try:
            return cls(
                kernel=state.get("kernel", "matern52"),
                n_restarts=state.get("n_restarts", 5),
                seed=state.get("seed", 0),
                warp_outputs=state.get("warp_outputs", True),
            )
        except ModelError as error:
            raise SessionFileError(f"The model settings in the file are not valid: {error}") from None
