"""Simulating curves with sasmodels: model catalog, parameter sampling, engine
choice, one-curve simulation and parallel, resumable dataset generation.

Importing this package is cheap: sasmodels, its kernels and Dask are imported
by the functions that use them.

>>> from sasnets.simulate import generate, GenerationOptions
>>> report = generate("data.h5", ["*sphere", "cylinder"], count=500, tag="eval",
...                   options=GenerationOptions.preset("instrument"), seed=1)  # doctest: +SKIP
"""
from .catalog import ModelEntry, list_models, load_model_info, resolve_model_entries, resolve_models
from .generation import GenerationReport, ModelReport, generate
from .options import ENGINES, PRECISIONS, PRESETS, GenerationOptions, Range
from .products import STRUCTURE_FACTORS
from .sampling import sample_parameters
from .simulation import SimulationFailure, curve_is_valid, curve_seed, simulate_curve, simulate_valid_curve

__all__ = [
    "ModelEntry", "list_models", "load_model_info", "resolve_models", "resolve_model_entries",
    "GenerationOptions", "Range", "PRESETS", "PRECISIONS", "ENGINES", "STRUCTURE_FACTORS",
    "sample_parameters", "simulate_curve", "simulate_valid_curve", "curve_is_valid", "curve_seed",
    "SimulationFailure", "generate", "GenerationReport", "ModelReport",
]
