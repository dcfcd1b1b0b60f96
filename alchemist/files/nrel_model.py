"""NREL ALchemist's model and settings: the kernel and the seed map; a fitted model does not.

ALchemist stores no fitted model, only its description: the backend, the kernel, its fitted
hyperparameters (BoTorch's as Python-style text) and metrics. The kernel choice and the random
seed become our model settings; the fitted values are read for their names and how many numbers
they hold (never evaluated) and named in the notes: a model is trained here on the Model page.
"""

from __future__ import annotations

from typing import Any

from alchemist.files.nrel_notes import ImportNotes, NotMappedKind
from alchemist.files.nrel_values import matern_nu, numbers_in
from alchemist.model import ModelSettings

_KERNELS = {"rbf": "rbf", "rationalquadratic": "rq"}
_MATERN = {1.5: "matern32", 2.5: "matern52"}
# Model settings ALchemist writes that say how to train, not what was fitted: not fitted values.
_TRAINING_KEYS = {
    "kernel_type", "nu", "k2__nu", "matern_nu", "model_type", "covar_module_type", "n_objectives", "additive_kernels",
}


def map_model(model_config: Any, config: Any, settings: ModelSettings, notes: ImportNotes) -> ModelSettings:
    """Our model settings from ALchemist's `config` (the seed) and `model_config` (the kernel); the rest in `notes`."""
    seed = config.get("random_state") if isinstance(config, dict) else None
    if type(seed) is int and 0 <= seed < 2**32:
        settings = ModelSettings(kernel=settings.kernel, n_restarts=settings.n_restarts, seed=seed, warp_outputs=settings.warp_outputs)
    if isinstance(config, dict):
        rest = [f"{k}={v}" for k, v in config.items() if k != "random_state"]
        if rest:
            notes.add(NotMappedKind.SETTINGS, rest)
    if not isinstance(model_config, dict) or not model_config:
        return settings
    kernel_name = str(model_config.get("kernel", "")).strip()
    nu = matern_nu(model_config)
    key = _MATERN.get(nu) if kernel_name.lower() == "matern" else _KERNELS.get(kernel_name.lower())
    if key:
        settings = ModelSettings(kernel=key, n_restarts=settings.n_restarts, seed=settings.seed, warp_outputs=settings.warp_outputs)
    else:
        notes.add(NotMappedKind.KERNEL, [kernel_name or "?"], detail="" if nu is None else f"{nu:g}")
    fitted, numbers = fitted_values(model_config)
    if fitted:
        notes.add(NotMappedKind.MODEL_FIT, fitted, count=numbers, detail=str(model_config.get("backend", ""))[:30])
    return settings


def fitted_values(model_config: dict) -> tuple[list[str], int]:
    """(names of the fitted hyperparameters and metrics, how many numbers they hold): what a note names."""
    names: list[str] = []
    numbers = 0
    for part in ("hyperparameters", "metrics"):
        values = model_config.get(part)
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            if name in _TRAINING_KEYS or "bounds" in name:
                continue
            found = len(numbers_in(value))
            if found:
                names.append(str(name))
                numbers += found
    return names, numbers
